package face

import (
	"image"
	"math"
)

// rgbBuf is an 8-bit RGB raster used for model inputs.
type rgbBuf struct {
	W, H int
	Pix  []uint8 // RGB, row-major
}

// cropResize samples the rectangle (x0,y0)-(x0+w,y0+h) of img (float
// pixel coordinates, may extend outside: edges are clamped) into an
// outW×outH RGB buffer with bilinear interpolation. Large reductions are
// first box-filtered so the result is not aliased.
func cropResize(img *image.NRGBA, x0, y0, w, h float64, outW, outH int) rgbBuf {
	src := img
	sx, sy := w/float64(outW), h/float64(outH)
	if k := int(math.Min(sx, sy) / 1.5); k >= 2 {
		// Shrink only the needed region by an integer factor first.
		r := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x0+w)), int(math.Ceil(y0+h))).Intersect(img.Rect)
		if !r.Empty() {
			src = shrink(img.SubImage(r).(*image.NRGBA), k)
			x0 = (x0 - float64(r.Min.X)) / float64(k)
			y0 = (y0 - float64(r.Min.Y)) / float64(k)
			w, h = w/float64(k), h/float64(k)
			sx, sy = w/float64(outW), h/float64(outH)
		}
	}
	out := rgbBuf{W: outW, H: outH, Pix: make([]uint8, outW*outH*3)}
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if sw == 0 || sh == 0 {
		return out
	}
	base := src.Rect.Min
	xi0 := make([]int, outW)
	xi1 := make([]int, outW)
	xf := make([]float32, outW)
	for x := 0; x < outW; x++ {
		fx := x0 + (float64(x)+0.5)*sx - 0.5
		i := int(math.Floor(fx))
		f := float32(fx - float64(i))
		xi0[x], xi1[x], xf[x] = clampI(i, sw-1), clampI(i+1, sw-1), f
	}
	for y := 0; y < outH; y++ {
		fy := y0 + (float64(y)+0.5)*sy - 0.5
		j := int(math.Floor(fy))
		g := float32(fy - float64(j))
		r0 := src.Pix[(clampI(j, sh-1)+0)*src.Stride:]
		r1 := src.Pix[(clampI(j+1, sh-1))*src.Stride:]
		_ = base
		o := out.Pix[y*outW*3:]
		for x := 0; x < outW; x++ {
			a, b, f := xi0[x]*4, xi1[x]*4, xf[x]
			for c := 0; c < 3; c++ {
				top := float32(r0[a+c]) + (float32(r0[b+c])-float32(r0[a+c]))*f
				bot := float32(r1[a+c]) + (float32(r1[b+c])-float32(r1[a+c]))*f
				o[x*3+c] = uint8(top + (bot-top)*g + 0.5)
			}
		}
	}
	return out
}

