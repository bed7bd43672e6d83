package idcard_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/idcard"
	"github.com/faceprint/faceprint/internal/idcard/cardgen"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/ocr"
)

var testNow = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

func modelsDir() string {
	if d := os.Getenv("FACEPRINT_MODELS_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "models")
}

func openReader(t testing.TB) *idcard.Reader {
	t.Helper()
	dir := modelsDir()
	rt, err := vision.OpenRuntime(vision.LibPath(dir))
	if err == nil {
		var r *idcard.Reader
		r, err = idcard.Open(rt, dir, ocr.Config{})
		if err == nil {
			t.Cleanup(func() { r.Close(); rt.Close() })
			return r
		}
		rt.Close()
	}
	if os.Getenv("CI") != "" || !errors.Is(err, vision.ErrNotInstalled) {
		t.Fatalf("OCR models: %v", err)
	}
	t.Skipf("OCR models not installed (scripts/fetch-models.sh): %v", err)
	return nil
}

func generator(t testing.TB) *cardgen.Generator {
	t.Helper()
	f, err := cardgen.LoadFonts()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("fonts: %v", err)
		}
		t.Skipf("fonts not installed: %v", err)
	}
	return cardgen.New(f, cardgen.LoadPortraits(filepath.Join("..", "..", "testdata", "fetched"), 16))
}

func TestDebugRead(t *testing.T) {
	r := openReader(t)
	g := generator(t)
	for i := 0; i < 12; i++ {
		s, err := g.Generate(3, i, testNow, cardgen.DefaultMix())
		if err != nil {
			t.Fatal(err)
		}
		rd, err := r.ReadBytes(context.Background(), s.JPEG, vision.Limits{}, idcard.Options{Side: s.Truth.AskSide, Now: testNow, DetectRisk: true, DetectDirection: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d %s %s ask=%s status=%s/%s risk=%s/%s dir=%d/%d %dms %v m=%+v", i, s.Truth.Capture.Describe(), s.Truth.Side, s.Truth.AskSide,
			rd.Response.ImageStatus, s.Truth.ImageStatus, rd.Response.RiskType, s.Truth.RiskType, *rd.Response.Direction, s.Truth.Direction, rd.Millis, rd.Timing, rd.Measures)
		for k, v := range s.Truth.Fields {
			if rd.Fields[k] != v {
				t.Logf("   %s: got %q want %q", k, rd.Fields[k], v)
			}
		}
	}
}

func TestDebugLines(t *testing.T) {
	if os.Getenv("DEBUG_CARD") == "" {
		t.Skip("debug only")
	}
	r := openReader(t)
	g := generator(t)
	s, _ := g.Generate(3, 11, testNow, cardgen.DefaultMix())
	os.WriteFile("/tmp/dbg.jpg", s.JPEG, 0o644)
	img, _ := vision.Decode(s.JPEG, vision.Limits{})
	res, _ := r.OCR().Read(context.Background(), img, ocr.Options{Uniform: true})
	for _, l := range res.Lines {
		t.Logf("%q %.0f", l.Text, l.Box)
	}
}
