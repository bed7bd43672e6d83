package liveness

import (
	"image"
	"math"
	"sort"

	"github.com/faceprint/faceprint/internal/vision/face"
)

// Positive evidence of a live face (docs/liveness.md § Evidence).
//
// The motion checks above judge only what moved enough to judge: a face
// that did not turn leaves non_planar_motion, appearance_change and
// yaw_parallax without a verdict (99). Abstaining is not evidence, so a
// capture must also show, by itself, that the face is not one rigid
// picture:
//
//   - face_change: the face registered onto itself by the best homography
//     and brightness change, between frames ≥ 0.8 s apart, against the same
//     registration between neighbouring frames (what noise, compression and
//     resampling leave). A picture, however it is moved, zoomed, rotated or
//     tilted, is a homography of itself: both residuals are that noise. A
//     face changes between moments: eyes move and blink, lips, skin
//     shading as the head sways, nose against cheek as it turns.
//   - scene_motion: the face's motion against the motion of the rest of the
//     frame. An injected or virtual-camera picture moves as a whole; a
//     person in front of a camera moves on their own.
const (
	evidenceLongMS   = 800  // "far apart" frame pairs for face_change
	evidenceMaxPairs = 10   // pairs registered at each lag
	evidenceMaxScale = 0.06 // face width change (log) of a comparable pair
	evidenceMaxRoll  = 3.0  // in-plane rotation (degrees) of a comparable pair
	evidenceMaxPose  = 5.0  // yaw or pitch difference (degrees) of a comparable pair
)

// faceChange returns the p75 face residual of far-apart frame pairs, the
// median of neighbouring pairs, and the counts; the ratio long/short is the
// score (NaN when too few pairs register).
func (a *analysis) faceChange() (long, short float64, nl, ns int) {
	var idx []int
	for _, i := range a.faces {
		o := a.obs[i]
		if o.Img != nil && o.Face.HasLandmarks && len(o.Shape) >= 68 {
			idx = append(idx, i)
		}
	}
	if len(idx) < 4 {
		return math.NaN(), math.NaN(), 0, 0
	}
	pyr := map[int][]greyPatch{}
	pyramid := func(i int) []greyPatch {
		if g, ok := pyr[i]; ok {
			return g
		}
		g := facePyramid(a.obs[i].Img, a.obs[i].Face)
		pyr[i] = g
		return g
	}
	resid := func(i, j int) float64 {
		oi, oj := a.obs[i], a.obs[j]
		h, _, ok := fitHomography(oi.Shape, oj.Shape)
		if !ok {
			return math.NaN()
		}
		grid, _ := faceGrid(oi.Face, planarGrid)
		return planarResidual(pyramid(i), pyramid(j), grid, h)
	}
	// Only pairs whose face has about the same scale, roll and pose are
	// compared: resampling a picture's fine texture at another scale or
	// perspective leaves a residual of its own, which grows with the motion
	// and so with the time apart (tilted prints and zooming photos read as
	// "change" without this). A face that turns a lot is the business of
	// non_planar_motion.
	alike := func(i, j int) bool {
		p, q := a.obs[i].Face, a.obs[j].Face
		sc := math.Abs(math.Log(max(q.Box.Width, 1) / max(p.Box.Width, 1)))
		rp := math.Atan2(p.KeyPoints[1].Y-p.KeyPoints[0].Y, p.KeyPoints[1].X-p.KeyPoints[0].X)
		rq := math.Atan2(q.KeyPoints[1].Y-q.KeyPoints[0].Y, q.KeyPoints[1].X-q.KeyPoints[0].X)
		dp := 0.0
		if p.HasPose && q.HasPose {
			dp = max(math.Abs(p.Pose.Yaw-q.Pose.Yaw), math.Abs(p.Pose.Pitch-q.Pose.Pitch))
		}
		return sc < evidenceMaxScale && math.Abs(rq-rp)*180/math.Pi < evidenceMaxRoll && dp < evidenceMaxPose
	}
	// neighbours: successive frames with a face, evenly spread
	var shortPairs, longPairs [][2]int
	for k := 1; k < len(idx); k++ {
		if a.obs[idx[k]].At-a.obs[idx[k-1]].At <= 250 && alike(idx[k-1], idx[k]) {
			shortPairs = append(shortPairs, [2]int{idx[k-1], idx[k]})
		}
	}
	for x := range idx {
		for y := x + 1; y < len(idx); y++ {
			if a.obs[idx[y]].At-a.obs[idx[x]].At >= evidenceLongMS && alike(idx[x], idx[y]) {
				longPairs = append(longPairs, [2]int{idx[x], idx[y]})
			}
		}
	}
	spread := func(ps [][2]int) [][2]int {
		if len(ps) <= evidenceMaxPairs {
			return ps
		}
		out := make([][2]int, evidenceMaxPairs)
		for k := range out {
			out[k] = ps[k*(len(ps)-1)/(evidenceMaxPairs-1)]
		}
		return out
	}
	var rs, rl []float64
	for _, p := range spread(shortPairs) {
		if v := resid(p[0], p[1]); !math.IsNaN(v) {
			rs = append(rs, v)
		}
	}
	for _, p := range spread(longPairs) {
		if v := resid(p[0], p[1]); !math.IsNaN(v) {
			rl = append(rl, v)
		}
	}
	if len(rs) < 3 || len(rl) < 3 {
		return math.NaN(), math.NaN(), len(rl), len(rs)
	}
	return percentile(rl, 0.75), median(rs), len(rl), len(rs)
}

