package ocr_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/idcard/cardgen"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// modelsDir is where scripts/fetch-models.sh installs the runtime and models.
func modelsDir() string {
	if d := os.Getenv("FACEPRINT_MODELS_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "models")
}

// openEngine opens the real engine, skipping only when the models are absent outside CI.
func openEngine(t testing.TB) *ocr.Engine {
	t.Helper()
	dir := modelsDir()
	rt, err := vision.OpenRuntime(vision.LibPath(dir))
	if err == nil {
		var e *ocr.Engine
		e, err = ocr.Open(rt, filepath.Join(dir, "ocr"), ocr.Config{})
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

// cardPhoto renders a clean front of a fictional card (no degradation).
func cardPhoto(t testing.TB, seed int64) (image.Image, cardgen.Truth) {
	t.Helper()
	f, err := cardgen.LoadFonts()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	g := cardgen.New(f, nil)
	for i := 0; ; i++ {
		s, err := g.Generate(seed, i, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), cardgen.Mix{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Truth.Side != "front" {
			continue
		}
		img, err := jpeg.Decode(bytes.NewReader(s.JPEG))
		if err != nil {
			t.Fatal(err)
		}
		return img, s.Truth
	}
}

func rotate180(src image.Image) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dst.Set(b.Dx()-1-x, b.Dy()-1-y, src.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

// The generic pipeline reads every printed value of a card, upright and
// upside down (the classifier turns the lines, the angle says so).
func TestReadCardLines(t *testing.T) {
	e := openEngine(t)
	img, truth := cardPhoto(t, 21)
	for _, tc := range []struct {
		name  string
		img   image.Image
		angle float64
	}{{"upright", img, 0}, {"upside down", rotate180(img), math.Pi}} {
		res, err := e.Read(context.Background(), tc.img, ocr.Options{Uniform: true})
		if err != nil {
			t.Fatal(err)
		}
		var all strings.Builder
		for _, l := range res.Lines {
			all.WriteString(l.Text)
			if l.Score < 0.5 || len(l.Chars) != len([]rune(l.Text)) {
				t.Errorf("%s: line %q score %.2f chars %d", tc.name, l.Text, l.Score, len(l.Chars))
			}
		}
		text := all.String()
		for _, k := range []string{"姓名", "公民身份号码"} {
			want := truth.Fields[k]
			if k == "姓名" {
				want = "姓名" + want
			}
			if want != "" && !strings.Contains(text, want) {
				t.Errorf("%s: %q not read in %q", tc.name, want, text)
			}
		}
		d := math.Abs(math.Remainder(res.Angle-tc.angle, 2*math.Pi))
		if d > 0.4 {
			t.Errorf("%s: angle %.2f, want %.2f", tc.name, res.Angle, tc.angle)
		}
	}
}

func TestReadBlankAndTiny(t *testing.T) {
	e := openEngine(t)
	blank := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range blank.Pix {
		blank.Pix[i] = 200
	}
	res, err := e.Read(context.Background(), blank, ocr.Options{Uniform: true})
	if err != nil || len(res.Lines) != 0 {
		t.Errorf("blank image: %v lines, err %v", res, err)
	}
	tiny := image.NewRGBA(image.Rect(0, 0, 5, 5))
	if res, err := e.Read(context.Background(), tiny, ocr.Options{}); err != nil || len(res.Lines) != 0 {
		t.Errorf("tiny image: %v, %v", res, err)
	}
}

func BenchmarkReadCard(b *testing.B) {
	e := openEngine(b)
	img, _ := cardPhoto(b, 21)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Read(context.Background(), img, ocr.Options{Uniform: true}); err != nil {
			b.Fatal(err)
		}
	}
}
