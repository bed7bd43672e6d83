package ocr

import (
	"math"
	"strings"
	"testing"
)

// A probability map with one tilted text bar and one speck must yield one
// box: the bar's, at its angle, grown by the unclip distance.
func TestDBBoxesFindsTiltedBar(t *testing.T) {
	const w, h = 200, 120
	prob := make([]float32, w*h)
	ang := 10 * math.Pi / 180
	cx, cy, hl, hw := 100.0, 60.0, 60.0, 8.0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			u := dx*math.Cos(ang) + dy*math.Sin(ang)
			v := -dx*math.Sin(ang) + dy*math.Cos(ang)
			if math.Abs(u) <= hl && math.Abs(v) <= hw {
				prob[y*w+x] = 0.9
			}
		}
	}
	prob[5*w+5] = 0.9 // a one-pixel speck: below min size
	boxes := dbBoxes(prob, w, h, DefaultDBParams())
	if len(boxes) != 1 {
		t.Fatalf("got %d boxes, want 1: %+v", len(boxes), boxes)
	}
	b := boxes[0]
	if got := b.Quad.Angle() * 180 / math.Pi; math.Abs(got-10) > 2 {
		t.Errorf("angle %.1f°, want 10°", got)
	}
	// Unclip distance = area·1.5/perimeter of the kernel (120×16).
	d := 120.0 * 16 * 1.5 / (2 * (120 + 16))
	if got, want := b.Quad.Width(), 120+2*d; math.Abs(got-want) > 4 {
		t.Errorf("width %.1f, want %.1f", got, want)
	}
	if got, want := b.Quad.Height(), 16+2*d; math.Abs(got-want) > 4 {
		t.Errorf("height %.1f, want %.1f", got, want)
	}
	if b.Score < 0.75 { // edge pixels of the tilted bar are partly outside it
		t.Errorf("score %.2f", b.Score)
	}
	c := b.Quad.Center()
	if math.Hypot(c.X-cx, c.Y-cy) > 2 {
		t.Errorf("centre %v", c)
	}
}

func TestDBBoxesDropsWeakRegions(t *testing.T) {
	const w, h = 64, 64
	prob := make([]float32, w*h)
	for y := 20; y < 40; y++ {
		for x := 10; x < 50; x++ {
			prob[y*w+x] = 0.4 // above thresh 0.3, below box_thresh 0.5
		}
	}
	if boxes := dbBoxes(prob, w, h, DefaultDBParams()); len(boxes) != 0 {
		t.Fatalf("weak region kept: %+v", boxes)
	}
	if boxes := dbBoxes(nil, 0, 0, DefaultDBParams()); boxes != nil {
		t.Fatal("empty map gave boxes")
	}
}

func TestDecodeCTC(t *testing.T) {
	d, err := ReadDict(strings.NewReader("a\nb\nc\n"))
	if err != nil {
		t.Fatal(err)
	}
	C := d.Classes() // blank, a, b, c, space
	if C != 5 {
		t.Fatalf("classes %d", C)
	}
	// steps: a a blank a b space c → "aa b c" minus merges = "aab c"
	seq := []int{1, 1, 0, 1, 2, 4, 3, 3}
	probs := make([]float32, len(seq)*C)
	for t, c := range seq {
		for k := 0; k < C; k++ {
			probs[t*C+k] = 0.02
		}
		probs[t*C+c] = 0.9
	}
	probs[1*C+1] = 0.6 // a lower-confidence repeat
	text, score, chars := decodeCTC(probs, len(seq), C, d)
	if text != "aab c" {
		t.Fatalf("text %q", text)
	}
	if len(chars) != 5 || chars[0].Conf != 0.6 || chars[0].End != 2.0/8 {
		t.Errorf("chars %+v", chars)
	}
	if score <= 0.8 || score >= 0.9 {
		t.Errorf("score %v", score)
	}
	if text, _, _ := decodeCTC(make([]float32, 3*C), 3, C, d); text != "" {
		t.Errorf("all-blank decoded as %q", text)
	}
}

func TestHomographyRoundTrip(t *testing.T) {
	q := Quad{{10, 20}, {300, 40}, {290, 200}, {5, 180}}
	h, ok := QuadToRect(q, 100, 50)
	if !ok {
		t.Fatal("fit failed")
	}
	for i, p := range []Point{{0, 0}, {100, 0}, {100, 50}, {0, 50}} {
		if g := h.Apply(p); math.Hypot(g.X-q[i].X, g.Y-q[i].Y) > 1e-6 {
			t.Errorf("corner %d → %v, want %v", i, g, q[i])
		}
	}
	inv, ok := h.Inverse()
	if !ok {
		t.Fatal("not invertible")
	}
	if p := inv.Apply(q[2]); math.Hypot(p.X-100, p.Y-50) > 1e-6 {
		t.Errorf("inverse %v", p)
	}
}

func TestCTCLogLikelihood(t *testing.T) {
	// Two steps, classes blank(0), a(1), b(2): P("a") sums the paths
	// a·a, a·blank, blank·a.
	probs := []float32{0.2, 0.7, 0.1, 0.3, 0.6, 0.1}
	want := 0.7*0.6 + 0.7*0.3 + 0.2*0.6
	if got := math.Exp(ctcLogLikelihood(probs, 2, 3, []int{1})); math.Abs(got-want) > 1e-6 {
		t.Errorf("P(a) = %v, want %v", got, want)
	}
	// "ab" in two steps: only a·b.
	if got := math.Exp(ctcLogLikelihood(probs, 2, 3, []int{1, 2})); math.Abs(got-0.7*0.1) > 1e-6 {
		t.Errorf("P(ab) = %v", got)
	}
	// "aa" needs a blank between: impossible in two steps.
	if got := math.Exp(ctcLogLikelihood(probs, 2, 3, []int{1, 1})); got > 1e-20 {
		t.Errorf("P(aa) = %v", got)
	}
}
