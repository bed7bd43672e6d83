package face

import (
	"image"
	"math"
	"sort"

	xdraw "golang.org/x/image/draw"
)

// Image operations for ID-card portraits: a small printed photo, often with
// a fine security pattern or a print screen over it, photographed by a
// phone and cut out of the rectified card. They are candidates measured in
// docs/calibration.md ("ID-card portraits"); CardPortraitPreprocess is the
// one the matcher applies. Every function returns a new image and leaves
// its input alone.

// GaussianBlur smooths img with a separable Gaussian of standard deviation
// sigma (pixels). A sigma near a third of the pattern's period removes a
// print screen or guilloche line pattern while keeping the face's features,
// which are several times coarser on a card portrait.
func GaussianBlur(img *image.NRGBA, sigma float64) *image.NRGBA {
	if sigma <= 0 {
		return clone(img)
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	tmp := make([]float64, w*h*3)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			var a [3]float64
			for i, kv := range k {
				xx := clampI(x+i-r, w-1)
				for c := 0; c < 3; c++ {
					a[c] += kv * float64(row[xx*4+c])
				}
			}
			copy(tmp[(y*w+x)*3:], a[:])
		}
	}
	out := clone(img)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var a [3]float64
			for i, kv := range k {
				yy := clampI(y+i-r, h-1)
				for c := 0; c < 3; c++ {
					a[c] += kv * tmp[(yy*w+x)*3+c]
				}
			}
			o := y*out.Stride + x*4
			for c := 0; c < 3; c++ {
				out.Pix[o+c] = u8(a[c])
			}
		}
	}
	return out
}

// Median3 is a 3×3 per-channel median: it removes isolated dots (halftone
// dots, sensor noise, JPEG ringing) without softening edges as a blur does.
func Median3(img *image.NRGBA) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := clone(img)
	var win [9]uint8
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				n := 0
				for dy := -1; dy <= 1; dy++ {
					row := img.Pix[clampI(y+dy, h-1)*img.Stride:]
					for dx := -1; dx <= 1; dx++ {
						win[n] = row[clampI(x+dx, w-1)*4+c]
						n++
					}
				}
				s := win[:]
				sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
				out.Pix[y*out.Stride+x*4+c] = win[4]
			}
		}
	}
	return out
}

// StretchContrast maps the lo and hi percentiles of the luminance to 0 and
// 255, the same linear map on every channel (hue is kept). Printed
// portraits are washed out (raised blacks, lowered whites) and a phone
// photo under room light lowers the contrast further.
func StretchContrast(img *image.NRGBA, lo, hi float64) *image.NRGBA {
	var hist [256]int
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			hist[luma(row[x*4:])]++
		}
	}
	a, b := percentile(&hist, w*h, lo), percentile(&hist, w*h, hi)
	if b-a < 16 {
		// A nearly flat image: stretching would only amplify noise.
		return clone(img)
	}
	gain := 255 / float64(b-a)
	out := clone(img)
	for y := 0; y < h; y++ {
		o := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				o[x*4+c] = u8((float64(o[x*4+c]) - float64(a)) * gain)
			}
		}
	}
	return out
}

