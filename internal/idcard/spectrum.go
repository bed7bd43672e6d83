package idcard

import (
	"image"
	"math"
	"slices"
	"sync"

	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// screenPeak looks for the periodic structure a display adds (sub-pixel
// grid, moiré) in the photo's own pixels (rectifying would resample the
// grid away). For 3×3 windowed patches inside the card it takes the power
// spectra of luminance and of the red−blue chroma, normalises each by the
// median of its frequency ring, and keeps per frequency the median over
// patches: a screen's pattern peaks in every patch, a card's own periodic
// print (the number's fixed pitch, text lines) only in some. It returns the
// strongest such peak. JPEG block harmonics are skipped.
func screenPeak(src *image.RGBA, toImage ocr.Homography) float64 {
	// Patch size: 128 when the card is large enough in the photo, else 64.
	w := math.Hypot(toImage.Apply(ocr.Point{X: CardW, Y: CardH / 2}).X-toImage.Apply(ocr.Point{X: 0, Y: CardH / 2}).X,
		toImage.Apply(ocr.Point{X: CardW, Y: CardH / 2}).Y-toImage.Apply(ocr.Point{X: 0, Y: CardH / 2}).Y)
	n := 128
	if w < 560 {
		n = 64
	}
	lay := spectrumLayoutFor(n)
	var ratios [2][][]float64 // [channel][patch] → per-bin ratio (lay.bins order)
	for _, cy := range []float64{0.3, 0.5, 0.7} {
		for _, cx := range []float64{0.25, 0.45, 0.65} {
			c := toImage.Apply(ocr.Point{X: cx * CardW, Y: cy * CardH})
			x0, y0 := int(c.X)-n/2, int(c.Y)-n/2
			if x0 < 0 || y0 < 0 || x0+n > src.Rect.Dx() || y0+n > src.Rect.Dy() {
				continue
			}
			l, rb := lay.patchRatios(src, x0, y0)
			ratios[0] = append(ratios[0], l)
			ratios[1] = append(ratios[1], rb)
		}
	}
	best := 0.0
	var vals [9]float64
	for ch := range 2 {
		ps := ratios[ch]
		if len(ps) < 3 {
			continue
		}
		for f := range lay.bins {
			v := vals[:len(ps)]
			for k := range ps {
				v[k] = ps[k][f]
			}
			slices.Sort(v)
			if m := v[len(v)/2]; m > best {
				best = m
			}
		}
	}
	return best
}

// spectrumLayout is what patchRatios needs per patch size: the window,
// FFT twiddles, each bin's frequency ring, and the bins that are scored.
type spectrumLayout struct {
	n       int
	win     []float64
	twiddle []complex128 // e^{-2πik/n}, k < n/2
	rings   [][]int32    // bin indices (y·n+x) per ring, for the rings scored
	ring0   int          // ring of rings[0]
	bins    []int32      // scored bins
	binRing []int32      // their ring, minus ring0
}

var spectrumLayouts sync.Map // n → *spectrumLayout

func spectrumLayoutFor(n int) *spectrumLayout {
	if l, ok := spectrumLayouts.Load(n); ok {
		return l.(*spectrumLayout)
	}
	l := &spectrumLayout{n: n, win: make([]float64, n), twiddle: make([]complex128, n/2)}
	for i := range l.win {
		l.win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
	}
	for k := range l.twiddle {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		l.twiddle[k] = complex(c, s)
	}
	freq := func(i int) int {
		if i > n/2 {
			return i - n
		}
		return i
	}
	// Scored: rings above the lowest frequencies and below Nyquist, off the
	// axes and the JPEG 8×8 block harmonics (every n/8 bins).
	l.ring0 = n/24 + 2
	l.rings = make([][]int32, n/2-l.ring0)
	block := n / 8
	for y := range n {
		for x := range n {
			fx, fy := freq(x), freq(y)
			r := int(math.Round(math.Hypot(float64(fx), float64(fy))))
			if r < l.ring0 || r >= n/2 {
				continue
			}
			l.rings[r-l.ring0] = append(l.rings[r-l.ring0], int32(y*n+x))
			if fx%block != 0 && fy%block != 0 {
				l.bins = append(l.bins, int32(y*n+x))
				l.binRing = append(l.binRing, int32(r-l.ring0))
			}
		}
	}
	v, _ := spectrumLayouts.LoadOrStore(n, l)
	return v.(*spectrumLayout)
}

// patchRatios returns, for each scored bin of the n×n patch at (x0, y0),
// its power over the median power of its ring, for luminance and for
// red−blue chroma. (Packing both real channels into one complex FFT would
// halve the work but drowns a greyscale copy's near-zero chroma in the
// luminance's rounding error.)
func (l *spectrumLayout) patchRatios(src *image.RGBA, x0, y0 int) (luma, chroma []float64) {
	n := l.n
	lv, cv := make([]float64, n*n), make([]float64, n*n)
	var ml, mc float64
	for y := range n {
		row := src.Pix[(y0+y)*src.Stride+x0*4:]
		for x := range n {
			r, g, b := float64(row[4*x]), float64(row[4*x+1]), float64(row[4*x+2])
			lv[y*n+x], cv[y*n+x] = 0.299*r+0.587*g+0.114*b, r-b
			ml += lv[y*n+x]
			mc += cv[y*n+x]
		}
	}
	ml /= float64(n * n)
	mc /= float64(n * n)
	return l.ratios(l.power(lv, ml)), l.ratios(l.power(cv, mc))
}

// power is the power spectrum of the windowed plane v minus its mean.
func (l *spectrumLayout) power(v []float64, mean float64) []float64 {
	n := l.n
	buf := make([]complex128, n*n)
	for y := range n {
		for x := range n {
			buf[y*n+x] = complex((v[y*n+x]-mean)*l.win[x]*l.win[y], 0)
		}
	}
	l.fft2(buf)
	pow := v // reuse
	for i, z := range buf {
		pow[i] = real(z)*real(z) + imag(z)*imag(z)
	}
	return pow
}

// ratios divides each scored bin's power by its ring's median power
// (0 where that median is 0).
func (l *spectrumLayout) ratios(pow []float64) []float64 {
	med := make([]float64, len(l.rings))
	var tmp []float64
	for r, idx := range l.rings {
		tmp = tmp[:0]
		for _, i := range idx {
			tmp = append(tmp, pow[i])
		}
		slices.Sort(tmp)
		med[r] = tmp[len(tmp)/2]
	}
	out := make([]float64, len(l.bins))
	for k, i := range l.bins {
		if m := med[l.binRing[k]]; m > 0 {
			out[k] = pow[i] / m
		}
	}
	return out
}

// fft2 is an in-place 2-D radix-2 FFT of an n×n block.
func (l *spectrumLayout) fft2(b []complex128) {
	n := l.n
	for y := range n {
		l.fft(b[y*n : (y+1)*n])
	}
	col := make([]complex128, n)
	for x := range n {
		for y := range n {
			col[y] = b[y*n+x]
		}
		l.fft(col)
		for y := range n {
			b[y*n+x] = col[y]
		}
	}
}

// fft is an in-place radix-2 FFT of length n.
func (l *spectrumLayout) fft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for i := 0; i < n; i += size {
			for k := range half {
				u, v := a[i+k], a[i+k+half]*l.twiddle[k*step]
				a[i+k], a[i+k+half] = u+v, u-v
			}
		}
	}
}
