package face

import (
	"fmt"
	"math"
)

// CompareLimits are the gates a face must pass before its score can be
// trusted as "same person or not". A face that fails is answered with its
// quality code (223114–223116) and a reason instead of a low score that
// would read as "not the same person".
//
// They are deliberately looser than quality_control NORMAL: they only
// refuse what measurably breaks the comparison. On the East Asian LFW set
// (docs/calibration.md) the worst genuine pairs involve |yaw| ≥ 40° or a
// blur of ~1 (a washed-out 250-px greyscale photo); ordinary photos pass.
type CompareLimits struct {
	MinSize       float64 // face box shorter side, px (223114)
	MaxBlur       float64 // Quality.Blur (223114)
	MinBrightness float64 // mean grey of the face (223115)
	MaxBrightness float64
	// MinCompleteness is the visible share of the face box (223116).
	MinCompleteness float64
	// MaxYaw and MaxPitch are checked only when the pose was measured (223116).
	MaxYaw, MaxPitch float64
	// MinEAR: a frame whose eye aspect ratios are both below this has the
	// eyes closed; checked only for live frames (the reference is a still
	// photo, and on a small printed portrait the ratio is noise).
	MinEAR float64
}

// DefaultCompareLimits are the gates FaceMatcher applies. 32 px and blur
// 0.9 are where the prototype saw genuine cosines fall to 0.46–0.54 (small,
// dark, q40 faces); 45° yaw is where fr_pose readings (which overstate
// turns) meet the genuine outliers of the East Asian set.
var DefaultCompareLimits = CompareLimits{
	MinSize: 32, MaxBlur: 0.9, MinBrightness: 30, MaxBrightness: 245,
	MinCompleteness: 0.8, MaxYaw: 45, MaxPitch: 35, MinEAR: 0.12,
}

// CheckComparable applies lim to f (which needs Quality; Pose is used when
// measured). live says whether f is a live frame (eye state is checked).
func CheckComparable(f Face, lim CompareLimits, live bool) Issue {
	q := f.Quality
	switch {
	case !f.HasQuality:
		return Issue{223118, "quality control error: quality not measured"}
	case q.Completeness < lim.MinCompleteness:
		return Issue{223116, fmt.Sprintf("incomplete face (%.2f of the face inside the image)", q.Completeness)}
	case q.Size < lim.MinSize:
		return Issue{223114, fmt.Sprintf("face too small to compare (%.0f px, need %.0f)", q.Size, lim.MinSize)}
	case q.Brightness < lim.MinBrightness:
		return Issue{223115, fmt.Sprintf("face too dark to compare (illumination %.0f, need %.0f)", q.Brightness, lim.MinBrightness)}
	case q.Brightness > lim.MaxBrightness:
		return Issue{223115, fmt.Sprintf("face over-exposed (illumination %.0f, max %.0f)", q.Brightness, lim.MaxBrightness)}
	case q.Blur > lim.MaxBlur:
		return Issue{223114, fmt.Sprintf("face too blurred to compare (blur %.2f, max %.2f)", q.Blur, lim.MaxBlur)}
	case f.HasPose && lim.MaxYaw > 0 && math.Abs(f.Pose.Yaw) > lim.MaxYaw:
		return Issue{223116, fmt.Sprintf("face turned too far to compare (yaw %.0f°, max %.0f°)", f.Pose.Yaw, lim.MaxYaw)}
	case f.HasPose && lim.MaxPitch > 0 && math.Abs(f.Pose.Pitch) > lim.MaxPitch:
		return Issue{223116, fmt.Sprintf("face tilted too far up or down to compare (pitch %.0f°, max %.0f°)", f.Pose.Pitch, lim.MaxPitch)}
	case live && f.HasLandmarks && lim.MinEAR > 0 && math.Max(f.Eyes.LeftEAR, f.Eyes.RightEAR) < lim.MinEAR:
		return Issue{223116, fmt.Sprintf("eyes closed (eye aspect ratio %.2f)", math.Max(f.Eyes.LeftEAR, f.Eyes.RightEAR))}
	}
	return Issue{}
}

// FrameWeight is the weight of a face in a multi-frame template: 1 for a
// sharp, frontal face of ≥ 112 px (the size fr_feature sees), less for
// blur, small size and turned heads. It never reaches 0 for a face that
// passed CheckComparable, so a template of weak frames is still their mean.
func FrameWeight(f Face) float64 {
	w := 1.0
	if f.HasQuality {
		w *= 1 - 0.8*clamp01(f.Quality.Blur)
		w *= 0.3 + 0.7*clamp01(f.Quality.Size/alignSize)
	}
	if f.HasPose {
		w *= math.Cos(math.Min(math.Abs(f.Pose.Yaw), 80)*math.Pi/180) * math.Cos(math.Min(math.Abs(f.Pose.Pitch), 80)*math.Pi/180)
	}
	return math.Max(w, 0.01)
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// Template is the weighted mean of L2-normalised embeddings, normalised
// again: averaging frames from different moments cancels part of each
// frame's pose, expression and blur noise, which is why it matches a
// reference better than the single best frame (docs/calibration.md). With
// one embedding it returns that embedding. weights may be nil (equal).
func Template(embs []Embedding, weights []float64) Embedding {
	var acc [EmbeddingSize]float64
	for i, e := range embs {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		for d, v := range e {
			acc[d] += w * float64(v)
		}
	}
	var n float64
	for _, v := range acc {
		n += v * v
	}
	var out Embedding
	if n == 0 {
		return out
	}
	n = math.Sqrt(n)
	for d, v := range acc {
		out[d] = float32(v / n)
	}
	return out
}
