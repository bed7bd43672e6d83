package api

import (
	"bytes"
	"math"
	"strconv"

	"github.com/faceprint/faceprint/internal/vision/face"
)

// Baidu's dense landmark layouts (landmark72, landmark150) derived from the
// engine's iBUG 68 points. The engine has no 72- or 150-point model, so the
// extra points are interpolated along the iBUG curves or estimated from
// them (eyebrow lower edges, pupils, nose sides). docs/landmarks.md lists
// every index, its source and the accuracy to expect.

// lm is a shorthand for an iBUG point.
type lm = [68]face.Point

func lerp(a, b face.Point, t float64) face.Point {
	return face.Point{X: a.X + (b.X-a.X)*t, Y: a.Y + (b.Y-a.Y)*t}
}

func mean(ps ...face.Point) face.Point {
	var x, y float64
	for _, p := range ps {
		x, y = x+p.X, y+p.Y
	}
	n := float64(len(ps))
	return face.Point{X: x / n, Y: y / n}
}

// pts picks iBUG points by index.
func pts(l *lm, idx ...int) []face.Point {
	out := make([]face.Point, len(idx))
	for i, j := range idx {
		out[i] = l[j]
	}
	return out
}

// resample returns n points spaced evenly by arc length along the polyline,
// first and last included (n ≥ 2).
func resample(line []face.Point, n int) []face.Point {
	seg := make([]float64, len(line))
	for i := 1; i < len(line); i++ {
		seg[i] = seg[i-1] + math.Hypot(line[i].X-line[i-1].X, line[i].Y-line[i-1].Y)
	}
	total := seg[len(seg)-1]
	out := make([]face.Point, n)
	j := 1
	for k := 0; k < n; k++ {
		d := total * float64(k) / float64(n-1)
		for j < len(line)-1 && seg[j] < d {
			j++
		}
		span := seg[j] - seg[j-1]
		t := 0.0
		if span > 0 {
			t = (d - seg[j-1]) / span
		}
		out[k] = lerp(line[j-1], line[j], math.Max(0, math.Min(1, t)))
	}
	return out
}

// interior drops the first and last point (the corners, emitted on their own).
func interior(ps []face.Point) []face.Point { return ps[1 : len(ps)-1] }

// browLower estimates a point on the eyebrow's lower edge: iBUG traces the
// brow's upper edge only; the lower edge lies about a fifth of the way to
// the eye centre.
func browLower(p, eye face.Point) face.Point { return lerp(p, eye, 0.2) }

// landmark72 maps iBUG 68 to Baidu's 72-point order: 0–12 contour,
// 13–20 image-left eye (+21 pupil), 22–29 image-left brow, 30–37 image-right
// eye (+38 pupil), 39–46 image-right brow, 47–57 nose (57 tip), 58–71 mouth.
func landmark72(l *lm) []face.Point {
	out := make([]face.Point, 0, 72)
	out = append(out, resample(pts(l, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16), 13)...)
	eye := func(c1, u1, u2, c2, d1, d2 int) {
		// corner, 3 upper-lid points, corner, 3 lower-lid points (clockwise in the image), pupil
		out = append(out, l[c1])
		out = append(out, interior(resample(pts(l, c1, u1, u2, c2), 5))...)
		out = append(out, l[c2])
		out = append(out, interior(resample(pts(l, c2, d1, d2, c1), 5))...)
		out = append(out, mean(pts(l, c1, u1, u2, c2, d1, d2)...))
	}
	brow := func(a, b, c, d, e int, eyeCentre face.Point) {
		// corner, 3 upper-edge points, corner, 3 lower-edge points (estimated)
		up := resample(pts(l, a, b, c, d, e), 5)
		out = append(out, up...)
		for i := 3; i >= 1; i-- {
			out = append(out, browLower(up[i], eyeCentre))
		}
	}
	leftEye := mean(pts(l, 36, 37, 38, 39, 40, 41)...)
	rightEye := mean(pts(l, 42, 43, 44, 45, 46, 47)...)
	eye(36, 37, 38, 39, 40, 41)
	brow(17, 18, 19, 20, 21, leftEye)
	eye(42, 43, 44, 45, 46, 47)
	brow(22, 23, 24, 25, 26, rightEye)
	// nose: 47–48 image-left side of the bridge, 49–53 the lower nose
	// (alae, nostrils, subnasale), 54–55 image-right side, 56 bridge, 57 tip.
	half := (l[35].X - l[31].X) / 4
	side := func(p face.Point, dx float64) face.Point { return face.Point{X: p.X + dx, Y: p.Y} }
	out = append(out, side(l[28], -half), side(l[29], -half*1.5))
	out = append(out, pts(l, 31, 32, 33, 34, 35)...)
	out = append(out, side(l[29], half*1.5), side(l[28], half))
	out = append(out, l[28], l[30])
	// mouth: outer corners and lips, then the inner lips
	out = append(out, l[48], l[50], l[51], l[52], l[54], l[56], l[57], l[58])
	out = append(out, l[61], l[62], l[63], l[65], l[66], l[67])
	return out
}

