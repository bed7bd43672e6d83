package liveness

import (
	"image"
	"math"
	"sort"

	"github.com/faceprint/faceprint/internal/vision/face"
)

// Planar parallax (check non_planar_motion). Every view of a flat picture
// — a print, a screen, an ID card — is a homography (a plane's perspective
// map, 8 degrees of freedom) of every other view, however the picture is
// tilted, plus a change of brightness. A head is not a plane: when it turns
// or nods the nose moves across the cheeks, the far cheek narrows, shading
// moves, and a blink or a word changes the face itself. So for frame pairs
// whose pose the pose model reads as ≥ planarMinPose apart (it reads a
// tilted picture as a turned head), the second frame's face is registered
// onto the first by the homography and linear brightness change that
// explain it best, and what remains is measured.
//
// The 68 landmarks alone do not tell: on a tilted print the landmark model
// places the points much as on a turned head (the p90 residual of a
// landmark homography is 0.011–0.043 inter-ocular distances on prints and
// 0.016–0.094 on genuine captures), so the landmarks only give the starting
// homography and the registration is photometric: Gauss–Newton
// (Levenberg–Marquardt) on the grey levels of the inner face, coarse to fine.
const (
	planarMinPose    = 8.0 // yaw or pitch difference (degrees) that makes a pair worth judging
	planarMaxFrames  = 16  // frames considered (evenly spaced), bounding the cost of long captures
	planarMaxPairs   = 24  // pairs registered: those with the largest pose difference
	planarMinPairs   = 3   // fewer pairs: the face did not turn enough to tell (score 99)
	planarGrid       = 24  // grid points per side over the inner face
	planarPoseWindow = 5   // frames over which the pose readings are medianed
	planarMaxOut     = 0.1 // share of the grid a warp may take out of the frame
)

// planarBlur are the pyramid's low-pass widths (Gaussian σ in units of the
// grid spacing), coarse to fine: the coarse level pulls in the landmarks'
// starting error (several pixels on a large face), the fine one keeps the
// detail a turned nose or a blink changes without aliasing the grid.
var planarBlur = [2]float64{1.2, 0.4}

// nonPlanar is the median, over frame pairs whose yaw or pitch differ by
// ≥ planarMinPose, of the face's grey-level residual after the best
// homography and brightness change (relative to the face's grey-level
// deviation), and the number of pairs it is the median of; 99 when fewer
// than planarMinPairs such pairs exist (the check does not judge captures
// in which the face did not turn or tilt).
func (a *analysis) nonPlanar() (float64, int) {
	// The pose of a frame is the median of its and its neighbours' readings
	// (planarPoseWindow frames): single readings jump (franck.mp4 at about 62 s
	// reads as an 11° nod for two frames while the head hardly moves), a
	// turn or a tilt lasts.
	var posed []int
	for _, i := range a.faces {
		if a.obs[i].Face.HasPose {
			posed = append(posed, i)
		}
	}
	yaw, pitch := map[int]float64{}, map[int]float64{}
	for k, i := range posed {
		var ys, ps []float64
		for q := max(0, k-planarPoseWindow/2); q <= min(len(posed)-1, k+planarPoseWindow/2); q++ {
			ys = append(ys, a.obs[posed[q]].Face.Pose.Yaw)
			ps = append(ps, a.obs[posed[q]].Face.Pose.Pitch)
		}
		yaw[i], pitch[i] = median(ys), median(ps)
	}
	var idx []int
	for _, i := range posed {
		o := a.obs[i]
		if o.Img != nil && o.Face.HasLandmarks && len(o.Shape) >= 68 {
			idx = append(idx, i)
		}
	}
	if len(idx) > planarMaxFrames {
		sub := make([]int, planarMaxFrames)
		for k := range sub {
			sub[k] = idx[k*(len(idx)-1)/(planarMaxFrames-1)]
		}
		idx = sub
	}
	type pair struct {
		i, j int
		dp   float64
	}
	var pairs []pair
	for x := range idx {
		for y := x + 1; y < len(idx); y++ {
			i, j := idx[x], idx[y]
			dp := max(math.Abs(yaw[i]-yaw[j]), math.Abs(pitch[i]-pitch[j]))
			if dp >= planarMinPose {
				pairs = append(pairs, pair{i, j, dp})
			}
		}
	}
	if len(pairs) < planarMinPairs {
		return 99, len(pairs)
	}
	sort.SliceStable(pairs, func(x, y int) bool { return pairs[x].dp > pairs[y].dp })
	pairs = pairs[:min(len(pairs), planarMaxPairs)]
	pyramids := map[int][]greyPatch{}
	pyramid := func(i int) []greyPatch {
		if g, ok := pyramids[i]; ok {
			return g
		}
		g := facePyramid(a.obs[i].Img, a.obs[i].Face)
		pyramids[i] = g
		return g
	}
	var res []float64
	for _, p := range pairs {
		oi, oj := a.obs[p.i], a.obs[p.j]
		h, _, ok := fitHomography(oi.Shape, oj.Shape)
		if !ok {
			continue
		}
		grid, _ := faceGrid(oi.Face, planarGrid)
		if v := planarResidual(pyramid(p.i), pyramid(p.j), grid, h); !math.IsNaN(v) {
			res = append(res, v)
		}
	}
	if len(res) < planarMinPairs {
		return 99, len(res)
	}
	return median(res), len(res)
}

