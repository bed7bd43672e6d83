package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv"
)

// h5Client speaks the H5 page's API from Go, like one phone, and adds up the
// time the server spent answering (not the capture time in between).
type h5Client struct {
	base, token, csrf string
	c                 *http.Client
	server            time.Duration
	steps             map[string]time.Duration // server time per endpoint
}

var csrfMeta = regexp.MustCompile(`<meta name="fp-csrf" content="([^"]*)">`)

func openH5(base, token string) (*h5Client, error) {
	jar, _ := cookiejar.New(nil)
	h := &h5Client{base: base, token: token, c: &http.Client{Jar: jar, Timeout: 2 * time.Minute}, steps: map[string]time.Duration{}}
	t0 := time.Now()
	res, err := h.c.Get(base + "/face/print/?token=" + token)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	h.server += time.Since(t0)
	h.steps["entry"] += time.Since(t0)
	m := csrfMeta.FindSubmatch(body)
	if res.StatusCode != 200 || m == nil {
		return nil, fmt.Errorf("entry: %d", res.StatusCode)
	}
	h.csrf = string(m[1])
	return h, nil
}

func (h *h5Client) call(method, path string, body []byte, ctype string) (map[string]any, error) {
	req, _ := http.NewRequest(method, h.base+"/face/print/api/"+path, bytes.NewReader(body))
	req.Header.Set("X-FP-Token", h.token)
	req.Header.Set("X-FP-CSRF", h.csrf)
	req.Header.Set("Content-Type", ctype)
	t0 := time.Now()
	res, err := h.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out map[string]any
	err = json.NewDecoder(res.Body).Decode(&out)
	h.server += time.Since(t0)
	step, _, _ := strings.Cut(path, "?")
	h.steps[step] += time.Since(t0)
	if err != nil || res.StatusCode != 200 {
		return out, fmt.Errorf("%s %s: %d %v", method, path, res.StatusCode, out)
	}
	return out, nil
}

func (h *h5Client) json(method, path string, v any) (map[string]any, error) {
	b, _ := json.Marshal(v)
	return h.call(method, path, b, "application/json")
}

// material is what a phone sends: a card photo and 10-fps frames of franck.
type material struct {
	card   []byte
	frames [][]byte
}

var (
	materialOnce sync.Once
	materialVal  material
	materialErr  error
)

func loadMaterial(t testing.TB) material {
	cardThenFace(t)
	materialOnce.Do(func() {
		dir := filepath.Dir(generated(t, "camera", "x"))
		f, err := os.Open(filepath.Join(dir, "card-front-desk.png"))
		if err != nil {
			materialErr = err
			return
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			materialErr = err
			return
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92})
		materialVal.card = buf.Bytes()
		framesDir := filepath.Join(dir, "franck-frames")
		if _, err := os.Stat(filepath.Join(framesDir, "f32.jpg")); err != nil {
			os.MkdirAll(framesDir, 0o755)
			out, err := exec.Command(ffmpeg(t), "-hide_banner", "-loglevel", "error", "-y", "-ss", "60", "-t", "3.4",
				"-i", filepath.Join(videosDir(t), "franck.mp4"), "-vf", "fps=10,scale=600:480,pad=640:480:20:0", "-q:v", "4",
				"-start_number", "0", filepath.Join(framesDir, "f%02d.jpg")).CombinedOutput()
			if err != nil {
				materialErr = fmt.Errorf("ffmpeg frames: %v: %s", err, out)
				return
			}
		}
		names, _ := filepath.Glob(filepath.Join(framesDir, "f*.jpg"))
		sort.Strings(names)
		for _, n := range names {
			b, _ := os.ReadFile(n)
			materialVal.frames = append(materialVal.frames, b)
		}
	})
	if materialErr != nil {
		t.Fatal(materialErr)
	}
	return materialVal
}

