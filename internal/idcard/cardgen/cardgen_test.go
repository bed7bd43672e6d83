package cardgen

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/idcard"
)

func loadFontsOrSkip(t testing.TB) *Fonts {
	t.Helper()
	f, err := LoadFonts()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("fonts missing under CI: %v", err)
		}
		t.Skipf("fonts not installed (apt-get install fonts-noto-cjk fonts-ocr-b): %v", err)
	}
	return f
}

var now = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

func TestGenerateSamplesHaveConsistentTruth(t *testing.T) {
	g := New(loadFontsOrSkip(t), LoadPortraits("../../../testdata/fetched", 8))
	out := filepath.Join("..", "..", "..", "testdata", "generated", "cardgen")
	_ = os.MkdirAll(out, 0o755)
	for i := 0; i < 6; i++ {
		s, err := g.Generate(1, i, now, DefaultMix())
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(s.JPEG))
		if err != nil {
			t.Fatalf("sample %d: not a JPEG: %v", i, err)
		}
		if img.Bounds().Dx() < 700 {
			t.Errorf("sample %d: %v too small", i, img.Bounds())
		}
		tr := s.Truth
		if tr.Side == "front" {
			if tr.Fields["姓名"] == "" || len(tr.Fields["出生"]) != 8 {
				t.Errorf("sample %d: front truth incomplete: %v", i, tr.Fields)
			}
			if n, ok := tr.Fields["公民身份号码"]; ok && tr.NumberType == idcard.NumberTypeInvalid {
				t.Errorf("sample %d: invalid number %s kept in truth", i, n)
			}
		} else if tr.Fields["签发机关"] == "" {
			t.Errorf("sample %d: back truth incomplete: %v", i, tr.Fields)
		}
		_ = os.WriteFile(filepath.Join(out, tr.File), s.JPEG, 0o644)
		js, _ := json.MarshalIndent(tr, "", " ")
		_ = os.WriteFile(filepath.Join(out, tr.File+".json"), js, 0o644)
	}
}

func TestValidPersonNumbersValidate(t *testing.T) {
	r := newRand(7)
	for i := 0; i < 200; i++ {
		p := RandomPerson(r, now, 0)
		if got := idcard.ClassifyNumber(p.Number, p.Sex, p.Birth, true, now); got != idcard.NumberTypeConsistent {
			t.Fatalf("person %d (%s %s %s): number type %d", i, p.Number, p.Sex, p.Birth, got)
		}
	}
}
