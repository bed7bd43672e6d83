package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Paths of the component REST APIs (wire-reference §4).
const (
	PathIDCardOCR    = "/rest/2.0/ocr/v1/idcard"
	PathFaceDetect   = "/rest/2.0/face/v3/detect"
	PathFaceMatch    = "/rest/2.0/face/v3/match"
	PathPersonVerify = "/rest/2.0/face/v3/person/verify"
)

// Image is an image argument of the face APIs: bytes (sent as BASE64), a URL
// or a face_token. Build it with ImageBytes, ImageURL or ImageFaceToken.
type Image struct {
	value string
	kind  string // BASE64 | URL | FACE_TOKEN
}

// ImageBytes sends the encoded image (JPEG, PNG, BMP) as base64.
func ImageBytes(b []byte) Image {
	return Image{value: base64.StdEncoding.EncodeToString(b), kind: "BASE64"}
}

// ImageURL lets the server download the image.
func ImageURL(u string) Image { return Image{value: u, kind: "URL"} }

// ImageFaceToken refers to a face returned by an earlier detect call.
func ImageFaceToken(t string) Image { return Image{value: t, kind: "FACE_TOKEN"} }

// faceEnvelope is the face V3 envelope; OCR successes have only log_id + data.
type faceEnvelope struct {
	ErrorCode *flexInt        `json:"error_code"`
	ErrorMsg  string          `json:"error_msg"`
	LogID     flexString      `json:"log_id"`
	Result    json.RawMessage `json:"result"`
}

func parseLogID(s flexString) uint64 {
	n, _ := strconv.ParseUint(string(s), 10, 64)
	return n
}

// face POSTs a JSON body (object or array) to a face V3 API and decodes result.
func (c *Client) face(ctx context.Context, path string, body any, out any) (uint64, error) {
	data, err := c.postJSON(ctx, path, body)
	if err != nil {
		return 0, err
	}
	var env faceEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return 0, &HTTPError{Body: snippet(data), Err: fmt.Errorf("%s: response is not JSON: %w", path, err)}
	}
	logID := parseLogID(env.LogID)
	if env.ErrorCode == nil {
		return 0, &HTTPError{Body: snippet(data), Err: fmt.Errorf("%s: response has no error_code", path)}
	}
	if *env.ErrorCode != 0 {
		return logID, &RESTError{Code: int(*env.ErrorCode), Msg: env.ErrorMsg, LogID: logID}
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return logID, &HTTPError{Body: snippet(data), Err: fmt.Errorf("%s: decode result: %w", path, err)}
	}
	return logID, nil
}

// Controls are the optional quality/liveness/spoofing levels of the face
// APIs: NONE, LOW, NORMAL or HIGH ("" leaves the server default, NONE).
type Controls struct {
	Quality  string
	Liveness string
	Spoofing string // person/verify only
}

// MatchImage is one side of a face comparison.
type MatchImage struct {
	Image    Image
	FaceType string // LIVE (default), IDCARD, WATERMARK, CERT
	Controls Controls
}

// MatchResult is face/v3/match.
type MatchResult struct {
	Score      float64 // 0–100; 80 is the recommended same-person threshold
	FaceTokens []string
	LogID      uint64
}

// FaceMatch compares the faces of two images (face/v3/match).
func (c *Client) FaceMatch(ctx context.Context, a, b MatchImage) (*MatchResult, error) {
	type item struct {
		Image           string `json:"image"`
		ImageType       string `json:"image_type"`
		FaceType        string `json:"face_type,omitempty"`
		QualityControl  string `json:"quality_control,omitempty"`
		LivenessControl string `json:"liveness_control,omitempty"`
	}
	mk := func(m MatchImage) item {
		return item{m.Image.value, m.Image.kind, m.FaceType, m.Controls.Quality, m.Controls.Liveness}
	}
	var res struct {
		Score    flexFloat `json:"score"`
		FaceList []struct {
			FaceToken string `json:"face_token"`
		} `json:"face_list"`
	}
	logID, err := c.face(ctx, PathFaceMatch, []item{mk(a), mk(b)}, &res)
	if err != nil {
		return nil, err
	}
	out := &MatchResult{Score: float64(res.Score), LogID: logID}
	for _, f := range res.FaceList {
		out.FaceTokens = append(out.FaceTokens, f.FaceToken)
	}
	return out, nil
}