// shrink box-filters img down by an integer factor k.
func shrink(img *image.NRGBA, k int) *image.NRGBA {
	w, h := img.Rect.Dx()/k, img.Rect.Dy()/k
	if w < 1 {
		w = 1
	}
	if h < 1 {
		h = 1
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	acc := make([]uint32, w*3)
	for y := 0; y < h; y++ {
		for i := range acc {
			acc[i] = 0
		}
		n := uint32(0)
		for dy := 0; dy < k && y*k+dy < sh; dy++ {
			row := img.Pix[(y*k+dy)*img.Stride:]
			for x := 0; x < w; x++ {
				for dx := 0; dx < k && x*k+dx < sw; dx++ {
					p := (x*k + dx) * 4
					acc[x*3] += uint32(row[p])
					acc[x*3+1] += uint32(row[p+1])
					acc[x*3+2] += uint32(row[p+2])
				}
			}
			n++
		}
		n *= uint32(k)
		o := dst.Pix[y*dst.Stride:]
		for x := 0; x < w; x++ {
			o[x*4] = uint8(acc[x*3] / n)
			o[x*4+1] = uint8(acc[x*3+1] / n)
			o[x*4+2] = uint8(acc[x*3+2] / n)
			o[x*4+3] = 0xFF
		}
	}
	return dst
}

func clampI(v, hi int) int {
	if v < 0 {
		return 0
	}
	if v > hi {
		return hi
	}
	return v
}

// affine is a 2×3 transform: x' = A·x + B·y + C, y' = D·x + E·y + F.
type affine struct{ A, B, C, D, E, F float64 }

func (t affine) apply(p Point) Point {
	return Point{t.A*p.X + t.B*p.Y + t.C, t.D*p.X + t.E*p.Y + t.F}
}

// similarity returns the least-squares similarity transform (rotation,
// uniform scale, translation; no reflection) that maps src onto dst.
func similarity(src, dst []Point) affine {
	n := float64(len(src))
	var msx, msy, mdx, mdy float64
	for i := range src {
		msx += src[i].X
		msy += src[i].Y
		mdx += dst[i].X
		mdy += dst[i].Y
	}
	msx, msy, mdx, mdy = msx/n, msy/n, mdx/n, mdy/n
	var num1, num2, den float64
	for i := range src {
		x, y := src[i].X-msx, src[i].Y-msy
		u, v := dst[i].X-mdx, dst[i].Y-mdy
		num1 += x*u + y*v
		num2 += x*v - y*u
		den += x*x + y*y
	}
	if den == 0 {
		return affine{A: 1, E: 1}
	}
	a, b := num1/den, num2/den
	return affine{A: a, B: -b, C: mdx - (a*msx - b*msy), D: b, E: a, F: mdy - (b*msx + a*msy)}
}

// invert returns the inverse transform.
func (t affine) invert() affine {
	det := t.A*t.E - t.B*t.D
	if det == 0 {
		return affine{A: 1, E: 1}
	}
	a, b, d, e := t.E/det, -t.B/det, -t.D/det, t.A/det
	return affine{A: a, B: b, C: -(a*t.C + b*t.F), D: d, E: e, F: -(d*t.C + e*t.F)}
}

// warp samples img through inv (output pixel → source pixel) into an
// outW×outH RGB buffer; outside the image is black, as cv.warpAffine does.
func warp(img *image.NRGBA, inv affine, outW, outH int) rgbBuf {
	out := rgbBuf{W: outW, H: outH, Pix: make([]uint8, outW*outH*3)}
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	for y := 0; y < outH; y++ {
		for x := 0; x < outW; x++ {
			p := inv.apply(Point{float64(x), float64(y)})
			i, j := int(math.Floor(p.X)), int(math.Floor(p.Y))
			if i < -1 || j < -1 || i >= sw || j >= sh {
				continue
			}
			f, g := float32(p.X-float64(i)), float32(p.Y-float64(j))
			o := (y*outW + x) * 3
			for c := 0; c < 3; c++ {
				v00 := px(img, i, j, c, sw, sh)
				v10 := px(img, i+1, j, c, sw, sh)
				v01 := px(img, i, j+1, c, sw, sh)
				v11 := px(img, i+1, j+1, c, sw, sh)
				top := v00 + (v10-v00)*f
				bot := v01 + (v11-v01)*f
				out.Pix[o+c] = uint8(top + (bot-top)*g + 0.5)
			}
		}
	}
	return out
}

func px(img *image.NRGBA, x, y, c, w, h int) float32 {
	if x < 0 || y < 0 || x >= w || y >= h {
		return 0
	}
	return float32(img.Pix[y*img.Stride+x*4+c])
}

// chw converts to a planar float tensor: out = (v − mean[c]) / std[c], in
// RGB order, or BGR when bgr is set.
func (b rgbBuf) chw(mean, std [3]float32, bgr bool) []float32 {
	n := b.W * b.H
	out := make([]float32, 3*n)
	for c := 0; c < 3; c++ {
		sc := c
		if bgr {
			sc = 2 - c
		}
		m, s := mean[c], 1/std[c]
		plane := out[c*n : (c+1)*n]
		for i := 0; i < n; i++ {
			plane[i] = (float32(b.Pix[i*3+sc]) - m) * s
		}
	}
	return out
}

// grey returns luma values (BT.601) of the buffer.
func (b rgbBuf) grey() []float32 {
	n := b.W * b.H
	out := make([]float32, n)
	for i := 0; i < n; i++ {
		out[i] = 0.299*float32(b.Pix[i*3]) + 0.587*float32(b.Pix[i*3+1]) + 0.114*float32(b.Pix[i*3+2])
	}
	return out
}

// laplacianVar is the variance of the 4-neighbour Laplacian of a grey
// image of width w, over the rectangle r (kept one pixel inside the image):
// a standard sharpness measure (low = blurry).
func laplacianVar(g []float32, w, h int, r image.Rectangle) float64 {
	r = r.Intersect(image.Rect(1, 1, w-1, h-1))
	var s, s2 float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := y*w + x
			l := float64(g[i-1] + g[i+1] + g[i-w] + g[i+w] - 4*g[i])
			s += l
			s2 += l * l
			n++
		}
	}
	if n == 0 {
		return 0
	}
	m := s / float64(n)
	return s2/float64(n) - m*m
}

func softmax(v []float32) []float64 {
	out := make([]float64, len(v))
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, float64(x))
	}
	var sum float64
	for i, x := range v {
		out[i] = math.Exp(float64(x) - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