// verifyOnce runs a whole OCR + silent-liveness verification over the API.
func verifyOnce(e *testenv.Env, planID string, m material, name, number string) (*h5Client, error) {
	h, err := openH5(e.URL, e.Generate(planID))
	if err != nil {
		return nil, err
	}
	if _, err := h.json("POST", "start", nil); err != nil {
		return h, err
	}
	res, err := h.call("POST", "card?side=front", m.card, "image/jpeg")
	if err != nil {
		return h, err
	}
	if res["accepted"] != true {
		return h, fmt.Errorf("card refused: %v", res["reason"])
	}
	if _, err := h.json("POST", "confirm", map[string]string{"name": name, "id_number": number}); err != nil {
		return h, err
	}
	ch, err := h.json("POST", "challenge", map[string]bool{})
	if err != nil {
		return h, err
	}
	id := obj(ch, "challenge")["id"].(string)
	begin := time.Now()
	n := min(len(m.frames), 32)
	for i := 0; i < n; i++ {
		// Frames go out as they are taken, 100 ms apart, like the page does.
		if wait := time.Duration(i)*100*time.Millisecond - time.Since(begin); wait > 0 {
			time.Sleep(wait)
		}
		if _, err := h.call("PUT", fmt.Sprintf("frame?challenge=%s&index=%d&at=%d", id, i, i*100), m.frames[i], "image/jpeg"); err != nil {
			return h, err
		}
	}
	out, err := h.json("POST", "capture", map[string]any{"challenge": id, "frames": n})
	if err != nil {
		return h, err
	}
	if d := obj(out, "decision"); d["passed"] != true {
		return h, fmt.Errorf("not passed: %v", d["reason"])
	}
	return h, nil
}

func ocrSilentPlan(e *testenv.Env) string {
	o := plan.Defaults()
	o.Liveness.Mode = plan.LivenessSilent
	return e.CreatePlan(o)
}

// BenchmarkRealH5Verification: server time of one whole successful H5
// verification (entry, consent, card OCR, confirm, challenge, 32 frames,
// decision), without the 3.2 s the capture itself takes on the phone.
//
//	go test -run '^$' -bench RealH5Verification -benchtime 1x ./internal/h5/e2e/
func BenchmarkRealH5Verification(b *testing.B) {
	e := realEnv(b)
	m := loadMaterial(b)
	planID := ocrSilentPlan(e)
	p := cardPerson()
	// One unmeasured run loads the models' lazy state (first inference is slow).
	if _, err := verifyOnce(e, planID, m, p.Name, p.Number); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var total time.Duration
	steps := map[string]time.Duration{}
	for i := 0; i < b.N; i++ {
		h, err := verifyOnce(e, planID, m, p.Name, p.Number)
		if err != nil {
			b.Fatal(err)
		}
		total += h.server
		for k, v := range h.steps {
			steps[k] += v
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "server-ms/op")
	for _, k := range []string{"card", "capture", "frame", "challenge", "entry", "start", "confirm"} {
		b.ReportMetric(float64(steps[k].Milliseconds())/float64(b.N), k+"-ms/op")
	}
}

// BenchmarkRealH5Concurrent20 runs 20 H5 sessions at once and fails on any error.
//
//	go test -run '^$' -bench RealH5Concurrent20 -benchtime 1x ./internal/h5/e2e/
func BenchmarkRealH5Concurrent20(b *testing.B) {
	e := realEnv(b)
	m := loadMaterial(b)
	planID := ocrSilentPlan(e)
	p := cardPerson()
	if _, err := verifyOnce(e, planID, m, p.Name, p.Number); err != nil { // warm-up
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		times := make(chan time.Duration, 20)
		t0 := time.Now()
		for s := 0; s < 20; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, err := verifyOnce(e, planID, m, p.Name, p.Number)
				if err != nil {
					errs <- err
				}
				if h != nil {
					times <- h.server
				}
			}()
		}
		wg.Wait()
		close(errs)
		close(times)
		var all []string
		for err := range errs {
			all = append(all, err.Error())
		}
		var worst, sum time.Duration
		for d := range times {
			sum += d
			worst = max(worst, d)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "wall-s")
		b.ReportMetric(float64(sum.Milliseconds())/20, "server-ms/session")
		b.ReportMetric(float64(worst.Milliseconds()), "worst-server-ms")
		if len(all) > 0 {
			b.Fatalf("%d of 20 sessions failed:\n%s", len(all), strings.Join(all, "\n"))
		}
	}
}
