package idcard

import (
	"image"
	"math"

	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// Thresholds on Measures, calibrated on generated captures (faceprint eval
// idcards) and kept deliberately conservative: a doubtful case stays normal.
var (
	BlurThreshold      = 0.0025 // Sharpness below → blurred
	WholeBlurThreshold = 0.0015 // WholeSharpness below → blurred (photos without a card found)
	DarkThreshold      = 55.0   // MeanLuma below → over_dark
	ExposureThreshold  = 0.45   // Saturated share above → over_exposure …
	InkWashedOut       = 80.0   // … when even the ink (0.5th percentile) is this light
	CopyChromaMax      = 4.0    // Chroma as % of MeanLuma below → greyscale copy
	ScreenPeakMin      = 1300.0 // ScreenPeak above → screen re-capture (seed-2 set: clean ≤ 952, screens ≥ 1371)
	ScreenUnknownFrom  = 900.0  // from here to ScreenPeakMin: cannot tell
)

// measure fills a.measures from the rectified card and the photo, all but
// the screen spectrum (screenPeak, run alongside the field reading).
func (a *analysis) measure() {
	m := &a.measures
	m.Anchors = a.anchors
	var confSum float64
	n := 0
	for _, s := range a.segs {
		for _, c := range s.confs() {
			confSum += float64(c)
			n++
		}
	}
	if n > 0 {
		m.RecConfidence = confSum / float64(n)
	}
	if a.cardImg == nil {
		return
	}
	m.CardCoverage = coverage(a.toImage, a.src.Rect.Dx(), a.src.Rect.Dy())
	luma, chroma := lumaChroma(a.cardImg)
	var sum float64
	sat := 0
	for _, v := range luma {
		sum += v
		if v >= 250 {
			sat++
		}
	}
	m.MeanLuma = sum / float64(len(luma))
	m.Saturated = float64(sat) / float64(len(luma))
	m.Chroma = chroma
	m.InkLuma = percentile(luma, 0.005)
	// Half scale: rectification resampling and mild capture blur vanish,
	// heavy defocus remains.
	half, hw, hh := halve(luma, CardW, CardH)
	m.Sharpness = sharpness(half, hw, hh)
}

// halve box-averages a plane to half size.
func halve(l []float64, w, h int) ([]float64, int, int) {
	hw, hh := w/2, h/2
	out := make([]float64, hw*hh)
	for y := 0; y < hh; y++ {
		for x := 0; x < hw; x++ {
			i := 2*y*w + 2*x
			out[y*hw+x] = (l[i] + l[i+1] + l[i+w] + l[i+w+1]) / 4
		}
	}
	return out, hw, hh
}

// percentile returns the p-quantile of v (0..255 values) via a histogram.
func percentile(v []float64, p float64) float64 {
	var hist [256]int
	for _, x := range v {
		hist[int(math.Max(0, math.Min(255, x)))]++
	}
	target := int(p * float64(len(v)))
	acc := 0
	for i, n := range hist {
		acc += n
		if acc > target {
			return float64(i)
		}
	}
	return 255
}

// coverage is the share of the card that lies inside the photo.
func coverage(toImage ocr.Homography, w, h int) float64 {
	in, all := 0, 0
	for y := 0.5; y < 20; y++ {
		for x := 0.5; x < 32; x++ {
			p := toImage.Apply(ocr.Point{X: x / 32 * CardW, Y: y / 20 * CardH})
			all++
			if p.X >= 0 && p.Y >= 0 && p.X < float64(w) && p.Y < float64(h) {
				in++
			}
		}
	}
	return float64(in) / float64(all)
}

// lumaChroma returns the luminance plane and the mean colourfulness after a
// grey-world white balance (so a tinted grey copy still measures ~0). The
// portrait area counts: on a real card it is the most colourful part.
func lumaChroma(img *image.RGBA) ([]float64, float64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	luma := make([]float64, w*h)
	var mr, mg, mb float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := y*img.Stride + x*4
			r, g, b := float64(img.Pix[o]), float64(img.Pix[o+1]), float64(img.Pix[o+2])
			mr += r
			mg += g
			mb += b
			luma[y*w+x] = 0.299*r + 0.587*g + 0.114*b
		}
	}
	n := float64(w * h)
	mr, mg, mb = mr/n+1, mg/n+1, mb/n+1
	mean := (mr + mg + mb) / 3
	kr, kg, kb := mean/mr, mean/mg, mean/mb
	var c float64
	for y := 0; y < h; y += 2 {
		for x := 0; x < w; x += 2 {
			o := y*img.Stride + x*4
			r, g, b := float64(img.Pix[o])*kr, float64(img.Pix[o+1])*kg, float64(img.Pix[o+2])*kb
			c += math.Max(r, math.Max(g, b)) - math.Min(r, math.Min(g, b))
		}
	}
	return luma, c / (n / 4)
}