// facePyramid returns the grey face region of img (1.6 × the box: the
// grid of a turned face and the low-pass need the margin), low-passed to
// each planarBlur level. Large faces are first averaged down so that the grid spacing is
// about three patch pixels: the cost does not grow with the resolution.
func facePyramid(img *image.NRGBA, f face.Face) []greyPatch {
	_, spacing := faceGrid(f, planarGrid)
	c := f.Box.Center()
	side := 1.6 * max(f.Box.Width, f.Box.Height)
	r := image.Rect(int(c.X-side/2), int(c.Y-side/2), int(c.X+side/2)+1, int(c.Y+side/2)+1)
	base := newGreyPatch(img, r, max(1, int(spacing/3)))
	out := make([]greyPatch, len(planarBlur))
	for l, k := range planarBlur {
		out[l] = base.blurred(k * spacing / float64(base.d))
	}
	return out
}

// greyPatch is a grey copy of an image region, averaged over d×d pixel
// blocks, for sub-pixel sampling in image coordinates.
type greyPatch struct {
	r    image.Rectangle // the region in image pixels
	d    int             // image pixels per patch pixel
	w, h int
	v    []float32
}

// newGreyPatch copies r ∩ img's bounds, averaging d×d blocks.
func newGreyPatch(img *image.NRGBA, r image.Rectangle, d int) greyPatch {
	r = r.Intersect(img.Bounds())
	d = max(d, 1)
	g := greyPatch{r: r, d: d, w: r.Dx() / d, h: r.Dy() / d}
	if g.w <= 0 || g.h <= 0 {
		g.w, g.h = 0, 0
		return g
	}
	g.v = make([]float32, g.w*g.h)
	inv := 1 / float32(d*d)
	for y := range g.h * d {
		row := img.Pix[img.PixOffset(r.Min.X, r.Min.Y+y):]
		out := g.v[(y/d)*g.w:]
		for x := range g.w * d {
			p := row[4*x:]
			out[x/d] += inv * (0.299*float32(p[0]) + 0.587*float32(p[1]) + 0.114*float32(p[2]))
		}
	}
	return g
}

// blurred returns a copy low-passed by a Gaussian of sigma patch pixels.
func (g greyPatch) blurred(sigma float64) greyPatch {
	out := g
	out.v = append([]float32(nil), g.v...)
	if sigma <= 0 || g.w == 0 {
		return out
	}
	rad := int(math.Ceil(2.5 * sigma))
	kern := make([]float32, 2*rad+1)
	var ks float32
	for k := range kern {
		d := float64(k - rad)
		kern[k] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		ks += kern[k]
	}
	for k := range kern {
		kern[k] /= ks
	}
	w, h := g.w, g.h
	tmp := make([]float32, w*h)
	for y := range h {
		row := out.v[y*w : (y+1)*w]
		for x := range w {
			var s float32
			for k, c := range kern {
				s += c * row[max(0, min(w-1, x+k-rad))]
			}
			tmp[y*w+x] = s
		}
	}
	for y := range h {
		for x := range w {
			var s float32
			for k, c := range kern {
				s += c * tmp[max(0, min(h-1, y+k-rad))*w+x]
			}
			out.v[y*w+x] = s
		}
	}
	return out
}

