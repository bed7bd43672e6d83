package liveness

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/faceprint/faceprint/internal/liveness/fixtures"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/face"
)

var repoRoot = filepath.Join("..", "..")

var (
	engOnce sync.Once
	engVal  *Engine
	engErr  error
)

// needData skips (or fails under CI) when path is absent.
func needData(t testing.TB, path, how string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing under CI (%s): %v", path, how, err)
		}
		t.Skipf("%s missing: run %s", path, how)
	}
}

// testEngine opens the real models once per test binary.
func testEngine(t testing.TB) *Engine {
	t.Helper()
	models := filepath.Join(repoRoot, "models")
	needData(t, vision.LibPath(models), "scripts/fetch-models.sh")
	needData(t, filepath.Join(models, "face", "fr_liveness.onnx"), "scripts/fetch-models.sh")
	engOnce.Do(func() {
		rt, err := vision.OpenRuntime(vision.LibPath(models))
		if err != nil {
			engErr = err
			return
		}
		fe, err := face.Open(rt, models, face.Options{Workers: 2})
		if err != nil {
			engErr = err
			return
		}
		engVal, engErr = New(fe, Options{})
	})
	if engErr != nil {
		t.Fatal(engErr)
	}
	return engVal
}

func videosDir(t testing.TB) string {
	d := filepath.Join(repoRoot, "testdata", "fetched", "videos")
	needData(t, filepath.Join(d, "franck.mp4"), "scripts/fetch-videos.sh")
	return d
}

func genDir() string { return filepath.Join(repoRoot, "testdata", "generated", "liveness") }

// clipBytes cuts (once) and reads a labelled clip.
func clipBytes(t testing.TB, c fixtures.Clip) []byte {
	t.Helper()
	p := fixtures.ClipPath(genDir(), c)
	if err := fixtures.Cut(context.Background(), filepath.Join(videosDir(t), c.Source), c.Start, c.End, p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
