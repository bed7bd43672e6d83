package client

import (
	"context"
	"encoding/base64"
	"strconv"
)

// Paths of the H5 video liveness APIs ("h5活体视频分析", wire-reference §4.2).
const (
	PathLivenessSessionCode = "/rest/2.0/face/v1/faceliveness/sessioncode"
	PathLivenessVerify      = "/rest/2.0/face/v1/faceliveness/verify"
)

// Session code types for LivenessSessionCode.
const (
	SessionCodeVoice  = 0 // digits the user reads aloud
	SessionCodeAction = 1 // digits mapped to actions (0 blink, 2 right, 3 left, 4 up, 5 down)
)

// SessionCodeOptions are the optional sessioncode parameters (0 = server default).
type SessionCodeOptions struct {
	Type          int
	MinCodeLength int
	MaxCodeLength int
}

// SessionCode is a liveness session: the code the user performs (valid 5 minutes).
type SessionCode struct {
	SessionID string
	Code      string
	LogID     uint64
}

// LivenessSessionCode starts an H5 video liveness session.
func (c *Client) LivenessSessionCode(ctx context.Context, opts SessionCodeOptions) (*SessionCode, error) {
	body := map[string]string{"type": strconv.Itoa(opts.Type)}
	if opts.MinCodeLength > 0 {
		body["min_code_length"] = strconv.Itoa(opts.MinCodeLength)
	}
	if opts.MaxCodeLength > 0 {
		body["max_code_length"] = strconv.Itoa(opts.MaxCodeLength)
	}
	var res struct {
		SessionID string     `json:"session_id"`
		Code      flexString `json:"code"`
	}
	logID, err := c.face(ctx, PathLivenessSessionCode, body, &res)
	if err != nil {
		return nil, err
	}
	return &SessionCode{SessionID: res.SessionID, Code: string(res.Code), LogID: logID}, nil
}

// LivenessOptions are the optional verify parameters.
type LivenessOptions struct {
	TypeIdentify string // action | voice
	LipIdentify  string
	FaceField    string
}

// LivenessPic is one face picture picked from the video.
type LivenessPic struct {
	FaceToken     string
	Pic           string // base64 JPEG
	LivenessScore float64
	Spoofing      float64
}

// LivenessResult is the H5 video liveness verdict.
type LivenessResult struct {
	Score         float64 // liveness score; compare with Thresholds
	MaxSpoofing   float64 // highest synthetic-image score over the frames
	SpoofingScore float64
	Thresholds    map[string]float64 // frr_1e-4, frr_1e-3, frr_1e-2
	CodeCreate    string             // the code the session asked for
	CodeIdentify  string             // the code recognised in the video
	Similarity    float64            // between the two codes
	BestImage     *LivenessPic
	Pics          []LivenessPic
	LogID         uint64
}

type wirePic struct {
	FaceToken     string    `json:"face_token"`
	Pic           string    `json:"pic"`
	LivenessScore flexFloat `json:"liveness_score"`
	Spoofing      flexFloat `json:"spoofing"`
}

func (w wirePic) typed() LivenessPic {
	return LivenessPic{FaceToken: w.FaceToken, Pic: w.Pic, LivenessScore: float64(w.LivenessScore), Spoofing: float64(w.Spoofing)}
}

// LivenessVerify analyses a recorded video (mp4/webm, 5–15 s) for the session.
func (c *Client) LivenessVerify(ctx context.Context, sessionID string, video []byte, opts LivenessOptions) (*LivenessResult, error) {
	body := map[string]string{"session_id": sessionID, "video_base64": base64.StdEncoding.EncodeToString(video)}
	for k, v := range map[string]string{"type_identify": opts.TypeIdentify, "lip_identify": opts.LipIdentify, "face_field": opts.FaceField} {
		if v != "" {
			body[k] = v
		}
	}
	var res struct {
		Score         flexFloat          `json:"score"`
		MaxSpoofing   flexFloat          `json:"maxspoofing"`
		SpoofingScore flexFloat          `json:"spoofing_score"`
		Thresholds    map[string]float64 `json:"thresholds"`
		Code          struct {
			Create     flexString `json:"create"`
			Identify   flexString `json:"identify"`
			Similarity flexFloat  `json:"similarity"`
		} `json:"code"`
		BestImage *wirePic  `json:"best_image"`
		PicList   []wirePic `json:"pic_list"`
	}
	logID, err := c.face(ctx, PathLivenessVerify, body, &res)
	if err != nil {
		return nil, err
	}
	out := &LivenessResult{
		Score: float64(res.Score), MaxSpoofing: float64(res.MaxSpoofing), SpoofingScore: float64(res.SpoofingScore),
		Thresholds: res.Thresholds, CodeCreate: string(res.Code.Create), CodeIdentify: string(res.Code.Identify),
		Similarity: float64(res.Code.Similarity), LogID: logID,
	}
	if res.BestImage != nil {
		b := res.BestImage.typed()
		out.BestImage = &b
	}
	for _, p := range res.PicList {
		out.Pics = append(out.Pics, p.typed())
	}
	return out, nil
}