// at samples the patch bilinearly at image coordinates (x, y), pixel
// centres at integers, and returns the value and its gradient per image
// pixel; false outside the patch.
func (g greyPatch) at(x, y float64) (v, gx, gy float64, ok bool) {
	d := float64(g.d)
	// patch pixel k covers image pixels k·d … k·d+d−1, centred on k·d + (d−1)/2
	fx := (x - float64(g.r.Min.X) - (d-1)/2) / d
	fy := (y - float64(g.r.Min.Y) - (d-1)/2) / d
	ix, iy := int(math.Floor(fx)), int(math.Floor(fy))
	if ix < 0 || iy < 0 || ix+1 >= g.w || iy+1 >= g.h {
		return 0, 0, 0, false
	}
	ax, ay := fx-float64(ix), fy-float64(iy)
	w := g.w
	p00 := float64(g.v[iy*w+ix])
	p10 := float64(g.v[iy*w+ix+1])
	p01 := float64(g.v[(iy+1)*w+ix])
	p11 := float64(g.v[(iy+1)*w+ix+1])
	v = (1-ay)*((1-ax)*p00+ax*p10) + ay*((1-ax)*p01+ax*p11)
	gx = ((1-ay)*(p10-p00) + ay*(p11-p01)) / d
	gy = ((1-ax)*(p01-p00) + ax*(p11-p10)) / d
	return v, gx, gy, true
}

// planarResidual registers frame j's face onto frame i's, level by level
// of their pyramids (facePyramid), by the homography and linear brightness
// change that explain it best, starting from h0 (i → j pixels, from the
// landmarks); it returns the RMS of what remains at the finest level over
// the grid (points in frame i), relative to the grid's grey-level
// deviation. NaN when more than planarMaxOut of the grid falls outside
// either frame or the face has no contrast.
func planarResidual(pi, pj []greyPatch, grid []face.Point, h0 homography) float64 {
	n := len(grid)
	if n < 50 || len(pi) == 0 || len(pi) != len(pj) {
		return math.NaN()
	}
	// normalised coordinates, so that the parameters are of one magnitude:
	// s = (p − ci)·k in frame i, q = cj + Hn(s)/k in frame j
	var ci face.Point
	for _, p := range grid {
		ci.X += p.X / float64(n)
		ci.Y += p.Y / float64(n)
	}
	var md float64
	for _, p := range grid {
		md += math.Hypot(p.X-ci.X, p.Y-ci.Y)
	}
	k := math.Sqrt2 / (md / float64(n))
	cj, ok := h0.apply(ci)
	if !ok {
		return math.NaN()
	}
	kin := [9]float64{1 / k, 0, ci.X, 0, 1 / k, ci.Y, 0, 0, 1}
	kout := [9]float64{k, 0, -k * cj.X, 0, k, -k * cj.Y, 0, 0, 1}
	hn := mul3(kout, mul3(h0, kin))
	if math.Abs(hn[8]) < 1e-12 {
		return math.NaN()
	}
	var par [10]float64 // hn[0…7] (hn[8] = 1), gain, offset
	for a := range 8 {
		par[a] = hn[a] / hn[8]
	}
	s := make([]face.Point, n)
	for i, p := range grid {
		s[i] = face.Point{X: (p.X - ci.X) * k, Y: (p.Y - ci.Y) * k}
	}
	tmpl := make([]float64, n)
	res := math.NaN()
	for l := range pi {
		var tm, tsd float64
		in := 0
		for i, p := range grid {
			v, _, _, ok := pi[l].at(p.X, p.Y)
			if !ok {
				tmpl[i] = math.NaN() // outside frame i: left out
				continue
			}
			tmpl[i] = v
			tm += v
			in++
		}
		if float64(in) < (1-planarMaxOut)*float64(n) {
			return math.NaN()
		}
		tm /= float64(in)
		for i := range tmpl {
			if !math.IsNaN(tmpl[i]) {
				tmpl[i] -= tm
				tsd += tmpl[i] * tmpl[i]
			}
		}
		tsd = math.Sqrt(tsd / float64(in))
		if tsd < 1 {
			return math.NaN()
		}
		par[8], par[9] = 1, tm
		var ms float64
		par, ms, ok = registerLevel(pj[l], s, tmpl, cj, k, par)
		if !ok {
			return math.NaN()
		}
		res = math.Sqrt(ms) / tsd
	}
	return res
}