// namedPoint is one landmark150 entry.
type namedPoint struct {
	Name string
	P    face.Point
}

// landmark150JSON marshals as an object in layout order (map order would
// shuffle the keys on every response).
type landmark150JSON []namedPoint

func (l landmark150JSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(p.Name))
		b.WriteString(`:{"x":`)
		b.WriteString(strconv.FormatFloat(round(p.P.X, 2), 'f', -1, 64))
		b.WriteString(`,"y":`)
		b.WriteString(strconv.FormatFloat(round(p.P.Y, 2), 'f', -1, 64))
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// landmark150 is Baidu-style named dense landmarks: 25 contour, 2×12 brow,
// 2×19 eye, 17 nose and 46 mouth points, resampled along the iBUG curves.
// "left"/"right" are image sides, as in the 4-point landmark.
func landmark150(l *lm) landmark150JSON {
	out := make(landmark150JSON, 0, 150)
	add := func(prefix string, ps []face.Point) {
		for i, p := range ps {
			out = append(out, namedPoint{prefix + strconv.Itoa(i+1), p})
		}
	}
	one := func(name string, p face.Point) { out = append(out, namedPoint{name, p}) }

	jaw := resample(pts(l, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16), 25)
	add("cheek_left_", jaw[:11])
	add("chin_", jaw[11:14])
	right := make([]face.Point, 11)
	for i := range right { // top to bottom, like the left cheek
		right[i] = jaw[24-i]
	}
	add("cheek_right_", right)

	brow := func(side string, idx []int, eyeCentre face.Point) {
		up := resample(pts(l, idx...), 7)
		one("eyebrow_"+side+"_corner_left", up[0])
		one("eyebrow_"+side+"_corner_right", up[6])
		add("eyebrow_"+side+"_upper_", interior(up))
		low := make([]face.Point, 5)
		for i := range low {
			low[i] = browLower(up[i+1], eyeCentre)
		}
		add("eyebrow_"+side+"_lower_", low)
	}
	eye := func(side string, c1, u1, u2, c2, d1, d2 int) face.Point {
		centre := mean(pts(l, c1, u1, u2, c2, d1, d2)...)
		one("eye_"+side+"_corner_left", l[c1])
		one("eye_"+side+"_corner_right", l[c2])
		add("eye_"+side+"_eyelid_upper_", interior(resample(pts(l, c1, u1, u2, c2), 9)))
		add("eye_"+side+"_eyelid_lower_", interior(resample(pts(l, c1, d2, d1, c2), 9)))
		// The iris spans about half the eye opening width.
		r := math.Hypot(l[c2].X-l[c1].X, l[c2].Y-l[c1].Y) / 4
		one("eye_"+side+"_eyeball_center", centre)
		one("eye_"+side+"_eyeball_left", face.Point{X: centre.X - r, Y: centre.Y})
		one("eye_"+side+"_eyeball_right", face.Point{X: centre.X + r, Y: centre.Y})
		return centre
	}
	leftEye := mean(pts(l, 36, 37, 38, 39, 40, 41)...)
	rightEye := mean(pts(l, 42, 43, 44, 45, 46, 47)...)
	brow("left", []int{17, 18, 19, 20, 21}, leftEye)
	brow("right", []int{22, 23, 24, 25, 26}, rightEye)
	eye("left", 36, 37, 38, 39, 40, 41)
	eye("right", 42, 43, 44, 45, 46, 47)

	add("nose_bridge_", resample(pts(l, 27, 28, 29), 3))
	half := (l[35].X - l[31].X) / 4
	lside := face.Point{X: l[28].X - half, Y: l[28].Y}
	rside := face.Point{X: l[28].X + half, Y: l[28].Y}
	add("nose_left_contour_", resample([]face.Point{lside, l[31], l[32], l[33]}, 7)[:6])
	add("nose_right_contour_", resample([]face.Point{rside, l[35], l[34], l[33]}, 7)[:6])
	one("nose_middle_contour", l[33])
	one("nose_tip", l[30])

	one("mouth_corner_left_outer", l[48])
	one("mouth_corner_right_outer", l[54])
	one("mouth_corner_left_inner", l[60])
	one("mouth_corner_right_inner", l[64])
	add("mouth_lip_upper_outer_", interior(resample(pts(l, 48, 49, 50, 51, 52, 53, 54), 13)))
	add("mouth_lip_lower_outer_", interior(resample(pts(l, 48, 59, 58, 57, 56, 55, 54), 13)))
	add("mouth_lip_upper_inner_", interior(resample(pts(l, 60, 61, 62, 63, 64), 12)))
	add("mouth_lip_lower_inner_", interior(resample(pts(l, 60, 67, 66, 65, 64), 12)))
	return out
}
