package ocr

import (
	"context"
	"errors"
	"image"
	_ "image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/faceprint/faceprint/internal/vision"
)

// modelsDir is where scripts/fetch-models.sh installs the runtime and models.
func modelsDir() string {
	if d := os.Getenv("FACEPRINT_MODELS_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "models")
}

// openEngine opens the real engine, skipping only when the models are absent outside CI.
func openEngine(t testing.TB) *Engine {
	t.Helper()
	dir := modelsDir()
	rt, err := vision.OpenRuntime(vision.LibPath(dir))
	if err == nil {
		var e *Engine
		e, err = Open(rt, filepath.Join(dir, "ocr"), Config{})
		if err == nil {
			t.Cleanup(func() { e.Close(); rt.Close() })
			return e
		}
		rt.Close()
	}
	if os.Getenv("CI") != "" || !errors.Is(err, vision.ErrNotInstalled) {
		t.Fatalf("OCR models missing under CI: %v", err)
	}
	t.Skipf("OCR models not installed (scripts/fetch-models.sh): %v", err)
	return nil
}

func loadImage(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("no image %s: %v", path, err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestReadDebug(t *testing.T) {
	e := openEngine(t)
	for _, n := range []string{"card_00000", "card_00001", "card_00002", "card_00003"} {
		img := loadImage(t, "../../../testdata/generated/cardgen/"+n+".jpg")
		res, err := e.Read(context.Background(), img, Options{Uniform: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s angle %.2f", n, res.Angle)
		for _, l := range res.Lines {
			t.Logf("  %q %.3f box %.0f", l.Text, l.Score, l.Box)
		}
	}
}
