package ocr

import (
	"image"
	"image/draw"
	"math"
)

// ToRGBA returns img as *image.RGBA with origin (0,0), copying only when needed.
func ToRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	// Opaque NRGBA (what vision.Decode returns) has the same bytes as RGBA.
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) && n.Opaque() {
		return &image.RGBA{Pix: n.Pix, Stride: n.Stride, Rect: n.Rect}
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	return dst
}

// Homography is a 3×3 projective transform in row-major order.
type Homography [9]float64

// Apply maps p.
func (h Homography) Apply(p Point) Point {
	w := h[6]*p.X + h[7]*p.Y + h[8]
	if w == 0 {
		w = 1e-12
	}
	return Point{(h[0]*p.X + h[1]*p.Y + h[2]) / w, (h[3]*p.X + h[4]*p.Y + h[5]) / w}
}

// Inverse returns the inverse transform (ok=false when singular).
func (h Homography) Inverse() (Homography, bool) {
	a, b, c, d, e, f, g, hh, i := h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
	det := a*(e*i-f*hh) - b*(d*i-f*g) + c*(d*hh-e*g)
	if math.Abs(det) < 1e-12 {
		return Homography{}, false
	}
	inv := Homography{
		e*i - f*hh, c*hh - b*i, b*f - c*e,
		f*g - d*i, a*i - c*g, c*d - a*f,
		d*hh - e*g, b*g - a*hh, a*e - b*d,
	}
	for k := range inv {
		inv[k] /= det
	}
	return inv, true
}

// FitHomography finds the transform mapping src[i] to dst[i] in the least
// squares sense (direct linear transform with h33 = 1). It needs at least 4
// correspondences in general position.
func FitHomography(src, dst []Point) (Homography, bool) {
	n := len(src)
	if n < 4 || len(dst) != n {
		return Homography{}, false
	}
	// Normal equations AᵀA x = Aᵀb for the 8 unknowns.
	var ata [8][8]float64
	var atb [8]float64
	add := func(row [8]float64, b float64) {
		for i := 0; i < 8; i++ {
			for j := 0; j < 8; j++ {
				ata[i][j] += row[i] * row[j]
			}
			atb[i] += row[i] * b
		}
	}
	for k := 0; k < n; k++ {
		x, y, u, v := src[k].X, src[k].Y, dst[k].X, dst[k].Y
		add([8]float64{x, y, 1, 0, 0, 0, -u * x, -u * y}, u)
		add([8]float64{0, 0, 0, x, y, 1, -v * x, -v * y}, v)
	}
	sol, ok := solve8(ata, atb)
	if !ok {
		return Homography{}, false
	}
	return Homography{sol[0], sol[1], sol[2], sol[3], sol[4], sol[5], sol[6], sol[7], 1}, true
}

// AffineHomography fits an affine transform (3 or more points); used when
// too few points exist for a projective fit.
func AffineHomography(src, dst []Point) (Homography, bool) {
	n := len(src)
	if n < 3 || len(dst) != n {
		return Homography{}, false
	}
	var ata [3][3]float64
	var atu, atv [3]float64
	for k := 0; k < n; k++ {
		r := [3]float64{src[k].X, src[k].Y, 1}
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				ata[i][j] += r[i] * r[j]
			}
			atu[i] += r[i] * dst[k].X
			atv[i] += r[i] * dst[k].Y
		}
	}
	a, ok1 := solve3(ata, atu)
	b, ok2 := solve3(ata, atv)
	if !ok1 || !ok2 {
		return Homography{}, false
	}
	return Homography{a[0], a[1], a[2], b[0], b[1], b[2], 0, 0, 1}, true
}

