package face

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/faceprint/faceprint/internal/vision"
)

var (
	engOnce sync.Once
	engVal  *Engine
	engErr  error
)

func repoRoot() string { return filepath.Join("..", "..", "..") }

// need skips when a file the test needs is missing, unless CI is set: then
// it fails (the set-up scripts must have installed it).
func need(t testing.TB, path, script string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing (run %s): %v", path, script, err)
		}
		t.Skipf("%s missing: run %s", path, script)
	}
}

func modelsDir() string {
	if d := os.Getenv("FACEPRINT_MODELS_DIR"); d != "" {
		return d
	}
	return filepath.Join(repoRoot(), "models")
}

// testEngine opens one engine with every model for the whole test binary.
func testEngine(t testing.TB) *Engine {
	t.Helper()
	dir := modelsDir()
	need(t, vision.LibPath(dir), "scripts/fetch-models.sh")
	need(t, filepath.Join(dir, "face", fileFeature), "scripts/fetch-models.sh")
	engOnce.Do(func() {
		var rt *vision.Runtime
		rt, engErr = vision.OpenRuntime(vision.LibPath(dir))
		if engErr != nil {
			return
		}
		engVal, engErr = Open(rt, dir, Options{Workers: 4})
	})
	if engErr != nil {
		t.Fatal(engErr)
	}
	return engVal
}

// photo loads testdata/fetched/rel (scripts/fetch-testdata.sh).
func photo(t testing.TB, rel string) *image.NRGBA {
	t.Helper()
	p := filepath.Join(repoRoot(), "testdata", "fetched", rel)
	need(t, p, "scripts/fetch-testdata.sh")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := vision.Decode(b, vision.Limits{})
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return img
}

func jpegRoundTrip(t testing.TB, img image.Image, q int) *image.NRGBA {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	out, err := vision.Decode(b.Bytes(), vision.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func largestEmb(t testing.TB, e *Engine, img *image.NRGBA) (FaceEmbedding, bool) {
	t.Helper()
	r, err := e.Largest(context.Background(), img)
	if err == ErrNoFace {
		return r, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return r, true
}
