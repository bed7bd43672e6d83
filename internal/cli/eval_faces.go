package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/vision/face"
)

func init() { registerEval(newEvalFacesCmd) }

// faceEvalReport is what `faceprint eval faces` prints.
type faceEvalReport struct {
	Dir             string       `json:"dir"`
	Mode            string       `json:"mode"` // folders or pairs
	Images          int          `json:"images"`
	NoFace          int          `json:"no_face"`
	FailureToDetect float64      `json:"failure_to_detect_rate"`
	Metrics         face.Metrics `json:"metrics"`
	SkippedPairs    int          `json:"skipped_pairs"` // pairs with an image without a face
	GenuineAt80     float64      `json:"genuine_share_score_ge_80"`
	ImpostorAt80    int          `json:"impostor_pairs_score_ge_80"`
	Model           string       `json:"model"`
}

func newEvalFacesCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "faces DIR",
		Short: "Face verification accuracy: TAR at FAR 1e-2/1e-3/1e-4, EER, failure to detect",
		Long: `DIR holds either one subfolder per identity (every pair within a folder is
genuine, every pair across folders an impostor pair), or a pairs.csv with lines
"image_a,image_b,same" (same = 1 or 0; paths relative to DIR). TAR at a FAR is
reported as supported only when there are at least 1/FAR impostor pairs.`,
		Example: "  faceprint eval faces testdata/fetched/dlib/johns",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, done, err := openFaceEngine(env.ModelsDir, face.Options{Workers: runtime.NumCPU()})
			if err != nil {
				return err
			}
			defer done()
			rep, err := evalFaces(cmd.Context(), e, args[0])
			if err != nil {
				return err
			}
			if env.Output == "json" {
				return env.PrintJSON(rep)
			}
			w := env.Stdout
			fmt.Fprintf(w, "%s (%s): %d images, %d without a face (FTD %.3f)\n", rep.Dir, rep.Mode, rep.Images, rep.NoFace, rep.FailureToDetect)
			m := rep.Metrics
			fmt.Fprintf(w, "genuine pairs %d (min cos %.3f, median %.3f), impostor pairs %d (median %.3f, max %.3f), skipped %d\n",
				m.Genuine, m.GenuineMin, m.GenuineMedian, m.Impostor, m.ImpostorMedian, m.ImpostorMax, rep.SkippedPairs)
			for _, p := range m.Points {
				note := ""
				if !p.Supported {
					note = " (too few impostor pairs: indicative only)"
				}
				fmt.Fprintf(w, "TAR@FAR %.0e = %.4f at cosine %.3f / score %.1f%s\n", p.FAR, p.TAR, p.Cosine, p.Score, note)
			}
			fmt.Fprintf(w, "EER %.4f at cosine %.3f; genuine ≥ 80: %.4f; impostor ≥ 80: %d\n", m.EER, m.EERCosine, rep.GenuineAt80, rep.ImpostorAt80)
			return nil
		},
	}
	return cmd
}

type evalPair struct {
	a, b string
	same bool
}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".bmp": true, ".webp": true}

// evalFaces embeds each image once and scores the pairs.
func evalFaces(ctx context.Context, e *face.Engine, dir string) (*faceEvalReport, error) {
	rep := &faceEvalReport{Dir: dir, Model: e.ModelVersion()}
	var images []string
	var pairs []evalPair
	if f, err := os.Open(filepath.Join(dir, "pairs.csv")); err == nil {
		defer f.Close()
		rep.Mode = "pairs"
		seen := map[string]bool{}
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("pairs.csv: %w", err)
			}
			if len(rec) < 3 || strings.HasPrefix(rec[0], "#") || rec[2] == "same" {
				continue
			}
			p := evalPair{filepath.Join(dir, rec[0]), filepath.Join(dir, rec[1]), strings.TrimSpace(rec[2]) == "1"}
			pairs = append(pairs, p)
			for _, x := range []string{p.a, p.b} {
				if !seen[x] {
					seen[x] = true
					images = append(images, x)
				}
			}
		}
	} else {
		rep.Mode = "folders"
		ids, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		byID := map[string][]string{}
		for _, id := range ids {
			if !id.IsDir() {
				continue
			}
			files, _ := os.ReadDir(filepath.Join(dir, id.Name()))
			for _, f := range files {
				if imageExts[strings.ToLower(filepath.Ext(f.Name()))] {
					p := filepath.Join(dir, id.Name(), f.Name())
					byID[id.Name()] = append(byID[id.Name()], p)
					images = append(images, p)
				}
			}
		}
		sort.Strings(images)
		idOf := map[string]string{}
		for id, ps := range byID {
			for _, p := range ps {
				idOf[p] = id
			}
		}
		for i := range images {
			for j := i + 1; j < len(images); j++ {
				pairs = append(pairs, evalPair{images[i], images[j], idOf[images[i]] == idOf[images[j]]})
			}
		}
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("%s: no images (want one subfolder per identity, or pairs.csv)", dir)
	}
	rep.Images = len(images)

	// Embed every image once, on as many workers as the engine allows.
	embs := make(map[string]*face.Embedding, len(images))
	var mu sync.Mutex
	var firstErr error
	work := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < max(1, e.Workers()); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				var emb *face.Embedding
				im, err := readImage(p)
				if err == nil {
					var r face.FaceEmbedding
					r, err = e.Largest(ctx, im.img)
					if err == nil {
						emb = &r.Embedding
					}
				}
				mu.Lock()
				switch {
				case err == nil || errors.Is(err, face.ErrNoFace):
					embs[p] = emb
				case firstErr == nil:
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, p := range images {
		work <- p
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for _, p := range images {
		if embs[p] == nil {
			rep.NoFace++
		}
	}
	rep.FailureToDetect = float64(rep.NoFace) / float64(len(images))
	var gen, imp []float64
	for _, p := range pairs {
		a, b := embs[p.a], embs[p.b]
		if a == nil || b == nil {
			rep.SkippedPairs++
			continue
		}
		c := face.Cosine(*a, *b)
		if p.same {
			gen = append(gen, c)
		} else {
			imp = append(imp, c)
			if face.Score(c) >= 80 {
				rep.ImpostorAt80++
			}
		}
	}
	rep.Metrics = face.ComputeMetrics(gen, imp)
	n := 0
	for _, c := range gen {
		if face.Score(c) >= 80 {
			n++
		}
	}
	rep.GenuineAt80 = float64(n) / float64(max(1, len(gen)))
	return rep, nil
}