// sceneMotion compares, for frame pairs ≥ 0.8 s apart, the face's
// displacement (landmark centroid) with the displacement the rest of the
// frame predicts for that point (a similarity transform fitted to block
// translations outside the face and body). It returns the p75 over pairs of
// |face − predicted| in face widths, and the number of pairs judged; pairs
// whose background is too plain to register are not judged.
func (a *analysis) sceneMotion() (float64, int) {
	var idx []int
	for _, i := range a.faces {
		if a.obs[i].Img != nil && len(a.obs[i].Shape) >= 68 {
			idx = append(idx, i)
		}
	}
	if len(idx) < 4 {
		return math.NaN(), 0
	}
	var pairs [][2]int
	for x := range idx {
		for y := x + 1; y < len(idx); y++ {
			if a.obs[idx[y]].At-a.obs[idx[x]].At >= evidenceLongMS {
				pairs = append(pairs, [2]int{idx[x], idx[y]})
			}
		}
	}
	if len(pairs) > evidenceMaxPairs {
		sub := make([][2]int, evidenceMaxPairs)
		for k := range sub {
			sub[k] = pairs[k*(len(pairs)-1)/(evidenceMaxPairs-1)]
		}
		pairs = sub
	}
	smalls := map[int]smallGrey{}
	small := func(i int) smallGrey {
		if g, ok := smalls[i]; ok {
			return g
		}
		g := newSmallGrey(a.obs[i].Img)
		smalls[i] = g
		return g
	}
	var rel []float64
	for _, p := range pairs {
		oi, oj := a.obs[p[0]], a.obs[p[1]]
		gi, gj := small(p[0]), small(p[1])
		ci, cj := centroid(oi.Shape), centroid(oj.Shape)
		mask := faceMask(oi.Face.Box, oj.Face.Box, gi.scale)
		sim, ok := backgroundSimilarity(gi, gj, mask)
		if !ok {
			continue
		}
		px, py := sim.apply(ci.X*gi.scale, ci.Y*gi.scale)
		dx, dy := cj.X*gi.scale-px, cj.Y*gi.scale-py
		w := max(oi.Face.Box.Width*gi.scale, 1)
		rel = append(rel, math.Hypot(dx, dy)/w)
	}
	if len(rel) < 3 {
		return math.NaN(), len(rel)
	}
	return percentile(rel, 0.75), len(rel)
}

func centroid(pts []face.Point) face.Point {
	var c face.Point
	for _, p := range pts {
		c.X += p.X
		c.Y += p.Y
	}
	n := float64(max(len(pts), 1))
	return face.Point{X: c.X / n, Y: c.Y / n}
}

// smallGrey is a frame averaged down to about 160 pixels wide.
type smallGrey struct {
	w, h  int
	scale float64 // small pixels per frame pixel
	v     []float32
}

const sceneWidth = 160

func newSmallGrey(img *image.NRGBA) smallGrey {
	b := img.Bounds()
	d := max(1, b.Dx()/sceneWidth)
	g := newGreyPatch(img, b, d)
	return smallGrey{w: g.w, h: g.h, scale: 1 / float64(d), v: g.v}
}

// faceMask marks the small-image pixels of the face and the body below it
// (both frames' boxes, widened), which move with the person.
func faceMask(bi, bj face.Box, s float64) image.Rectangle {
	x0 := min(bi.Left, bj.Left) - 0.6*max(bi.Width, bj.Width)
	x1 := max(bi.Left+bi.Width, bj.Left+bj.Width) + 0.6*max(bi.Width, bj.Width)
	y0 := min(bi.Top, bj.Top) - 0.5*max(bi.Height, bj.Height)
	return image.Rect(int(x0*s), int(y0*s), int(x1*s)+1, 1<<20)
}

