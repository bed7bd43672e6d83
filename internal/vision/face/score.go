package face

import "math"

// Cosine is the cosine similarity of two embeddings (their dot product,
// since both are L2-normalised).
func Cosine(a, b Embedding) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// Score maps a cosine similarity to Baidu's 0…100 scale. The mapping is
// piecewise linear through calibration anchors (docs/calibration.md): 80 is
// the cosine at FAR 1e-4 and 70 the cosine at FAR 1e-3 on real impostor pairs.
func Score(cos float64) float64 {
	if math.IsNaN(cos) {
		return 0
	}
	a := anchors
	if cos <= a[0].cos {
		return a[0].score
	}
	for i := 1; i < len(a); i++ {
		if cos <= a[i].cos {
			t := (cos - a[i-1].cos) / (a[i].cos - a[i-1].cos)
			return a[i-1].score + t*(a[i].score-a[i-1].score)
		}
	}
	return a[len(a)-1].score
}

// CosineForScore is the inverse of Score: the cosine that maps to score
// (clamped to 0…100).
func CosineForScore(score float64) float64 {
	a := anchors
	if score <= a[0].score {
		return a[0].cos
	}
	for i := 1; i < len(a); i++ {
		if score <= a[i].score {
			t := (score - a[i-1].score) / (a[i].score - a[i-1].score)
			return a[i-1].cos + t*(a[i].cos-a[i-1].cos)
		}
	}
	return a[len(a)-1].cos
}

type anchor struct{ cos, score float64 }

// anchors are the calibration points (docs/calibration.md): on the
// package photos (13,501 impostor pairs) the impostor cosine at FAR 1e-2 was
// 0.24, at FAR 1e-3 0.31 and at FAR 1e-4 0.42 (max 0.43); the lowest of 334
// genuine pairs was 0.45.
var anchors = []anchor{
	{-1, 0},
	{0, 30},
	{0.24, 60},
	{0.31, 70},
	{0.42, 80},
	{0.60, 90},
	{1, 100},
}
