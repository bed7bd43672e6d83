package glyph

import (
	"errors"
	"image"
	"image/draw"
	"math/rand/v2"
	"os"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

func openMatcher(t *testing.T) *Matcher {
	t.Helper()
	m, err := OpenDefault()
	if err != nil {
		if os.Getenv("CI") != "" || !errors.Is(err, ErrNoFonts) {
			t.Fatalf("fonts: %v", err)
		}
		t.Skipf("fonts-noto-cjk not installed: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// picture draws r dark on a light, noisy background, the way a card shows
// a character, with its neighbours' edges in the margin.
func picture(t *testing.T, m *Matcher, r rune, px float64, seed uint64) *image.Gray {
	t.Helper()
	fc, err := opentype.NewFace(m.fonts[0], &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	w, h := int(2*px), int(1.7*px)
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(image.White), image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.NewUniform(image.Black), Face: fc,
		Dot: fixed.Point26_6{X: fixed.I(int(px / 2)), Y: fixed.I(int(1.2 * px))}}
	d.DrawString(string(r))
	rng := rand.New(rand.NewPCG(seed, 1))
	for i, v := range img.Pix {
		n := float64(v)*0.7 + 50 + rng.NormFloat64()*12
		img.Pix[i] = uint8(max(0, min(255, n)))
	}
	return img
}

func TestScorePrefersTheCharacterDrawn(t *testing.T) {
	m := openMatcher(t)
	pairs := [][2]rune{{'佘', '余'}, {'旸', '肠'}, {'彧', '或'}, {'骞', '赛'}, {'亓', '元'}}
	for i, p := range pairs {
		for k, drawn := range p {
			other := p[1-k]
			pic := picture(t, m, drawn, 28, uint64(i))
			sc := m.Score(pic, 29, []rune{other, drawn})
			if sc[1] <= sc[0] || sc[1] < 0.8 {
				t.Errorf("%c drawn: score %.3f, %c scores %.3f", drawn, sc[1], other, sc[0])
			}
		}
	}
}

func TestScoreUnknownAndBlank(t *testing.T) {
	m := openMatcher(t)
	blank := image.NewGray(image.Rect(0, 0, 60, 50))
	for i := range blank.Pix {
		blank.Pix[i] = 200
	}
	// A flat picture correlates with nothing; a rune no font has scores −1.
	sc := m.Score(blank, 28, []rune{'王', '\U000F0000'})
	if sc[0] != -1 || sc[1] != -1 {
		t.Errorf("blank picture scores %v, want -1 -1", sc)
	}
	// A picture smaller than every glyph size cannot be matched.
	if sc := m.Score(image.NewGray(image.Rect(0, 0, 5, 5)), 28, []rune{'王'}); sc[0] != -1 {
		t.Errorf("tiny picture scores %v", sc)
	}
}

func TestOpenWithoutFonts(t *testing.T) {
	_, err := Open("/nonexistent/font.ttc", "/dev/null")
	if !errors.Is(err, ErrNoFonts) {
		t.Fatalf("err %v, want ErrNoFonts", err)
	}
	var m *Matcher
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// One unsure name character: four candidates, three fonts, eleven sizes.
func BenchmarkScoreFourCandidates(b *testing.B) {
	m, err := OpenDefault()
	if err != nil {
		b.Skip(err)
	}
	defer m.Close()
	t := &testing.T{}
	pic := picture(t, m, '旸', 28, 1)
	cands := []rune{'肠', '旸', '陽', '砀'}
	b.ResetTimer()
	for range b.N {
		m.Score(pic, 29, cands)
	}
}
