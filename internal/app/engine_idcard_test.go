package app

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/idcard/cardgen"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/vision"
)

func TestCardReaderAdapter(t *testing.T) {
	models := filepath.Join("..", "..", "models")
	rt, err := vision.OpenRuntime(vision.LibPath(models))
	if err == nil {
		defer rt.Close()
	}
	var r CardReader
	if err == nil {
		r.Reader, err = OpenIDCard(rt, EngineConfig{ModelsDir: models, Workers: 1, QueueWait: time.Minute})
	}
	if err != nil {
		if os.Getenv("CI") != "" || !errors.Is(err, vision.ErrNotInstalled) {
			t.Fatal(err)
		}
		t.Skipf("OCR models not installed: %v", err)
	}
	defer r.Reader.Close()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	r.Clock = func() time.Time { return now }
	fonts, err := cardgen.LoadFonts()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	g := cardgen.New(fonts, cardgen.LoadPortraits(filepath.Join("..", "..", "testdata", "fetched"), 4))
	seen := map[string]bool{}
	for i := 0; len(seen) < 2 && i < 10; i++ {
		s, err := g.Generate(13, i, now, cardgen.Mix{})
		if err != nil {
			t.Fatal(err)
		}
		if seen[s.Truth.Side] {
			continue
		}
		seen[s.Truth.Side] = true
		got, err := r.ReadCard(context.Background(), s.JPEG, verify.CardSide(s.Truth.Side))
		if err != nil {
			t.Fatal(err)
		}
		if got.ErrorCode != 0 || got.ImageStatus != "normal" || got.RiskType != "normal" || got.ModelInfo == "" {
			t.Errorf("%s: %+v", s.Truth.Side, got)
		}
		f := got.Fields
		var raw map[string]any
		if err := json.Unmarshal(got.Raw, &raw); err != nil || raw["words_result"] == nil {
			t.Errorf("raw is not Baidu-shaped: %s", got.Raw)
		}
		if s.Truth.Side == "front" {
			if f.IDCardNumber != s.Truth.Fields["公民身份号码"] || f.Birthday != s.Truth.Fields["出生"] || f.Gender != s.Truth.Fields["性别"] {
				t.Errorf("front fields %+v, truth %v", f, s.Truth.Fields)
			}
			if f.IssueAuthority != "" {
				t.Errorf("back field set on a front: %+v", f)
			}
			if len(got.Portrait) < 1000 || got.NumberType != 1 {
				t.Errorf("portrait %d bytes, number type %d", len(got.Portrait), got.NumberType)
			}
		} else {
			if f.IssueTime != s.Truth.Fields["签发日期"] || f.ExpireTime != s.Truth.Fields["失效日期"] || f.Name != "" {
				t.Errorf("back fields %+v, truth %v", f, s.Truth.Fields)
			}
		}
	}
	bad, err := r.ReadCard(context.Background(), []byte("not an image"), verify.SideFront)
	if err != nil || bad.ErrorCode != 216201 {
		t.Errorf("bad image: %+v, %v", bad, err)
	}
}
