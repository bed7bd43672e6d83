package idcard

import (
	"image"
	"testing"

	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// A place with printed strokes counts as inked, blank card background not:
// only inked places are re-read for dropped characters.
func TestInkAt(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, CardW, CardH))
	for i := range img.Pix {
		img.Pix[i] = 225
	}
	// three horizontal strokes of a 30-px character at (200, 100)
	for _, y := range []int{88, 100, 112} {
		for x := 186; x < 214; x++ {
			for dy := range 3 {
				o := (y+dy)*img.Stride + 4*x
				img.Pix[o], img.Pix[o+1], img.Pix[o+2] = 30, 30, 30
			}
		}
	}
	a := &analysis{cardImg: img, measures: Measures{InkLuma: 30, MeanLuma: 220}}
	if v := a.inkAt(ocr.Point{X: 200, Y: 100}, 30); v < 0.1 {
		t.Errorf("character: ink %.3f, want ≥ 0.1", v)
	}
	if v := a.inkAt(ocr.Point{X: 400, Y: 100}, 30); v >= GlyphMinInk {
		t.Errorf("blank: ink %.3f, want < %.2f", v, GlyphMinInk)
	}
}