// PersonVerify compares a face with the authority photo of an identity
// (face/v3/person/verify) and returns the score.
func (c *Client) PersonVerify(ctx context.Context, img Image, idCardNumber, name string, ctl Controls) (float64, error) {
	body := struct {
		Image           string `json:"image"`
		ImageType       string `json:"image_type"`
		IDCardNumber    string `json:"id_card_number"`
		Name            string `json:"name"`
		QualityControl  string `json:"quality_control,omitempty"`
		LivenessControl string `json:"liveness_control,omitempty"`
		SpoofingControl string `json:"spoofing_control,omitempty"`
	}{img.value, img.kind, idCardNumber, name, ctl.Quality, ctl.Liveness, ctl.Spoofing}
	var res struct {
		Score flexFloat `json:"score"`
	}
	if _, err := c.face(ctx, PathPersonVerify, body, &res); err != nil {
		return 0, err
	}
	return float64(res.Score), nil
}

// DetectOptions are the optional face/v3/detect parameters.
type DetectOptions struct {
	FaceFields      []string // age, quality, landmark, spoofing, …
	MaxFaceNum      int      // 1–10; 0 = server default (1)
	FaceType        string   // LIVE, IDCARD, WATERMARK, CERT
	LivenessControl string
}

// Location is a face or field box in pixels.
type Location struct {
	Left, Top, Width, Height float64
	Rotation                 int
}

// Angle is the head pose in degrees.
type Angle struct {
	Yaw, Pitch, Roll float64
}

// DetectedFace is one face of face/v3/detect. Optional fields are zero unless
// requested with FaceFields.
type DetectedFace struct {
	FaceToken       string
	Location        Location
	FaceProbability float64
	Angle           Angle
	Age             float64
	Spoofing        float64
	Quality         *FaceQuality
}

// FaceQuality is the "quality" face field.
type FaceQuality struct {
	Blur, Illumination float64
	Completeness       int
	Occlusion          map[string]float64 // left_eye, right_eye, nose, mouth, left_cheek, right_cheek, chin_contour
}

// DetectResult is face/v3/detect.
type DetectResult struct {
	FaceNum int
	Faces   []DetectedFace
	LogID   uint64
}

type wireLocation struct {
	Left     flexFloat `json:"left"`
	Top      flexFloat `json:"top"`
	Width    flexFloat `json:"width"`
	Height   flexFloat `json:"height"`
	Rotation flexInt   `json:"rotation"`
}

func (w wireLocation) typed() Location {
	return Location{float64(w.Left), float64(w.Top), float64(w.Width), float64(w.Height), int(w.Rotation)}
}

// FaceDetect finds faces in an image (face/v3/detect).
func (c *Client) FaceDetect(ctx context.Context, img Image, opts DetectOptions) (*DetectResult, error) {
	body := struct {
		Image           string `json:"image"`
		ImageType       string `json:"image_type"`
		FaceField       string `json:"face_field,omitempty"`
		MaxFaceNum      int    `json:"max_face_num,omitempty"`
		FaceType        string `json:"face_type,omitempty"`
		LivenessControl string `json:"liveness_control,omitempty"`
	}{img.value, img.kind, strings.Join(opts.FaceFields, ","), opts.MaxFaceNum, opts.FaceType, opts.LivenessControl}
	var res struct {
		FaceNum  flexInt `json:"face_num"`
		FaceList []struct {
			FaceToken       string       `json:"face_token"`
			Location        wireLocation `json:"location"`
			FaceProbability flexFloat    `json:"face_probability"`
			Angle           struct {
				Yaw   flexFloat `json:"yaw"`
				Pitch flexFloat `json:"pitch"`
				Roll  flexFloat `json:"roll"`
			} `json:"angle"`
			Age      flexFloat `json:"age"`
			Spoofing flexFloat `json:"spoofing"`
			Quality  *struct {
				Blur         flexFloat          `json:"blur"`
				Illumination flexFloat          `json:"illumination"`
				Completeness flexInt            `json:"completeness"`
				Occlusion    map[string]float64 `json:"occlusion"`
			} `json:"quality"`
		} `json:"face_list"`
	}
	logID, err := c.face(ctx, PathFaceDetect, body, &res)
	if err != nil {
		return nil, err
	}
	out := &DetectResult{FaceNum: int(res.FaceNum), LogID: logID}
	for _, f := range res.FaceList {
		d := DetectedFace{
			FaceToken: f.FaceToken, Location: f.Location.typed(), FaceProbability: float64(f.FaceProbability),
			Angle: Angle{float64(f.Angle.Yaw), float64(f.Angle.Pitch), float64(f.Angle.Roll)},
			Age:   float64(f.Age), Spoofing: float64(f.Spoofing),
		}
		if q := f.Quality; q != nil {
			d.Quality = &FaceQuality{Blur: float64(q.Blur), Illumination: float64(q.Illumination),
				Completeness: int(q.Completeness), Occlusion: q.Occlusion}
		}
		out.Faces = append(out.Faces, d)
	}
	return out, nil
}