// registerLevel minimises the mean of (I_j(cj + Hn(s)/k) − gain·T − offset)²
// over par by Levenberg–Marquardt and returns the parameters and the mean.
// Grid points outside either frame (a face at the frame's edge; NaN in
// tmpl) are left out; false when more than planarMaxOut of them are.
func registerLevel(pj greyPatch, s []face.Point, tmpl []float64, cj face.Point, k float64, par [10]float64) ([10]float64, float64, bool) {
	warp := func(par *[10]float64, p face.Point) (x, y, xn, yn, w float64) {
		w = par[6]*p.X + par[7]*p.Y + 1
		xn = (par[0]*p.X + par[1]*p.Y + par[2]) / w
		yn = (par[3]*p.X + par[4]*p.Y + par[5]) / w
		return cj.X + xn/k, cj.Y + yn/k, xn, yn, w
	}
	minIn := int(math.Ceil((1 - planarMaxOut) * float64(len(s))))
	cost := func(par [10]float64) (float64, bool) {
		var ss float64
		in := 0
		for i, p := range s {
			x, y, _, _, w := warp(&par, p)
			if w <= 0 {
				return 0, false
			}
			v, _, _, ok := pj.at(x, y)
			if !ok || math.IsNaN(tmpl[i]) {
				continue
			}
			r := v - par[8]*tmpl[i] - par[9]
			ss += r * r
			in++
		}
		if in < minIn {
			return 0, false
		}
		return ss / float64(in), true
	}
	ss, ok := cost(par)
	if !ok {
		return par, 0, false
	}
	lambda := 1e-3
	for range 20 {
		var jtj [10][10]float64
		var jtr [10]float64
		for i, p := range s {
			x, y, xn, yn, w := warp(&par, p)
			v, gx, gy, ok := pj.at(x, y)
			if !ok || math.IsNaN(tmpl[i]) {
				continue
			}
			gx, gy = gx/k, gy/k // per normalised unit
			r := v - par[8]*tmpl[i] - par[9]
			jac := [10]float64{
				gx * p.X / w, gx * p.Y / w, gx / w,
				gy * p.X / w, gy * p.Y / w, gy / w,
				-(gx*xn + gy*yn) * p.X / w, -(gx*xn + gy*yn) * p.Y / w,
				-tmpl[i], -1,
			}
			for a := range 10 {
				for b := a; b < 10; b++ {
					jtj[a][b] += jac[a] * jac[b]
				}
				jtr[a] += jac[a] * r
			}
		}
		rows := make([][]float64, 10)
		for a := range 10 {
			for b := range a {
				jtj[a][b] = jtj[b][a]
			}
			rows[a] = jtj[a][:]
		}
		next, nss, ok := lmStep(rows, jtr[:], par[:], ss, &lambda, 5, func(p []float64) (float64, bool) { return cost([10]float64(p)) })
		if !ok {
			break
		}
		improved := ss-nss > 1e-5*ss
		par, ss = [10]float64(next), nss
		if !improved {
			break
		}
	}
	return par, ss, true
}

// homography is a 3×3 projective map in pixel coordinates, row-major.
type homography [9]float64

func (h homography) apply(p face.Point) (face.Point, bool) {
	w := h[6]*p.X + h[7]*p.Y + h[8]
	if math.Abs(w) < 1e-12 {
		return face.Point{}, false
	}
	return face.Point{X: (h[0]*p.X + h[1]*p.Y + h[2]) / w, Y: (h[3]*p.X + h[4]*p.Y + h[5]) / w}, true
}