func solve8(a [8][8]float64, b [8]float64) ([8]float64, bool) {
	const n = 8
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return b, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := 0; r < n; r++ {
			if r == c {
				continue
			}
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	for i := 0; i < n; i++ {
		b[i] /= a[i][i]
	}
	return b, true
}

func solve3(a [3][3]float64, b [3]float64) ([3]float64, bool) {
	const n = 3
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return b, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := 0; r < n; r++ {
			if r == c {
				continue
			}
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	for i := 0; i < n; i++ {
		b[i] /= a[i][i]
	}
	return b, true
}

// QuadToRect returns the transform from the w×h output rectangle to q
// (output pixel → source pixel), corners in order.
func QuadToRect(q Quad, w, h int) (Homography, bool) {
	rect := []Point{{0, 0}, {float64(w), 0}, {float64(w), float64(h)}, {0, float64(h)}}
	return FitHomography(rect, q[:])
}

// Warp renders a w×h image whose pixel (u,v) samples src at toSrc(u+½,v+½)
// bilinearly; points outside src take the nearest edge pixel.
func Warp(src *image.RGBA, toSrc Homography, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if sw == 0 || sh == 0 {
		return dst
	}
	if H := toSrc; H[1] == 0 && H[3] == 0 && H[6] == 0 && H[7] == 0 && H[8] == 1 {
		warpScale(src, H, dst)
	} else {
		warpGeneral(src, H, dst)
	}
	return dst
}

func warpGeneral(src *image.RGBA, H Homography, dst *image.RGBA) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	for v := 0; v < h; v++ {
		o := v * dst.Stride
		fv := float64(v) + 0.5
		// Numerators and denominator at u = ½, stepped per pixel.
		nx := H[0]*0.5 + H[1]*fv + H[2]
		ny := H[3]*0.5 + H[4]*fv + H[5]
		nw := H[6]*0.5 + H[7]*fv + H[8]
		for u := 0; u < w; u++ {
			d := nw
			if d == 0 {
				d = 1e-12
			}
			sample(src, sw, sh, nx/d-0.5, ny/d-0.5, dst.Pix[o:o+4])
			nx += H[0]
			ny += H[3]
			nw += H[6]
			o += 4
		}
	}
}

// warpScale is Warp for a transform that only scales and shifts (resizing
// for the detector): the per-column and per-row sample positions are
// computed once, with the same arithmetic as the general path, so the
// result is identical.
func warpScale(src *image.RGBA, H Homography, dst *image.RGBA) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	type tap struct {
		i0, i1 int     // byte offsets (x) or row offsets (y) of the two taps
		f      float32 // weight of the second tap
	}
	taps := func(pos func(k int) float64, n, limit, stride int) []tap {
		t := make([]tap, n)
		for k := range t {
			p := pos(k)
			p = math.Max(0, math.Min(float64(limit-1), p))
			p0 := int(p)
			p1 := min(p0+1, limit-1)
			t[k] = tap{p0 * stride, p1 * stride, float32(p - float64(p0))}
		}
		return t
	}
	// x as the general path steps it: start at u = ½, add H[0] per pixel.
	xs := make([]float64, w)
	nx := H[0]*0.5 + H[1]*0.5 + H[2]
	for u := range xs {
		xs[u] = nx - 0.5
		nx += H[0]
	}
	cols := taps(func(u int) float64 { return xs[u] }, w, sw, 4)
	rows := taps(func(v int) float64 { fv := float64(v) + 0.5; return H[3]*0.5 + H[4]*fv + H[5] - 0.5 }, h, sh, src.Stride)
	p := src.Pix
	for v, ry := range rows {
		fy := ry.f
		o := v * dst.Stride
		for _, cx := range cols {
			fx := cx.f
			w00, w01 := (1-fx)*(1-fy), fx*(1-fy)
			w10, w11 := (1-fx)*fy, fx*fy
			i00, i01, i10, i11 := ry.i0+cx.i0, ry.i0+cx.i1, ry.i1+cx.i0, ry.i1+cx.i1
			for c := 0; c < 3; c++ {
				dst.Pix[o+c] = uint8(float32(p[i00+c])*w00 + float32(p[i01+c])*w01 + float32(p[i10+c])*w10 + float32(p[i11+c])*w11 + 0.5)
			}
			dst.Pix[o+3] = 255
			o += 4
		}
	}
}

// sample writes the bilinear sample of src at (x,y) into out (RGBA, opaque).
func sample(src *image.RGBA, w, h int, x, y float64, out []uint8) {
	if x < 0 {
		x = 0
	} else if x > float64(w-1) {
		x = float64(w - 1)
	}
	if y < 0 {
		y = 0
	} else if y > float64(h-1) {
		y = float64(h - 1)
	}
	x0, y0 := int(x), int(y)
	x1, y1 := x0+1, y0+1
	if x1 >= w {
		x1 = w - 1
	}
	if y1 >= h {
		y1 = h - 1
	}
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	w00, w01 := (1-fx)*(1-fy), fx*(1-fy)
	w10, w11 := (1-fx)*fy, fx*fy
	p := src.Pix
	i00 := y0*src.Stride + x0*4
	i01 := y0*src.Stride + x1*4
	i10 := y1*src.Stride + x0*4
	i11 := y1*src.Stride + x1*4
	for c := 0; c < 3; c++ {
		out[c] = uint8(float32(p[i00+c])*w00 + float32(p[i01+c])*w01 + float32(p[i10+c])*w10 + float32(p[i11+c])*w11 + 0.5)
	}
	out[3] = 255
}

// WarpQuad crops the quad q of src into a w×h upright image.
func WarpQuad(src *image.RGBA, q Quad, w, h int) *image.RGBA {
	hm, ok := QuadToRect(q, w, h)
	if !ok {
		return image.NewRGBA(image.Rect(0, 0, w, h))
	}
	return Warp(src, hm, w, h)
}

// Shrink reduces img by an integer factor with box averaging, which avoids
// the aliasing bilinear sampling shows on large reductions.
func Shrink(src *image.RGBA, f int) *image.RGBA {
	if f <= 1 {
		return src
	}
	w, h := src.Rect.Dx()/f, src.Rect.Dy()/f
	if w < 1 || h < 1 {
		return src
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	n := uint32(f * f)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var r, g, b uint32
			for dy := 0; dy < f; dy++ {
				o := (y*f+dy)*src.Stride + x*f*4
				for dx := 0; dx < f; dx++ {
					r += uint32(src.Pix[o])
					g += uint32(src.Pix[o+1])
					b += uint32(src.Pix[o+2])
					o += 4
				}
			}
			d := y*dst.Stride + x*4
			dst.Pix[d], dst.Pix[d+1], dst.Pix[d+2], dst.Pix[d+3] = uint8(r/n), uint8(g/n), uint8(b/n), 255
		}
	}
	return dst
}
