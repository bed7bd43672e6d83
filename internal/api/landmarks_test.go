package api

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/faceprint/faceprint/internal/vision/face"
)

// ibugMean is a rough mean iBUG 68 shape (x right, y down, face about 200 px wide).
func ibugMean() lm {
	raw := [68][2]float64{
		{0, 40}, {2, 66}, {6, 92}, {12, 116}, {22, 139}, {38, 158}, {57, 173}, {78, 183}, {100, 186},
		{122, 183}, {143, 173}, {162, 158}, {178, 139}, {188, 116}, {194, 92}, {198, 66}, {200, 40},
		{18, 20}, {32, 10}, {50, 8}, {66, 11}, {82, 17}, {118, 17}, {134, 11}, {150, 8}, {168, 10}, {182, 20},
		{100, 40}, {100, 57}, {100, 74}, {100, 92}, {80, 104}, {90, 108}, {100, 111}, {110, 108}, {120, 104},
		{36, 42}, {46, 36}, {58, 36}, {68, 43}, {58, 46}, {46, 46},
		{132, 43}, {142, 36}, {154, 36}, {164, 42}, {154, 46}, {142, 46},
		{68, 138}, {80, 130}, {92, 126}, {100, 128}, {108, 126}, {120, 130}, {132, 138},
		{120, 148}, {110, 153}, {100, 154}, {90, 153}, {80, 148},
		{72, 138}, {90, 134}, {100, 135}, {110, 134}, {128, 138}, {110, 142}, {100, 143}, {90, 142},
	}
	var l lm
	for i, p := range raw {
		l[i] = face.Point{X: p[0], Y: p[1]}
	}
	return l
}

func inBox(p face.Point, x0, y0, x1, y1 float64) bool {
	return p.X >= x0 && p.X <= x1 && p.Y >= y0 && p.Y <= y1
}

func TestLandmark72Layout(t *testing.T) {
	l := ibugMean()
	p := landmark72(&l)
	if len(p) != 72 {
		t.Fatalf("landmark72 has %d points", len(p))
	}
	same := func(i, j int) {
		if math.Hypot(p[i].X-l[j].X, p[i].Y-l[j].Y) > 1e-9 {
			t.Errorf("landmark72[%d] = %v, want iBUG %d %v", i, p[i], j, l[j])
		}
	}
	same(0, 0)   // contour starts at the image-left ear
	same(6, 8)   // chin
	same(12, 16) // image-right ear
	same(13, 36) // image-left eye, outer corner
	same(17, 39) // its inner corner
	same(30, 42) // image-right eye, inner corner
	same(34, 45)
	same(57, 30) // nose tip
	same(58, 48) // mouth corners
	same(62, 54)
	// Groups land on the right facial part.
	for i := 13; i <= 21; i++ {
		if !inBox(p[i], 30, 30, 75, 50) {
			t.Errorf("left eye point %d at %v", i, p[i])
		}
	}
	for i := 22; i <= 29; i++ {
		if !inBox(p[i], 15, 5, 85, 30) {
			t.Errorf("left brow point %d at %v", i, p[i])
		}
	}
	for i := 30; i <= 38; i++ {
		if !inBox(p[i], 125, 30, 170, 50) {
			t.Errorf("right eye point %d at %v", i, p[i])
		}
	}
	for i := 39; i <= 46; i++ {
		if !inBox(p[i], 115, 5, 185, 30) {
			t.Errorf("right brow point %d at %v", i, p[i])
		}
	}
	for i := 47; i <= 57; i++ {
		if !inBox(p[i], 75, 40, 125, 115) {
			t.Errorf("nose point %d at %v", i, p[i])
		}
	}
	for i := 58; i <= 71; i++ {
		if !inBox(p[i], 65, 120, 135, 160) {
			t.Errorf("mouth point %d at %v", i, p[i])
		}
	}
	// pupils: the eye centres
	if !inBox(p[21], 48, 38, 56, 44) || !inBox(p[38], 144, 38, 152, 44) {
		t.Errorf("pupils %v %v", p[21], p[38])
	}
	// contour is evenly spaced along the jaw (arc-length resampling)
	first := math.Hypot(p[1].X-p[0].X, p[1].Y-p[0].Y)
	for i := 1; i <= 12; i++ {
		if d := math.Hypot(p[i].X-p[i-1].X, p[i].Y-p[i-1].Y); math.Abs(d-first) > first*0.05 {
			t.Errorf("contour step %d→%d = %.1f px, first step %.1f", i-1, i, d, first)
		}
	}
}

func TestLandmark150Layout(t *testing.T) {
	l := ibugMean()
	p := landmark150(&l)
	if len(p) != 150 {
		t.Fatalf("landmark150 has %d points", len(p))
	}
	seen := map[string]face.Point{}
	for _, np := range p {
		if _, dup := seen[np.Name]; dup {
			t.Errorf("duplicate name %s", np.Name)
		}
		seen[np.Name] = np.P
	}
	if seen["nose_tip"] != l[30] || seen["mouth_corner_left_outer"] != l[48] || seen["eye_right_corner_right"] != l[45] {
		t.Error("anchor points do not match their iBUG sources")
	}
	for name, pt := range seen {
		switch {
		case strings.HasPrefix(name, "eye_left_"):
			if !inBox(pt, 30, 30, 75, 50) {
				t.Errorf("%s at %v", name, pt)
			}
		case strings.HasPrefix(name, "mouth_"):
			if !inBox(pt, 65, 120, 135, 160) {
				t.Errorf("%s at %v", name, pt)
			}
		case strings.HasPrefix(name, "cheek_left_"):
			if pt.X > 100 {
				t.Errorf("%s at %v", name, pt)
			}
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]struct{ X, Y float64 }
	if err := json.Unmarshal(b, &m); err != nil || len(m) != 150 {
		t.Fatalf("landmark150 JSON: %v, %d keys", err, len(m))
	}
	if !strings.HasPrefix(string(b), `{"cheek_left_1":{"x":0,"y":40}`) {
		t.Errorf("JSON order/shape: %.60s", b)
	}
}