// fitHomography returns the homography mapping src onto dst (pixels) and
// its RMS residual in dst pixels: the normalised DLT (Hartley: both point
// sets centred and scaled to a mean distance of √2, h₃₃ = 1, linear least
// squares), refined by Levenberg–Marquardt on the geometric error.
func fitHomography(src, dst []face.Point) (homography, float64, bool) {
	n := min(len(src), len(dst))
	if n < 8 {
		return homography{}, 0, false
	}
	s, ts := normalise(src[:n])
	d, td := normalise(dst[:n])
	if ts.scale == 0 || td.scale == 0 {
		return homography{}, 0, false
	}
	hn, ok := dltHomography(s, d)
	if !ok {
		return homography{}, 0, false
	}
	hn, ss := refineHomography(hn, s, d)
	// H = Td⁻¹ · Hn · Ts with Ts = [[k,0,−k·cx],[0,k,−k·cy],[0,0,1]]
	k := ts.scale
	tsm := [9]float64{k, 0, -k * ts.cx, 0, k, -k * ts.cy, 0, 0, 1}
	kd := 1 / td.scale
	tdInv := [9]float64{kd, 0, td.cx, 0, kd, td.cy, 0, 0, 1}
	h := mul3(tdInv, mul3(hn, tsm))
	return homography(h), math.Sqrt(ss/float64(n)) / td.scale, true
}

// similarity is the normalising map p → (p − c)·scale.
type similarity struct {
	cx, cy, scale float64
}

// normalise centres pts and scales them to a mean distance of √2 from the origin.
func normalise(pts []face.Point) ([]face.Point, similarity) {
	var t similarity
	for _, p := range pts {
		t.cx += p.X
		t.cy += p.Y
	}
	t.cx /= float64(len(pts))
	t.cy /= float64(len(pts))
	var md float64
	for _, p := range pts {
		md += math.Hypot(p.X-t.cx, p.Y-t.cy)
	}
	md /= float64(len(pts))
	if md < 1e-9 {
		return nil, similarity{}
	}
	t.scale = math.Sqrt2 / md
	out := make([]face.Point, len(pts))
	for i, p := range pts {
		out[i] = face.Point{X: (p.X - t.cx) * t.scale, Y: (p.Y - t.cy) * t.scale}
	}
	return out, t
}

// dltHomography solves the linear equations
//
//	h0·x + h1·y + h2 − h6·x·u − h7·y·u = u
//	h3·x + h4·y + h5 − h6·x·v − h7·y·v = v
//
// for (x, y) → (u, v) by least squares (h8 = 1; fine for normalised
// points of two views of one face, which are never at infinity).
func dltHomography(src, dst []face.Point) ([9]float64, bool) {
	var ata [8][8]float64
	var atb [8]float64
	for i := range src {
		x, y, u, v := src[i].X, src[i].Y, dst[i].X, dst[i].Y
		rows := [2][8]float64{
			{x, y, 1, 0, 0, 0, -x * u, -y * u},
			{0, 0, 0, x, y, 1, -x * v, -y * v},
		}
		rhs := [2]float64{u, v}
		for k, r := range rows {
			for a := range 8 {
				for b := range 8 {
					ata[a][b] += r[a] * r[b]
				}
				atb[a] += r[a] * rhs[k]
			}
		}
	}
	p, ok := solve8(ata, atb)
	if !ok {
		return [9]float64{}, false
	}
	return [9]float64{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], 1}, true
}

// homSSE is the sum of squared geometric residuals of dst against H(src).
func homSSE(h [9]float64, src, dst []face.Point) float64 {
	var ss float64
	for i := range src {
		x, y := src[i].X, src[i].Y
		w := h[6]*x + h[7]*y + h[8]
		if math.Abs(w) < 1e-9 {
			return math.Inf(1)
		}
		u := (h[0]*x + h[1]*y + h[2]) / w
		v := (h[3]*x + h[4]*y + h[5]) / w
		ss += (u-dst[i].X)*(u-dst[i].X) + (v-dst[i].Y)*(v-dst[i].Y)
	}
	return ss
}

// refineHomography lowers the geometric error of h (h8 fixed at 1) with
// Levenberg–Marquardt steps and returns it with its sum of squares.
func refineHomography(h [9]float64, src, dst []face.Point) ([9]float64, float64) {
	ss := homSSE(h, src, dst)
	lambda := 1e-3
	for range 8 {
		var jtj [8][8]float64
		var jtr [8]float64
		for i := range src {
			x, y := src[i].X, src[i].Y
			w := h[6]*x + h[7]*y + h[8]
			u := (h[0]*x + h[1]*y + h[2]) / w
			v := (h[3]*x + h[4]*y + h[5]) / w
			ju := [8]float64{x / w, y / w, 1 / w, 0, 0, 0, -x * u / w, -y * u / w}
			jv := [8]float64{0, 0, 0, x / w, y / w, 1 / w, -x * v / w, -y * v / w}
			ru, rv := u-dst[i].X, v-dst[i].Y
			for a := range 8 {
				for b := range 8 {
					jtj[a][b] += ju[a]*ju[b] + jv[a]*jv[b]
				}
				jtr[a] += ju[a]*ru + jv[a]*rv
			}
		}
		rows := make([][]float64, 8)
		for a := range rows {
			rows[a] = jtj[a][:]
		}
		next, nss, ok := lmStep(rows, jtr[:], h[:8], ss, &lambda, 4, func(p []float64) (float64, bool) {
			hn := h
			copy(hn[:8], p)
			return homSSE(hn, src, dst), true
		})
		if !ok {
			break
		}
		copy(h[:8], next)
		ss = nss
	}
	return h, ss
}