// CLAHE equalises the luminance histogram in tiles×tiles tiles with the
// contrast limit clip (multiple of the mean bin count) and bilinear
// interpolation between tile mappings (Zuiderveld's contrast-limited
// adaptive histogram equalisation); the luminance change is added to every
// channel so the colours keep their hue.
func CLAHE(img *image.NRGBA, tiles int, clip float64) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if tiles < 1 || w < 2*tiles || h < 2*tiles {
		return clone(img)
	}
	lum := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			lum[y*w+x] = luma(row[x*4:])
		}
	}
	maps := make([][256]float64, tiles*tiles)
	for ty := 0; ty < tiles; ty++ {
		for tx := 0; tx < tiles; tx++ {
			x0, x1 := tx*w/tiles, (tx+1)*w/tiles
			y0, y1 := ty*h/tiles, (ty+1)*h/tiles
			var hist [256]float64
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					hist[lum[y*w+x]]++
				}
			}
			n := float64((x1 - x0) * (y1 - y0))
			limit := math.Max(1, clip*n/256)
			var excess float64
			for i := range hist {
				if hist[i] > limit {
					excess += hist[i] - limit
					hist[i] = limit
				}
			}
			m := &maps[ty*tiles+tx]
			var cum float64
			for i := range hist {
				cum += hist[i] + excess/256
				m[i] = 255 * cum / n
			}
		}
	}
	out := clone(img)
	for y := 0; y < h; y++ {
		// Tile centres are at (t+0.5)·size; interpolate between the four nearest.
		fy := (float64(y)+0.5)*float64(tiles)/float64(h) - 0.5
		ty0 := int(math.Floor(fy))
		gy := fy - float64(ty0)
		ty1 := min(ty0+1, tiles-1)
		ty0 = max(ty0, 0)
		o := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			fx := (float64(x)+0.5)*float64(tiles)/float64(w) - 0.5
			tx0 := int(math.Floor(fx))
			gx := fx - float64(tx0)
			tx1 := min(tx0+1, tiles-1)
			tx0 = max(tx0, 0)
			l := lum[y*w+x]
			v := (1-gy)*((1-gx)*maps[ty0*tiles+tx0][l]+gx*maps[ty0*tiles+tx1][l]) +
				gy*((1-gx)*maps[ty1*tiles+tx0][l]+gx*maps[ty1*tiles+tx1][l])
			d := v - float64(l)
			for c := 0; c < 3; c++ {
				o[x*4+c] = u8(float64(o[x*4+c]) + d)
			}
		}
	}
	return out
}

// Upscale enlarges img by factor with Catmull-Rom (bicubic) interpolation.
// The detector and the aligner resample the face to 112×112 themselves
// (bilinear); a bicubic enlargement first only helps when the face is
// smaller than that.
func Upscale(img *image.NRGBA, factor float64) *image.NRGBA {
	w := int(math.Round(float64(img.Rect.Dx()) * factor))
	h := int(math.Round(float64(img.Rect.Dy()) * factor))
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(out, out.Rect, img, img.Rect, xdraw.Src, nil)
	return out
}

func clone(img *image.NRGBA) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		copy(out.Pix[y*out.Stride:][:w*4], img.Pix[y*img.Stride:][:w*4])
	}
	return out
}

// luma is the Rec. 601 luminance of an RGB(A) pixel.
func luma(p []uint8) uint8 {
	return uint8((299*int(p[0]) + 587*int(p[1]) + 114*int(p[2]) + 500) / 1000)
}

func percentile(hist *[256]int, n int, q float64) int {
	target := int(q * float64(n-1))
	cum := 0
	for i, c := range hist {
		cum += c
		if cum > target {
			return i
		}
	}
	return 255
}

func u8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// CardPortraitPreprocessName names CardPortraitPreprocess in reports.
const CardPortraitPreprocessName = "median 3×3"

// CardPortraitPreprocess is what the matcher applies to an ID-card portrait
// reference before detection: a 3×3 median. On 464 generated cards with
// real photos as portraits, 1,942 genuine and 192,334 impostor pairs
// (docs/calibration.md, "ID-card portraits"), it was the one candidate that
// raised genuine scores (TAR at 80 88.4 % → 89.5 %: 49 pairs crossed 80
// upwards, 28 downwards) without raising the impostor tail (max 80.8 →
// 80.6, ≥ 70: 91 → 89; ≥ 80: 2 → 3, both far inside FAR 1e-4). The gain is
// on portraits with a fine line pattern (85.9 % → 88.5 %), where the
// pattern also made fr_pose misread a frontal face as turned; on plain
// portraits it is neutral (90.9 % → 90.5 %). Gaussian de-screening,
// contrast stretching, CLAHE and bicubic upscaling each lost genuine pairs
// or raised the impostor maximum.
func CardPortraitPreprocess(img *image.NRGBA) *image.NRGBA { return Median3(img) }