// ID card sides for IDCardOCR.
const (
	SideFront = "front" // 人像面
	SideBack  = "back"  // 国徽面
)

// IDCardOptions are the optional flags of the ID card OCR API.
type IDCardOptions struct {
	DetectDirection bool
	DetectRisk      bool // fills RiskType and EditTool
	DetectQuality   bool
	DetectPhoto     bool // fills Photo (the portrait, base64)
	DetectCard      bool
}

// OCRWord is one recognised field with its box.
type OCRWord struct {
	Words    string
	Location Location
}

// IDCardOCR is the ID card OCR result. Words is keyed by Baidu's Chinese
// field names: front 姓名 民族 住址 公民身份号码 出生 性别; back 签发机关 签发日期 失效日期.
type IDCardOCR struct {
	LogID            uint64
	Direction        int
	ImageStatus      string // normal, reversed_side, non_idcard, blurred, …
	RiskType         string // normal, copy, temporary, screen, …
	EditTool         string
	IDCardNumberType int // 1 = number consistent with birthday and gender
	Words            map[string]OCRWord
	Photo            string
}

// Field returns the recognised text of a field ("" when absent).
func (r *IDCardOCR) Field(name string) string { return r.Words[name].Words }

// IDCardOCR reads an ID card image (ocr/v1/idcard). side is SideFront or SideBack.
func (c *Client) IDCardOCR(ctx context.Context, image []byte, side string, opts IDCardOptions) (*IDCardOCR, error) {
	form := url.Values{
		"image":        {base64.StdEncoding.EncodeToString(image)},
		"id_card_side": {side},
	}
	flag := func(name string, on bool) {
		if on {
			form.Set(name, "true")
		}
	}
	flag("detect_direction", opts.DetectDirection)
	flag("detect_risk", opts.DetectRisk)
	flag("detect_quality", opts.DetectQuality)
	flag("detect_photo", opts.DetectPhoto)
	flag("detect_card", opts.DetectCard)
	data, err := c.call(ctx, PathIDCardOCR, "application/x-www-form-urlencoded", []byte(form.Encode()))
	if err != nil {
		return nil, err
	}
	var res struct {
		ErrorCode        *flexInt   `json:"error_code"`
		ErrorMsg         string     `json:"error_msg"`
		LogID            flexString `json:"log_id"`
		Direction        flexInt    `json:"direction"`
		ImageStatus      string     `json:"image_status"`
		RiskType         string     `json:"risk_type"`
		EditTool         string     `json:"edit_tool"`
		IDCardNumberType flexInt    `json:"idcard_number_type"`
		Photo            string     `json:"photo"`
		WordsResult      map[string]struct {
			Words    string       `json:"words"`
			Location wireLocation `json:"location"`
		} `json:"words_result"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, &HTTPError{Body: snippet(data), Err: fmt.Errorf("%s: response is not JSON: %w", PathIDCardOCR, err)}
	}
	logID := parseLogID(res.LogID)
	// OCR successes carry no error_code at all.
	if res.ErrorCode != nil && *res.ErrorCode != 0 {
		return nil, &RESTError{Code: int(*res.ErrorCode), Msg: res.ErrorMsg, LogID: logID}
	}
	out := &IDCardOCR{
		LogID: logID, Direction: int(res.Direction), ImageStatus: res.ImageStatus, RiskType: res.RiskType,
		EditTool: res.EditTool, IDCardNumberType: int(res.IDCardNumberType), Photo: res.Photo,
		Words: make(map[string]OCRWord, len(res.WordsResult)),
	}
	for k, w := range res.WordsResult {
		out.Words[k] = OCRWord{Words: w.Words, Location: w.Location.typed()}
	}
	return out, nil
}