// lmStep is the search of one Levenberg–Marquardt iteration: it solves the
// damped normal equations (JᵀJ with its diagonal scaled by 1+λ) δ = −Jᵀr,
// raising λ tenfold until cost(par+δ) falls below ss, at most tries times,
// and lowers λ tenfold on success. ok is false when no step lowered the
// cost (or the system is singular).
func lmStep(jtj [][]float64, jtr, par []float64, ss float64, lambda *float64, tries int, cost func([]float64) (float64, bool)) (next []float64, nss float64, ok bool) {
	n := len(par)
	for range tries {
		m := make([][]float64, n)
		g := make([]float64, n)
		for a := range n {
			m[a] = append([]float64(nil), jtj[a]...)
			m[a][a] *= 1 + *lambda
			g[a] = -jtr[a]
		}
		step := make([]float64, n)
		if !gaussSolve(m, g, step) {
			return nil, 0, false
		}
		next = append([]float64(nil), par...)
		for a := range n {
			next[a] += step[a]
		}
		if c, ok := cost(next); ok && c < ss {
			*lambda = max(*lambda/10, 1e-9)
			return next, c, true
		}
		*lambda *= 10
	}
	return nil, 0, false
}

func mul3(a, b [9]float64) [9]float64 {
	var c [9]float64
	for r := range 3 {
		for col := range 3 {
			for k := range 3 {
				c[3*r+col] += a[3*r+k] * b[3*k+col]
			}
		}
	}
	return c
}

// faceGrid returns an n×n grid of points over the inner face of f (brows
// to below the mouth, between the cheeks: part of the canonical aligned
// crop, mapped into the image by the similarity of the five key points)
// and the grid's spacing in pixels.
func faceGrid(f face.Face, n int) ([]face.Point, float64) {
	a, b, c, d, ok := canonicalSimilarity(f)
	if !ok {
		return nil, 0
	}
	// the inner face in canonical crop units (cropSide 32)
	const x0, x1, y0, y1 = 7.0, 25.0, 9.0, 29.0
	pts := make([]face.Point, 0, n*n)
	for gy := range n {
		for gx := range n {
			x := x0 + (x1-x0)*(float64(gx)+0.5)/float64(n)
			y := y0 + (y1-y0)*(float64(gy)+0.5)/float64(n)
			pts = append(pts, face.Point{X: a*x - b*y + c, Y: b*x + a*y + d})
		}
	}
	return pts, math.Hypot(a, b) * (x1 - x0) / float64(n)
}

// solve8 solves m·x = b (8 unknowns).
func solve8(m [8][8]float64, b [8]float64) ([8]float64, bool) {
	rows := make([][]float64, 8)
	for i := range rows {
		rows[i] = m[i][:]
	}
	var x [8]float64
	ok := gaussSolve(rows, b[:], x[:])
	return x, ok
}

// gaussSolve solves m·x = b into x by Gaussian elimination with partial
// pivoting; it overwrites m and b. False when m is (nearly) singular.
func gaussSolve(m [][]float64, b, x []float64) bool {
	n := len(b)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return false
		}
		m[c], m[p] = m[p], m[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for q := c; q < n; q++ {
				m[r][q] -= f * m[c][q]
			}
			b[r] -= f * b[c]
		}
	}
	for c := n - 1; c >= 0; c-- {
		s := b[c]
		for q := c + 1; q < n; q++ {
			s -= m[c][q] * x[q]
		}
		x[c] = s / m[c][c]
	}
	return true
}
