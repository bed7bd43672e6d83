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

// Interval is a two-sided confidence interval for a proportion.
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// ClopperPearson is the exact (conservative) two-sided binomial confidence
// interval for k successes in n trials at level conf (e.g. 0.95). With
// k = 0 the upper bound is 1−(α/2)^(1/n), about 3.7/n at 95 % — close to the
// "rule of three". It is the interval reported next to every FAR because
// impostor counts above a threshold are small and Wilson's normal
// approximation is too optimistic there.
func ClopperPearson(k, n int, conf float64) Interval {
	if n <= 0 {
		return Interval{0, 1}
	}
	alpha := 1 - conf
	iv := Interval{0, 1}
	if k > 0 {
		iv.Lo = betaQuantile(alpha/2, float64(k), float64(n-k+1))
	}
	if k < n {
		iv.Hi = betaQuantile(1-alpha/2, float64(k+1), float64(n-k))
	}
	return iv
}

// Wilson is the Wilson score interval for k of n at normal quantile z
// (1.96 for 95 %); used for TAR, where counts are large.
func Wilson(k, n int, z float64) Interval {
	if n <= 0 {
		return Interval{0, 1}
	}
	p := float64(k) / float64(n)
	nf := float64(n)
	d := 1 + z*z/nf
	c := (p + z*z/(2*nf)) / d
	h := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return Interval{math.Max(0, c-h), math.Min(1, c+h)}
}

// betaQuantile inverts the regularised incomplete beta function by
// bisection (60 steps: far below the precision any FAR needs).
func betaQuantile(p, a, b float64) float64 {
	lo, hi := 0.0, 1.0
	for i := 0; i < 200; i++ {
		mid := (lo + hi) / 2
		if betaInc(a, b, mid) < p {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-12*math.Max(mid, 1e-300) {
			break
		}
	}
	return (lo + hi) / 2
}

// betaInc is the regularised incomplete beta function I_x(a, b) (continued
// fraction, Numerical Recipes §6.4).
func betaInc(a, b, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a + b)
	lb, _ := math.Lgamma(a)
	lc, _ := math.Lgamma(b)
	bt := math.Exp(la - lb - lc + a*math.Log(x) + b*math.Log(1-x))
	if x < (a+1)/(a+b+2) {
		return bt * betaCF(a, b, x) / a
	}
	return 1 - bt*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const tiny = 1e-300
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 300; m++ {
		mf := float64(m)
		m2 := 2 * mf
		aa := mf * (b - mf) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + mf) * (qab + mf) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 3e-14 {
			break
		}
	}
	return h
}

// RateAt is the share of cos values whose Score is ≥ score, with the count
// and a 95 % Clopper–Pearson interval: FAR when cos are impostor pairs, TAR
// when they are genuine pairs.
type RateAt struct {
	Score    float64  `json:"score"`
	Count    int      `json:"count"`
	N        int      `json:"n"`
	Rate     float64  `json:"rate"`
	Interval Interval `json:"ci95"`
}

// RatesAt evaluates RateAt at each score (with the current anchors).
func RatesAt(cos []float64, scores ...float64) []RateAt {
	out := make([]RateAt, 0, len(scores))
	for _, s := range scores {
		k := 0
		for _, c := range cos {
			if Score(c) >= s {
				k++
			}
		}
		r := RateAt{Score: s, Count: k, N: len(cos), Interval: ClopperPearson(k, len(cos), 0.95)}
		if len(cos) > 0 {
			r.Rate = float64(k) / float64(len(cos))
		}
		out = append(out, r)
	}
	return out
}

// ConservativeThreshold is the lowest cosine t such that the impostor pairs
// with cosine ≥ t are few enough for the one-sided 95 % upper bound
// (Clopper–Pearson, i.e. the two-sided 90 % interval's upper end) on the
// FAR to stay ≤ far. It returns t just above the highest impostor cosine
// that must stay rejected, the number of pairs at or above t, and whether
// the data support the target at all: with n impostor pairs even k = 0
// gives an upper bound of about 3/n, so far < 3/n cannot be shown.
func ConservativeThreshold(impostor []float64, far float64) (t float64, k int, supported bool) {
	im := append([]float64(nil), impostor...)
	sort.Sort(sort.Reverse(sort.Float64Slice(im)))
	n := len(im)
	if n == 0 {
		return 1, 0, false
	}
	// Largest k with upper bound ≤ far (the bound grows with k).
	k = -1
	for kk := 0; kk < n; kk++ {
		if ClopperPearson(kk, n, 0.90).Hi > far {
			break
		}
		k = kk
	}
	if k < 0 {
		// Not even k = 0 is enough: reject everything seen.
		return math.Ceil((im[0]+1e-9)*1000) / 1000, 0, false
	}
	// Accept strictly above the (k+1)-th highest cosine, rounded up to a
	// 1e-3 step so that the anchor is a readable number; ties are rejected.
	t = math.Ceil((im[k]+1e-9)*1000) / 1000
	cnt := sort.Search(n, func(i int) bool { return im[i] < t })
	return t, cnt, true
}
