package liveness

import "math"

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
//   - or non_planar_motion judged a turn and found no plane (checks.go).
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
