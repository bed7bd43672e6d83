package idcard

import (
	"image"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// The table-driven FFT must agree with the textbook DFT.
func TestFFTMatchesDFT(t *testing.T) {
	const n = 64
	l := spectrumLayoutFor(n)
	rng := rand.New(rand.NewPCG(1, 2))
	a := make([]complex128, n)
	for i := range a {
		a[i] = complex(rng.Float64()-0.5, rng.Float64()-0.5)
	}
	want := make([]complex128, n)
	for k := range n {
		for j := range n {
			want[k] += a[j] * cmplx.Exp(complex(0, -2*math.Pi*float64(j*k)/n))
		}
	}
	l.fft(a)
	for k := range n {
		if cmplx.Abs(a[k]-want[k]) > 1e-9 {
			t.Fatalf("bin %d: %v, want %v", k, a[k], want[k])
		}
	}
}

// A fine periodic pattern over the whole card (a display's pixel grid)
// peaks far above what random texture reaches; a greyscale texture has no
// chroma peak at all.
func TestScreenPeak(t *testing.T) {
	const w, h = 1000, 700
	toImage := ocr.Homography{1, 0, 70, 0, 1, 80, 0, 0, 1} // card at (70, 80), full size
	rng := rand.New(rand.NewPCG(3, 4))
	noise := image.NewRGBA(image.Rect(0, 0, w, h))
	grid := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 150 + rng.IntN(40)
			o := y*noise.Stride + 4*x
			noise.Pix[o], noise.Pix[o+1], noise.Pix[o+2], noise.Pix[o+3] = uint8(v), uint8(v), uint8(v), 255
			// sub-pixel stripes of period 3 px in red−blue, as an LCD's RGB columns alias
			g := float64(v) + 30*math.Cos(2*math.Pi*float64(x)/3.3)
			grid.Pix[o], grid.Pix[o+1], grid.Pix[o+2], grid.Pix[o+3] = clamp8(g), uint8(v), clamp8(2*float64(v)-g), 255
		}
	}
	flat, screen := screenPeak(noise, toImage), screenPeak(grid, toImage)
	t.Logf("screen %.0f, texture %.0f", screen, flat)
	if screen < ScreenPeakMin || flat >= ScreenUnknownFrom {
		t.Errorf("screen peak %.0f (want ≥ %.0f), random texture %.0f (want < %.0f)", screen, ScreenPeakMin, flat, ScreenUnknownFrom)
	}
}

func clamp8(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }
