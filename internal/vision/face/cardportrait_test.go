package face

import (
	"image"
	"math"
	"testing"
)

func grating(w, h int, period, amp float64) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(128 + amp*math.Cos(2*math.Pi*float64(x)/period) + 0.5)
			o := img.PixOffset(x, y)
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = v, v, v, 255
		}
	}
	return img
}

// amplitude is half the grey range of row h/2, away from the borders.
func amplitude(img *image.NRGBA) float64 {
	lo, hi := 255.0, 0.0
	y := img.Rect.Dy() / 2
	for x := 8; x < img.Rect.Dx()-8; x++ {
		v := float64(img.Pix[img.PixOffset(x, y)])
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return (hi - lo) / 2
}

func TestCardPortraitOps(t *testing.T) {
	// A Gaussian attenuates a grating of period P by exp(−2π²σ²/P²):
	// σ 1 on a 4-px pattern leaves ~29 %, on a 16-px one ~93 %.
	fine, coarse := GaussianBlur(grating(64, 16, 4, 40), 1), GaussianBlur(grating(64, 16, 16, 40), 1)
	if a := amplitude(fine); a < 0.2*40 || a > 0.4*40 {
		t.Errorf("σ 1 on period 4: amplitude %.1f, want ~%.1f", a, 0.29*40)
	}
	if a := amplitude(coarse); a < 0.85*40 {
		t.Errorf("σ 1 on period 16: amplitude %.1f, want ~%.1f", a, 0.93*40)
	}
	// The median removes an isolated dot and keeps a step edge sharp.
	img := grating(16, 16, 1e9, 0) // flat 168
	o := img.PixOffset(8, 8)
	img.Pix[o] = 0
	for y := 0; y < 16; y++ {
		for x := 10; x < 16; x++ {
			img.Pix[img.PixOffset(x, y)+1] = 20
		}
	}
	m := Median3(img)
	if got := m.Pix[o]; got != img.Pix[o+4] {
		t.Errorf("median left the dot: %d", got)
	}
	if m.Pix[m.PixOffset(9, 4)+1] != img.Pix[img.PixOffset(9, 4)+1] || m.Pix[m.PixOffset(10, 4)+1] != 20 {
		t.Error("median moved the edge")
	}
	// Stretch: a 100–150 ramp spans 0–255 after; a flat image is left alone.
	ramp := image.NewNRGBA(image.Rect(0, 0, 51, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x <= 50; x++ {
			o := ramp.PixOffset(x, y)
			ramp.Pix[o], ramp.Pix[o+1], ramp.Pix[o+2], ramp.Pix[o+3] = uint8(100+x), uint8(100+x), uint8(100+x), 255
		}
	}
	s := StretchContrast(ramp, 0, 1)
	if s.Pix[0] != 0 || s.Pix[s.PixOffset(50, 0)] != 255 {
		t.Errorf("stretch: %d … %d", s.Pix[0], s.Pix[s.PixOffset(50, 0)])
	}
	flat := grating(32, 32, 1e9, 0)
	if c := CLAHE(flat, 4, 2); c.Pix[c.PixOffset(5, 5)] < 100 || StretchContrast(flat, 0.01, 0.99).Pix[0] != flat.Pix[0] {
		t.Error("a flat image changed")
	}
	if u := Upscale(ramp, 2); u.Rect.Dx() != 102 || u.Rect.Dy() != 8 {
		t.Errorf("upscale: %v", u.Rect)
	}
	// Inputs are never modified.
	if ramp.Pix[0] != 100 || img.Pix[o] != 0 {
		t.Error("input modified")
	}
}