// sharpness is the mean squared Laplacian over the variance of the card's
// luminance: contrast-independent, and low when strokes are smeared.
func sharpness(l []float64, w, h int) float64 {
	var mean, lap float64
	for _, v := range l {
		mean += v
	}
	mean /= float64(len(l))
	var variance float64
	for _, v := range l {
		variance += (v - mean) * (v - mean)
	}
	variance /= float64(len(l))
	n := 0
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			d := 4*l[i] - l[i-1] - l[i+1] - l[i-w] - l[i+w]
			lap += d * d
			n++
		}
	}
	if variance < 1 || n == 0 {
		return 0
	}
	return lap / float64(n) / variance / 16
}

// qualityStatus turns the measures into image_status for a card of the right side.
func qualityStatus(m Measures) string {
	switch {
	case m.MeanLuma > 0 && m.MeanLuma < DarkThreshold:
		return StatusOverDark
	case m.Saturated > ExposureThreshold && m.InkLuma > InkWashedOut:
		return StatusOverExposure
	case m.MeanLuma > 0 && m.Sharpness < BlurThreshold:
		return StatusBlurred
	}
	return StatusNormal
}

// riskType decides risk_type. Temporary cards are named by their title
// (临时居民身份证); screens and copies by measurement; unknown when no
// card could be rectified to measure.
func riskType(a *analysis) string {
	m := a.measures
	switch {
	case a.side == "":
		return RiskUnknown
	case a.temporary:
		return RiskTemporary
	case a.cardImg == nil:
		return RiskUnknown
	case m.ScreenPeak >= ScreenPeakMin && (qualityStatus(m) == StatusNormal || m.ScreenPeak >= 2*ScreenPeakMin):
		return RiskScreen // a strong display pattern shows even on a dark or bright photo
	case qualityStatus(m) != StatusNormal:
		return RiskUnknown // colour cannot be judged on a washed-out, dark or blurred card
	case m.Chroma*100/math.Max(m.MeanLuma, 1) < CopyChromaMax:
		return RiskCopy
	case m.ScreenPeak >= ScreenUnknownFrom:
		return RiskUnknown
	case m.ScreenPeak == 0 && m.CardCoverage < 0.9:
		return RiskUnknown // the card runs off the photo: too little to measure
	}
	return RiskNormal
}

// cardQuality fills card_quality from the measures: clear (sharpness),
// complete (card inside the photo) and not covered (the expected fields read).
func cardQuality(a *analysis) *CardQuality {
	m := a.measures
	q := &CardQuality{}
	clear := sigmoid((m.Sharpness - BlurThreshold) / (BlurThreshold * 0.3))
	q.IsClearPropobility = round3(clear)
	if clear >= 0.5 {
		q.IsClear = 1
	}
	q.IsCompletePropobility = round3(m.CardCoverage)
	if m.CardCoverage >= 0.98 {
		q.IsComplete = 1
	}
	want := len(FrontKeys)
	if a.side == "back" {
		want = len(BackKeys)
	}
	cover := 0.0
	if want > 0 && a.side != "" {
		cover = float64(len(a.fields)) / float64(want)
	}
	q.IsNoCoverPropobility = round3(cover)
	if cover >= 0.99 {
		q.IsNoCover = 1
	}
	return q
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// wholeImage measures the whole photo on a grid of about 400 samples
// across: mean luminance, saturated share and sharpness. They judge photos
// in which no card was found.
func wholeImage(src *image.RGBA) (mean, saturated, sharp float64) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	step := max(1, max(w, h)/400)
	sw, sh := (w+step-1)/step, (h+step-1)/step
	l := make([]float64, 0, sw*sh)
	for y := 0; y < h; y += step {
		for x := 0; x < w; x += step {
			o := y*src.Stride + x*4
			l = append(l, 0.299*float64(src.Pix[o])+0.587*float64(src.Pix[o+1])+0.114*float64(src.Pix[o+2]))
		}
	}
	if len(l) == 0 || len(l) != sw*sh {
		return 0, 0, 0
	}
	var sum float64
	sat := 0
	for _, v := range l {
		sum += v
		if v >= 250 {
			sat++
		}
	}
	return sum / float64(len(l)), float64(sat) / float64(len(l)), sharpness(l, sw, sh)
}

// wholeImageStatus judges a photo in which no card was found: a photo that
// is mostly blown out, dark or blurred is reported as such rather than as
// "not a card", since the card may well be there.
func wholeImageStatus(m Measures) string {
	switch {
	case m.WholeLuma < DarkThreshold:
		return StatusOverDark
	case m.WholeSaturated > ExposureThreshold:
		return StatusOverExposure
	case m.WholeSharpness > 0 && m.WholeSharpness < WholeBlurThreshold && m.TextBoxes >= 3:
		// Smooth photos without text (a face) are not "blurred cards".
		return StatusBlurred
	}
	return ""
}
