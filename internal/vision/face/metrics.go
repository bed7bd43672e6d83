package face

import (
	"math"
	"sort"
)

// FARPoint is the operating point of a threshold chosen for a target false
// accept rate.
type FARPoint struct {
	FAR       float64 `json:"far"`       // target false accept rate
	Cosine    float64 `json:"cosine"`    // threshold: accept when cosine > this
	Score     float64 `json:"score"`     // the threshold on the 0–100 scale
	TAR       float64 `json:"tar"`       // share of genuine pairs accepted
	Supported bool    `json:"supported"` // enough impostor pairs (≥ 1/FAR) to estimate it
}

// Metrics summarise a 1:1 verification run.
type Metrics struct {
	Genuine   int        `json:"genuine_pairs"`
	Impostor  int        `json:"impostor_pairs"`
	Points    []FARPoint `json:"points"`
	EER       float64    `json:"eer"`
	EERCosine float64    `json:"eer_cosine"`
	// GenuineMin/ImpostorMax show the overlap of the two distributions.
	GenuineMin, GenuineMedian, ImpostorMedian, ImpostorMax float64
}

// ComputeMetrics evaluates genuine and impostor cosine similarities at FAR
// 1e-2, 1e-3 and 1e-4 (a point is Supported only when there are at least
// 1/FAR impostor pairs) and the equal error rate.
func ComputeMetrics(genuine, impostor []float64) Metrics {
	g := append([]float64(nil), genuine...)
	im := append([]float64(nil), impostor...)
	sort.Float64s(g)
	sort.Sort(sort.Reverse(sort.Float64Slice(im)))
	m := Metrics{Genuine: len(g), Impostor: len(im)}
	if len(g) > 0 {
		m.GenuineMin, m.GenuineMedian = g[0], g[len(g)/2]
	}
	if len(im) > 0 {
		m.ImpostorMax, m.ImpostorMedian = im[0], im[len(im)/2]
	}
	for _, far := range []float64{1e-2, 1e-3, 1e-4} {
		p := FARPoint{FAR: far, Supported: float64(len(im)) >= 1/far}
		if len(im) > 0 {
			k := int(math.Floor(far * float64(len(im))))
			if k >= len(im) {
				k = len(im) - 1
			}
			p.Cosine = im[k]
			p.Score = Score(p.Cosine)
			p.TAR = acceptRate(g, p.Cosine)
		}
		m.Points = append(m.Points, p)
	}
	// EER: sweep thresholds over all observed values.
	if len(g) > 0 && len(im) > 0 {
		best := math.Inf(1)
		all := append(append([]float64(nil), g...), im...)
		sort.Float64s(all)
		for _, t := range all {
			frr := 1 - acceptRate(g, t)
			far := acceptRateDesc(im, t)
			if d := math.Abs(frr - far); d < best {
				best, m.EER, m.EERCosine = d, (frr+far)/2, t
			}
		}
	}
	return m
}

// acceptRate is the share of ascending-sorted values strictly above t.
func acceptRate(asc []float64, t float64) float64 {
	if len(asc) == 0 {
		return 0
	}
	i := sort.Search(len(asc), func(i int) bool { return asc[i] > t })
	return float64(len(asc)-i) / float64(len(asc))
}

// acceptRateDesc is the share of descending-sorted values strictly above t.
func acceptRateDesc(desc []float64, t float64) float64 {
	if len(desc) == 0 {
		return 0
	}
	i := sort.Search(len(desc), func(i int) bool { return desc[i] <= t })
	return float64(i) / float64(len(desc))
}
