package liveness

import "github.com/faceprint/faceprint/internal/plan"

// Thresholds are the decision limits of one level. docs/liveness.md lists
// them with the footage they were measured on.
type Thresholds struct {
	MinFrames      int     // frames with a face needed at all
	MinFaceShare   float64 // share of frames that must show a face
	MaxMultiShare  float64 // share of frames allowed to show a second large face
	MinFacePx      float64 // median face box width in pixels
	MinComplete    float64 // median share of the face box inside the frame
	MinLive        float64 // median fr_liveness live probability (per-frame anti-spoof)
	MinIdentityCos float64 // cosine of every embedded frame to the capture's medoid face
	StaticCV       float64 // face-box width coefficient of variation below this looks still …
	StaticYaw      float64 // … yaw range (p95−p5, degrees) below this looks still …
	StaticCos      float64 // … median cosine of successive embeddings above this looks still
	MinNonRigid    float64 // p90 landmark residual after an affine fit (× inter-ocular distance)
	MinAppearance  float64 // aligned-crop change of faces that moved a lot in 2D (appearanceChange)
	// MinAppearanceNearFar replaces MinAppearance in near-far challenges
	MinAppearanceNearFar float64
	MinParallax          float64 // nose shift across the face per 10° of yaw (yawParallax)
	// MinNonPlanar: the face's grey-level residual after the best homography
	// and brightness change between frames whose pose differs ≥ 8°
	// (nonPlanar); a tilted flat picture leaves only noise
	MinNonPlanar float64
	// MinFaceChange: the face's self-registration residual across ≥ 0.8 s
	// over the one between neighbouring frames (faceChange); a rigid
	// picture, however moved, stays near 1
	MinFaceChange float64
	// MinFaceChangeLevel: that long-range residual itself (× the face's
	// grey-level deviation)
	MinFaceChangeLevel float64
	// MinFaceChangeStrong / MinFaceChangeStrongLevel: the second way to show
	// change, a lower ratio on a large residual
	MinFaceChangeStrong, MinFaceChangeStrongLevel float64
	// MaxDupShare is the share of successive frame pairs allowed to be
	// identical: a camera slower than the page's 10 fps makes the page grab
	// the same camera frame twice (cap13_edit2.mp4's webcam at 10 fps: up to
	// ~40 %), a frozen or re-sent stream repeats nearly every frame
	MaxDupShare float64
	SpliceJump  float64 // thumbnail change that, with a face jump, marks a cut
	LoopRatio   float64 // repeated-run difference / successive difference below this is a loop
	// LoopOverlapRatio: the same over the whole overlap at the best lag
	LoopOverlapRatio float64
	BlinkRatio       float64 // eye aspect ratio below baseline × this is a closed eye
	MouthOpen        float64 // MouthOpen above this (and baseline + half of it) is an open mouth
	TurnDeg          float64 // yaw change for left/right
	PitchDeg         float64 // pitch change for up/down
	FlashCos         float64 // mean cosine of reflected chroma with the flashed colours
	FlashMinShift    float64 // smallest mean chroma shift (grey levels) that counts as a reflection
	NearFarRatio     float64 // face width near / far
	NearFarNonRigid  float64 // landmark residual far→near after an affine fit (perspective change)
	TimingSlackMS    int64   // an action may land this long after its step ends
}

// LevelThresholds returns the thresholds for strict, normal (default) or loose.
func LevelThresholds(level string) Thresholds {
	t := Thresholds{
		MinFrames: 8, MinFaceShare: 0.8, MaxMultiShare: 0.2, MinFacePx: 60, MinComplete: 0.95,
		MinLive: 0.6, MinIdentityCos: 0.45,
		StaticCV: 0.004, StaticYaw: 1.5, StaticCos: 0.985, MinNonRigid: 0.012, MinAppearance: 0.09, MinAppearanceNearFar: 0.09, MinParallax: 0.03,
		MinNonPlanar: 0.10, MinFaceChange: 1.6, MinFaceChangeLevel: 0.028, MinFaceChangeStrong: 1.35, MinFaceChangeStrongLevel: 0.09, MaxDupShare: 0.6, SpliceJump: 0.9, LoopRatio: 0.5, LoopOverlapRatio: 1.2,
		BlinkRatio: 0.75, MouthOpen: 0.04, TurnDeg: 10, PitchDeg: 8,
		FlashCos: 0.5, FlashMinShift: 1.0,
		NearFarRatio: 1.25, NearFarNonRigid: 0.02,
		TimingSlackMS: 1500,
	}
	switch level {
	case plan.LevelStrict:
		t.MinFaceShare, t.MinFacePx, t.MinLive, t.MinIdentityCos = 0.9, 80, 0.8, 0.5
		t.MinNonRigid, t.TurnDeg, t.FlashCos, t.NearFarRatio = 0.03, 12, 0.6, 1.35
		t.MaxDupShare, t.TimingSlackMS, t.MinNonPlanar = 0.5, 1000, 0.12
	case plan.LevelLoose:
		t.MinFaceShare, t.MinFacePx, t.MinLive, t.MinIdentityCos = 0.7, 40, 0.4, 0.4
		t.MinNonRigid, t.TurnDeg, t.FlashCos, t.NearFarRatio = 0.02, 8, 0.4, 1.15
		t.BlinkRatio, t.TimingSlackMS, t.MinNonPlanar = 0.8, 2000, 0.09
	}
	return t
}
