package ocr

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"
)

// The scale-only fast path must render exactly what the general path does
// (the detector's input, and so every box, depends on it).
func TestWarpScaleMatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	src := image.NewRGBA(image.Rect(0, 0, 1152, 864))
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.IntN(256))
	}
	for _, c := range []struct {
		h     Homography
		w, h2 int
	}{
		{Homography{1152.0 / 960, 0, 0, 0, 864.0 / 736, 0, 0, 0, 1}, 960, 736}, // detector resize
		{Homography{0.25, 0, 0, 0, 0.25, 0, 0, 0, 1}, 800, 600},                // small-photo enlargement
		{Homography{1.7, 0, -13.25, 0, 0.9, 40.5, 0, 0, 1}, 700, 1000},         // shifted, past the edges
	} {
		fast, slow := image.NewRGBA(image.Rect(0, 0, c.w, c.h2)), image.NewRGBA(image.Rect(0, 0, c.w, c.h2))
		warpScale(src, c.h, fast)
		warpGeneral(src, c.h, slow)
		if !bytes.Equal(fast.Pix, slow.Pix) {
			t.Errorf("%v: fast path differs", c.h)
		}
	}
}

func BenchmarkWarpDetectorResize(b *testing.B) {
	src := image.NewRGBA(image.Rect(0, 0, 1152, 864))
	h := Homography{1152.0 / 960, 0, 0, 0, 864.0 / 736, 0, 0, 0, 1}
	dst := image.NewRGBA(image.Rect(0, 0, 960, 736))
	b.Run("scale", func(b *testing.B) {
		for b.Loop() {
			warpScale(src, h, dst)
		}
	})
	b.Run("general", func(b *testing.B) {
		for b.Loop() {
			warpGeneral(src, h, dst)
		}
	})
}
