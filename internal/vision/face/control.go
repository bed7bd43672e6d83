package face

import (
	"fmt"
	"math"
	"strings"
)

// Level is a Baidu quality_control / liveness_control level.
type Level int

// Control levels, as the Baidu APIs name them (NONE is the default).
const (
	LevelNone Level = iota
	LevelLow
	LevelNormal
	LevelHigh
)

// ParseLevel reads NONE, LOW, NORMAL or HIGH (case-insensitive; empty = NONE).
func ParseLevel(s string) (Level, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "NONE":
		return LevelNone, true
	case "LOW":
		return LevelLow, true
	case "NORMAL":
		return LevelNormal, true
	case "HIGH":
		return LevelHigh, true
	}
	return LevelNone, false
}

func (l Level) String() string {
	return [...]string{"NONE", "LOW", "NORMAL", "HIGH"}[l]
}

// QualityLimits are the thresholds one quality_control level applies.
type QualityLimits struct {
	MaxBlur         float64 // Quality.Blur above this fails (223114)
	MinBrightness   float64 // Quality.Brightness below this fails (223115)
	MaxBrightness   float64 // … or above this (over-exposed, 223115)
	MinCompleteness float64 // Quality.Completeness below this fails (223116)
	MinSize         float64 // face box shorter side in pixels (223114: too small to be sharp)
	MaxAngle        float64 // |yaw|, |pitch|, |roll| above this fails (223116); 0 = not checked
}

// QualityLimitsFor returns the thresholds of a level (docs/calibration.md).
// They follow Baidu's recommended values (blur ≤ 0.7, illumination ≥ 40,
// complete face) for NORMAL, looser for LOW and stricter for HIGH.
func QualityLimitsFor(l Level) QualityLimits {
	switch l {
	case LevelLow:
		return QualityLimits{MaxBlur: 0.8, MinBrightness: 30, MaxBrightness: 245, MinCompleteness: 0.8, MinSize: 32}
	case LevelNormal:
		return QualityLimits{MaxBlur: 0.7, MinBrightness: 40, MaxBrightness: 235, MinCompleteness: 0.95, MinSize: 48}
	case LevelHigh:
		return QualityLimits{MaxBlur: 0.5, MinBrightness: 60, MaxBrightness: 220, MinCompleteness: 1, MinSize: 80, MaxAngle: 25}
	}
	return QualityLimits{}
}

// LivenessThreshold is the fr_liveness live probability a face needs at a
// liveness_control level (0 for NONE). The per-image model is one signal,
// not a full liveness check: see docs/calibration.md.
func LivenessThreshold(l Level) float64 {
	switch l {
	case LevelLow:
		return 0.3
	case LevelNormal:
		return 0.5
	case LevelHigh:
		return 0.8
	}
	return 0
}

// Issue is why a face failed a control, with its Baidu error code.
type Issue struct {
	Code   int    // 223113…223120, or 0 when the face passed
	Reason string // short English reason
}

// OK reports whether the face passed.
func (i Issue) OK() bool { return i.Code == 0 }

// CheckQuality applies quality_control level l to f (which needs Quality,
// and Pose for HIGH). It returns the first failed check.
func CheckQuality(f Face, l Level) Issue {
	if l == LevelNone {
		return Issue{}
	}
	lim := QualityLimitsFor(l)
	q := f.Quality
	switch {
	case !f.HasQuality:
		return Issue{223118, "quality control error: quality not measured"}
	case q.Completeness < lim.MinCompleteness:
		return Issue{223116, fmt.Sprintf("incomplete face (%.2f visible)", q.Completeness)}
	case q.Size < lim.MinSize:
		return Issue{223114, fmt.Sprintf("face is fuzzy: face only %.0f px", q.Size)}
	case q.Brightness < lim.MinBrightness || q.Brightness > lim.MaxBrightness:
		return Issue{223115, fmt.Sprintf("face light is not good (illumination %.0f)", q.Brightness)}
	case q.Blur > lim.MaxBlur:
		return Issue{223114, fmt.Sprintf("face is fuzzy (blur %.2f)", q.Blur)}
	case lim.MaxAngle > 0 && f.HasPose && math.Max(math.Abs(f.Pose.Yaw), math.Max(math.Abs(f.Pose.Pitch), math.Abs(f.Pose.Roll))) > lim.MaxAngle:
		return Issue{223116, fmt.Sprintf("face angle too large (yaw %.0f, pitch %.0f, roll %.0f)", f.Pose.Yaw, f.Pose.Pitch, f.Pose.Roll)}
	}
	return Issue{}
}

// CheckLiveness applies liveness_control level l to f (which needs Live).
func CheckLiveness(f Face, l Level) Issue {
	if l == LevelNone {
		return Issue{}
	}
	if !f.HasLive {
		return Issue{223119, "liveness control item error: liveness not measured"}
	}
	if f.Live < LivenessThreshold(l) {
		return Issue{223120, fmt.Sprintf("liveness check fail (live %.2f < %.2f)", f.Live, LivenessThreshold(l))}
	}
	return Issue{}
}