// sim2 is x' = a·x − b·y + tx, y' = b·x + a·y + ty.
type sim2 struct{ a, b, tx, ty float64 }

func (m sim2) apply(x, y float64) (float64, float64) {
	return m.a*x - m.b*y + m.tx, m.b*x + m.a*y + m.ty
}

// backgroundSimilarity fits the similarity transform that maps frame i's
// background onto frame j's from the translations of textured 24×24 blocks
// outside mask (found by search ±10 px with a sub-pixel parabola), with one
// round of outlier rejection. False when fewer than 4 textured blocks agree.
func backgroundSimilarity(gi, gj smallGrey, mask image.Rectangle) (sim2, bool) {
	const bs, search = 24, 10
	type match struct{ x, y, dx, dy float64 }
	var ms []match
	for by := search; by+bs+search <= gi.h; by += bs / 2 {
		for bx := search; bx+bs+search <= gi.w; bx += bs / 2 {
			if image.Rect(bx, by, bx+bs, by+bs).Overlaps(mask) {
				continue
			}
			// texture: mean squared gradient
			var gsum float64
			for y := by; y < by+bs; y++ {
				for x := bx; x < bx+bs-1; x++ {
					d := float64(gi.v[y*gi.w+x+1] - gi.v[y*gi.w+x])
					e := float64(gi.v[(y+1)*gi.w+x] - gi.v[y*gi.w+x])
					gsum += d*d + e*e
				}
			}
			if gsum/float64(bs*bs) < 6 {
				continue
			}
			best, bdx, bdy := math.Inf(1), 0, 0
			cost := map[[2]int]float64{}
			for dy := -search; dy <= search; dy++ {
				for dx := -search; dx <= search; dx++ {
					var s float64
					for y := by; y < by+bs; y++ {
						ri := gi.v[y*gi.w+bx : y*gi.w+bx+bs]
						rj := gj.v[(y+dy)*gj.w+bx+dx : (y+dy)*gj.w+bx+dx+bs]
						for x := range ri {
							d := float64(ri[x] - rj[x])
							s += d * d
						}
					}
					cost[[2]int{dx, dy}] = s
					if s < best {
						best, bdx, bdy = s, dx, dy
					}
				}
			}
			if bdx == -search || bdx == search || bdy == -search || bdy == search {
				continue // moved beyond the search: not measured
			}
			sub := func(m, c, p float64) float64 {
				den := m - 2*c + p
				if den <= 0 {
					return 0
				}
				return 0.5 * (m - p) / den
			}
			fx := float64(bdx) + sub(cost[[2]int{bdx - 1, bdy}], best, cost[[2]int{bdx + 1, bdy}])
			fy := float64(bdy) + sub(cost[[2]int{bdx, bdy - 1}], best, cost[[2]int{bdx, bdy + 1}])
			ms = append(ms, match{float64(bx) + bs/2, float64(by) + bs/2, fx, fy})
		}
	}
	fit := func(ms []match) (sim2, bool) {
		// least squares for a, b, tx, ty over x' = x + dx
		var m [4][4]float64
		var r [4]float64
		for _, q := range ms {
			rows := [2][4]float64{{q.x, -q.y, 1, 0}, {q.y, q.x, 0, 1}}
			rhs := [2]float64{q.x + q.dx, q.y + q.dy}
			for k := range 2 {
				for u := range 4 {
					for v := range 4 {
						m[u][v] += rows[k][u] * rows[k][v]
					}
					r[u] += rows[k][u] * rhs[k]
				}
			}
		}
		rows := make([][]float64, 4)
		for i := range rows {
			rows[i] = m[i][:]
		}
		var x [4]float64
		if !gaussSolve(rows, r[:], x[:]) {
			return sim2{}, false
		}
		return sim2{x[0], x[1], x[2], x[3]}, true
	}
	if len(ms) < 4 {
		return sim2{}, false
	}
	s, ok := fit(ms)
	if !ok {
		return sim2{}, false
	}
	// drop blocks that disagree (a moving object, a repeated texture)
	var errs []float64
	for _, q := range ms {
		px, py := s.apply(q.x, q.y)
		errs = append(errs, math.Hypot(q.x+q.dx-px, q.y+q.dy-py))
	}
	lim := max(0.5, 2*percentile(errs, 0.5))
	var keep []match
	for k, q := range ms {
		if errs[k] <= lim {
			keep = append(keep, q)
		}
	}
	if len(keep) < 4 {
		return sim2{}, false
	}
	sort.Slice(keep, func(x, y int) bool { return keep[x].y < keep[y].y })
	return fit(keep)
}
