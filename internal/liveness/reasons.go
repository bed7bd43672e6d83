package liveness

// Error codes counted in h5活体视频分析 stats (wire-reference §2.2, §4.2).
const (
	CodeNoFace        = 216501 // 没有找到人脸
	CodeMultipleFaces = 216507 // 视频中有多张脸
	CodeFailed        = 216434 // 活体检测失败
	CodeImageFormat   = 216201 // a frame or the video cannot be decoded
	CodeImageSize     = 216202 // a frame, the video or the capture is too large
)

// Reason codes, one per failed check (docs/liveness.md explains each).
const (
	ReasonCaptureInvalid   = "capture_invalid"   // undecodable frames/video, bad timestamps
	ReasonCaptureTooShort  = "capture_too_short" // fewer frames or less time than the challenge needs
	ReasonChallengeExpired = "challenge_expired" // answered after ExpiresAt
	ReasonChallengeUsed    = "challenge_used"    // the challenge was already answered once
	ReasonNoFace           = "no_face"
	ReasonMultipleFaces    = "multiple_faces"
	ReasonFaceQuality      = "face_quality"    // face too small, dark or blurred throughout
	ReasonActionMissing    = "action_missing:" // + action name
	ReasonActionOrder      = "action_order"
	ReasonActionTiming     = "action_timing"
	ReasonStaticImage      = "static_image"
	ReasonFlatMotion       = "flat_motion" // moves only as a flat picture would (2D pan/zoom)
	ReasonReplayLoop       = "replay_loop"
	ReasonNoLiveChange     = "no_live_change" // the face never changed beyond what a rigid picture's noise explains
	ReasonIdentityChanged  = "identity_changed"
	ReasonSpoofPrint       = "spoof_print"
	ReasonSpoofScreen      = "spoof_screen"
	ReasonFlashMismatch    = "flash_mismatch"
	ReasonNearFarMissing   = "nearfar_missing" // the face did not get larger when asked to come closer
	ReasonNearFarFlat      = "nearfar_flat"    // it got larger, but like a flat picture
	ReasonFramesDuplicated = "frames_duplicated"
	ReasonFramesSpliced    = "frames_spliced"
)
