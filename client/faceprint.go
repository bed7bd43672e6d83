package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Paths of the faceprint solution RPCs (wire-reference §0).
const (
	PathToken            = "/oauth/2.0/token"
	PathGenerate         = "/rpc/2.0/brain/solution/faceprint/verifyToken/generate"
	PathIDCardSubmit     = "/rpc/2.0/brain/solution/faceprint/idcard/submit"
	PathUploadMatchImage = "/rpc/2.0/brain/solution/faceprint/uploadMatchImage"
	PathResultSimple     = "/rpc/2.0/brain/solution/faceprint/result/simple"
	PathResultDetail     = "/rpc/2.0/brain/solution/faceprint/result/detail"
	PathResultStat       = "/rpc/2.0/brain/solution/faceprint/result/stat"
	PathResultGetAll     = "/rpc/2.0/brain/solution/faceprint/result/getall"
	PathMediaQuery       = "/rpc/2.0/brain/solution/faceprint/result/media/query"
)

// Certificate types for SubmitIDCard (certificate_type).
const (
	CertMainlandID       = 0 // 大陆居民二代身份证 (default)
	CertHKMOTWPermit     = 1 // 港澳台居民来往内地通行证
	CertForeignResidence = 2 // 外国人永久居留证
	CertChinesePassport  = 3 // 定居国外的中国公民护照
	CertHKMOTWResidence  = 4 // 港澳台居民居住证
)

// solutionEnvelope is {"success","result","code","message","log_id"}.
type solutionEnvelope struct {
	Success   *bool           `json:"success"`
	Result    json.RawMessage `json:"result"`
	Code      flexInt         `json:"code"`
	Message   string          `json:"message"`
	LogID     flexString      `json:"log_id"`
	ErrorCode *flexInt        `json:"error_code"`
	ErrorMsg  string          `json:"error_msg"`
}

// solution POSTs a JSON body to a solution RPC and decodes result into out
// (nil: ignore it). It returns the log_id.
func (c *Client) solution(ctx context.Context, path string, body any, out any) (string, error) {
	data, err := c.postJSON(ctx, path, body)
	if err != nil {
		return "", err
	}
	var env solutionEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return "", &HTTPError{Body: snippet(data), Err: fmt.Errorf("%s: response is not JSON: %w", path, err)}
	}
	switch {
	case env.ErrorCode != nil && *env.ErrorCode != 0:
		return "", &RESTError{Code: int(*env.ErrorCode), Msg: env.ErrorMsg, LogID: parseLogID(env.LogID)}
	case env.Success == nil:
		return "", &HTTPError{Body: snippet(data), Err: fmt.Errorf("%s: response has neither success nor error_code", path)}
	case !*env.Success:
		return "", &APIError{Code: int(env.Code), Message: env.Message, LogID: string(env.LogID)}
	}
	if out != nil {
		if len(env.Result) == 0 || string(env.Result) == "null" {
			return "", &HTTPError{Body: snippet(data), Err: fmt.Errorf("%s: success without result", path)}
		}
		if err := json.Unmarshal(env.Result, out); err != nil {
			return "", &HTTPError{Body: snippet(data), Err: fmt.Errorf("%s: decode result: %w", path, err)}
		}
	}
	return string(env.LogID), nil
}

// GenerateRequest is the body of verifyToken/generate.
type GenerateRequest struct {
	PlanID string // 方案ID
	// SuccessURL and FailedURL go into redirect_config; empty means the plan's
	// defaults (or the successUrl/failedUrl of the H5 URL).
	SuccessURL string
	FailedURL  string
}

type redirectConfig struct {
	SuccessURL string `json:"success_url,omitempty"`
	FailedURL  string `json:"failed_url,omitempty"`
}

type generateBody struct {
	PlanID         string          `json:"plan_id"`
	RedirectConfig *redirectConfig `json:"redirect_config,omitempty"`
}

// GenerateVerifyToken creates a verify_token (valid 2 hours) for the plan.
func (c *Client) GenerateVerifyToken(ctx context.Context, req GenerateRequest) (string, error) {
	if req.PlanID == "" {
		return "", fmt.Errorf("faceprint: GenerateVerifyToken: empty PlanID")
	}
	body := generateBody{PlanID: req.PlanID}
	if req.SuccessURL != "" || req.FailedURL != "" {
		body.RedirectConfig = &redirectConfig{SuccessURL: req.SuccessURL, FailedURL: req.FailedURL}
	}
	var res struct {
		VerifyToken string `json:"verify_token"`
	}
	if _, err := c.solution(ctx, PathGenerate, body, &res); err != nil {
		return "", err
	}
	if res.VerifyToken == "" {
		return "", &HTTPError{Err: fmt.Errorf("%s: empty verify_token", PathGenerate)}
	}
	return res.VerifyToken, nil
}

// SubmitIDCard reports the identity the user must be verified against
// (plans with 「指定用户身份核验」), before the user opens the H5 page.
// certType is one of the Cert* constants (0 for a mainland ID card).
func (c *Client) SubmitIDCard(ctx context.Context, verifyToken, name, idNo string, certType int) error {
	body := struct {
		VerifyToken string `json:"verify_token"`
		IDName      string `json:"id_name"`
		IDNo        string `json:"id_no"`
		CertType    int    `json:"certificate_type"`
	}{verifyToken, name, idNo, certType}
	_, err := c.solution(ctx, PathIDCardSubmit, body, nil)
	return err
}

// UploadMatchImage uploads the reference face the user is compared with
// (plans with 「自建人脸库比对」). quality and liveness are the control
// levels NONE, LOW, NORMAL or HIGH ("" means NONE).
func (c *Client) UploadMatchImage(ctx context.Context, verifyToken string, jpeg []byte, quality, liveness string) error {
	body := struct {
		VerifyToken     string `json:"verify_token"`
		Image           string `json:"image"`
		QualityControl  string `json:"quality_control,omitempty"`
		LivenessControl string `json:"liveness_control,omitempty"`
	}{verifyToken, base64.StdEncoding.EncodeToString(jpeg), quality, liveness}
	_, err := c.solution(ctx, PathUploadMatchImage, body, nil)
	return err
}

type tokenBody struct {
	VerifyToken string `json:"verify_token"`
}

// SimpleResult is result/simple: the URL of the face captured during a
// successful verification.
type SimpleResult struct {
	Image string
}

// ResultSimple returns the verified face image URL. The server answers an
// error while the verification has not passed.
func (c *Client) ResultSimple(ctx context.Context, verifyToken string) (SimpleResult, error) {
	var res struct {
		Image string `json:"image"`
	}
	if _, err := c.solution(ctx, PathResultSimple, tokenBody{verifyToken}, &res); err != nil {
		return SimpleResult{}, err
	}
	return SimpleResult{Image: res.Image}, nil
}

// VerifyResult holds the scores of a verification.
type VerifyResult struct {
	Score         float64 // face similarity 0–100 (0 for liveness-only plans)
	LivenessScore float64
	Spoofing      float64 // synthetic-image score; 0 when not checked
	VerifyLogID   string
	RiskLevel     int // 1, 2 = risk; 3, 4 = no risk; 0 = not evaluated
	RiskTag       string
}

// IDCardOCRResult is what OCR read from the ID card.
type IDCardOCRResult struct {
	Name           string
	IDCardNumber   string
	Gender         string // 男 / 女
	Nation         string
	Birthday       string // YYYYMMDD
	Address        string
	IssueAuthority string
	IssueTime      string // YYYYMMDD
	ExpireTime     string // YYYYMMDD or 长期
}

// IDCardImages are the captured ID card photos, base64 JPEG without a data: prefix.
type IDCardImages struct {
	FrontBase64 string
	BackBase64  string
}

// IDCardConfirm is the identity the user confirmed (or that was submitted).
type IDCardConfirm struct {
	Name         string
	IDCardNumber string
	IDCardType   string // "0" mainland ID card; only in getall
}

// DetailResult is result/detail.
type DetailResult struct {
	VerifyResult    VerifyResult
	IDCardOCRResult *IDCardOCRResult // nil when the plan does not use OCR
	IDCardImages    *IDCardImages    // nil when the plan does not use OCR
	IDCardConfirm   IDCardConfirm
	IsDemote        bool
	LogID           string
}

type wireVerifyResult struct {
	Score         flexFloat  `json:"score"`
	LivenessScore flexFloat  `json:"liveness_score"`
	Spoofing      flexFloat  `json:"spoofing"`
	VerifyLogID   flexString `json:"verify_log_id"`
	RiskLevel     flexInt    `json:"risk_level"`
	RiskTag       flexString `json:"risk_tag"`
}

func (w wireVerifyResult) typed() VerifyResult {
	return VerifyResult{
		Score: float64(w.Score), LivenessScore: float64(w.LivenessScore), Spoofing: float64(w.Spoofing),
		VerifyLogID: string(w.VerifyLogID), RiskLevel: int(w.RiskLevel), RiskTag: string(w.RiskTag),
	}
}

type wireOCR struct {
	Name           string `json:"name"`
	IDCardNumber   string `json:"id_card_number"`
	Gender         string `json:"gender"`
	Nation         string `json:"nation"`
	Birthday       string `json:"birthday"`
	Address        string `json:"address"`
	IssueAuthority string `json:"issue_authority"`
	IssueTime      string `json:"issue_time"`
	ExpireTime     string `json:"expire_time"`
}

func (w *wireOCR) typed() *IDCardOCRResult {
	if w == nil {
		return nil
	}
	r := IDCardOCRResult(*w)
	return &r
}

type wireImages struct {
	FrontBase64 string `json:"front_base64"`
	BackBase64  string `json:"back_base64"`
}

func (w *wireImages) typed() *IDCardImages {
	if w == nil {
		return nil
	}
	r := IDCardImages(*w)
	return &r
}

type wireConfirm struct {
	Name         string     `json:"name"`
	IDCardNumber string     `json:"idcard_number"`
	IDCardType   flexString `json:"idcard_type"`
}

func (w wireConfirm) typed() IDCardConfirm {
	return IDCardConfirm{Name: w.Name, IDCardNumber: w.IDCardNumber, IDCardType: string(w.IDCardType)}
}

// ResultDetail returns the verification result: scores, OCR fields, card
// images and the confirmed identity.
func (c *Client) ResultDetail(ctx context.Context, verifyToken string) (*DetailResult, error) {
	var res struct {
		VerifyResult    wireVerifyResult `json:"verify_result"`
		IDCardOCRResult *wireOCR         `json:"idcard_ocr_result"`
		IDCardImages    *wireImages      `json:"idcard_images"`
		IDCardConfirm   wireConfirm      `json:"idcard_confirm"`
		IsDemote        flexBool         `json:"is_demote"`
	}
	logID, err := c.solution(ctx, PathResultDetail, tokenBody{verifyToken}, &res)
	if err != nil {
		return nil, err
	}
	return &DetailResult{
		VerifyResult:    res.VerifyResult.typed(),
		IDCardOCRResult: res.IDCardOCRResult.typed(),
		IDCardImages:    res.IDCardImages.typed(),
		IDCardConfirm:   res.IDCardConfirm.typed(),
		IsDemote:        bool(res.IsDemote),
		LogID:           logID,
	}, nil
}

// Component API names used as keys by result/stat.
const (
	StatIDCardOCR     = "身份证识别"
	StatH5Liveness    = "h5活体视频分析"
	StatPersonVerify3 = "人脸实名认证-V3"
)

// StatCount is how many calls of one API ended with one error code (0 = success).
type StatCount struct {
	ErrorCode int
	Count     int
}

// Stat is result/stat: per component API (Stat* keys), counts by error code.
type Stat map[string][]StatCount

// Total returns the number of calls recorded for api.
func (s Stat) Total(api string) int {
	n := 0
	for _, c := range s[api] {
		n += c.Count
	}
	return n
}

// ResultStat returns the per-API call statistics of a verify_token.
func (c *Client) ResultStat(ctx context.Context, verifyToken string) (Stat, error) {
	var res map[string][]struct {
		ErrorCode flexInt `json:"error_code"`
		Count     flexInt `json:"count"`
	}
	if _, err := c.solution(ctx, PathResultStat, tokenBody{verifyToken}, &res); err != nil {
		return nil, err
	}
	out := make(Stat, len(res))
	for api, rows := range res {
		counts := make([]StatCount, 0, len(rows))
		for _, r := range rows {
			counts = append(counts, StatCount{ErrorCode: int(r.ErrorCode), Count: int(r.Count)})
		}
		out[api] = counts
	}
	return out, nil
}

// VerifyDetail is the per-attempt detail in result/getall.
type VerifyDetail struct {
	FaceImage     string
	VerifyLogID   string
	Score         float64
	Threshold     float64
	LivenessScore float64
	SpoofingScore float64
	RiskLevel     int
	RiskTag       string
	IsDemote      bool
	App           string
}

// Attempt is one verification attempt in result/getall.
type Attempt struct {
	Order           int
	IsVerifyPassed  bool
	Code            string // "0" on success
	Message         string // 核验成功, or the reason it failed
	VerifyTime      string // "2006-01-02 15:04:05"
	IsCharged       bool
	ChargeType      string // verify | match | live
	ChargeTime      string
	IsOCRCharge     bool
	OCRChargeTime   string
	OCRCount        int
	VerifyDetail    VerifyDetail
	IDCardConfirm   IDCardConfirm
	IDCardOCRResult *IDCardOCRResult
	IDCardImages    *IDCardImages
}

// GetAllResult is result/getall: every attempt with its billing flags.
type GetAllResult struct {
	VerifyCount       int
	OCRChargeCount    int
	MatchChargeCount  int
	VerifyChargeCount int
	LiveChargeCount   int
	Attempts          []Attempt
}

type wireAttempt struct {
	Order          flexInt    `json:"order"`
	IsVerifyPassed flexBool   `json:"is_verify_passed"`
	Code           flexString `json:"code"`
	Message        string     `json:"message"`
	VerifyTime     string     `json:"verify_time"`
	IsCharged      flexBool   `json:"is_charged"`
	ChargeType     string     `json:"charge_type"`
	ChargeTime     string     `json:"charge_time"`
	IsOCRCharge    flexBool   `json:"is_ocr_charge"`
	OCRChargeTime  string     `json:"ocr_charge_time"`
	OCRCount       flexInt    `json:"ocr_count"`
	VerifyDetail   struct {
		FaceImage     string     `json:"face_image"`
		VerifyLogID   flexString `json:"verify_log_id"`
		Score         flexFloat  `json:"score"`
		Threshold     flexFloat  `json:"threshold"`
		LivenessScore flexFloat  `json:"liveness_score"`
		SpoofingScore flexFloat  `json:"spoofing_score"`
		RiskLevel     flexInt    `json:"risk_level"`
		RiskTag       flexString `json:"risk_tag"`
		IsDemote      flexBool   `json:"is_demote"`
		App           flexString `json:"app"`
	} `json:"verify_detail"`
	IDCardConfirm   wireConfirm `json:"idcard_confirm"`
	IDCardOCRResult *wireOCR    `json:"idcard_ocr_result"`
	IDCardImages    *wireImages `json:"idcard_images"`
}

// ResultGetAll returns every attempt of a verify_token with billing flags.
func (c *Client) ResultGetAll(ctx context.Context, verifyToken string) (*GetAllResult, error) {
	var res struct {
		VerifyCount       flexInt       `json:"verify_count"`
		OCRChargeCount    flexInt       `json:"ocr_charge_count"`
		MatchChargeCount  flexInt       `json:"match_charge_count"`
		VerifyChargeCount flexInt       `json:"verify_charge_count"`
		LiveChargeCount   flexInt       `json:"live_charge_count"`
		VerifyResult      []wireAttempt `json:"verify_result"`
	}
	if _, err := c.solution(ctx, PathResultGetAll, tokenBody{verifyToken}, &res); err != nil {
		return nil, err
	}
	out := &GetAllResult{
		VerifyCount: int(res.VerifyCount), OCRChargeCount: int(res.OCRChargeCount),
		MatchChargeCount: int(res.MatchChargeCount), VerifyChargeCount: int(res.VerifyChargeCount),
		LiveChargeCount: int(res.LiveChargeCount),
		Attempts:        make([]Attempt, 0, len(res.VerifyResult)),
	}
	for _, a := range res.VerifyResult {
		d := a.VerifyDetail
		out.Attempts = append(out.Attempts, Attempt{
			Order: int(a.Order), IsVerifyPassed: bool(a.IsVerifyPassed), Code: string(a.Code), Message: a.Message,
			VerifyTime: a.VerifyTime, IsCharged: bool(a.IsCharged), ChargeType: a.ChargeType, ChargeTime: a.ChargeTime,
			IsOCRCharge: bool(a.IsOCRCharge), OCRChargeTime: a.OCRChargeTime, OCRCount: int(a.OCRCount),
			VerifyDetail: VerifyDetail{
				FaceImage: d.FaceImage, VerifyLogID: string(d.VerifyLogID), Score: float64(d.Score),
				Threshold: float64(d.Threshold), LivenessScore: float64(d.LivenessScore),
				SpoofingScore: float64(d.SpoofingScore), RiskLevel: int(d.RiskLevel), RiskTag: string(d.RiskTag),
				IsDemote: bool(d.IsDemote), App: string(d.App),
			},
			IDCardConfirm:   a.IDCardConfirm.typed(),
			IDCardOCRResult: a.IDCardOCRResult.typed(),
			IDCardImages:    a.IDCardImages.typed(),
		})
	}
	return out, nil
}

// MediaResult is result/media/query: the recorded liveness media.
type MediaResult struct {
	ProcessVideo []string // real-time verification video URLs (face video first)
	Images       []string // face image URLs captured during liveness
	Video        string
	ExtInfo      json.RawMessage // video-processing error details, server-defined
}

// MediaQuery returns the media recorded during verification.
func (c *Client) MediaQuery(ctx context.Context, verifyToken string) (*MediaResult, error) {
	var res struct {
		ProcessVideo []string        `json:"processVideo"`
		Images       []string        `json:"images"`
		Video        string          `json:"video"`
		ExtInfo      json.RawMessage `json:"extInfo"`
	}
	if _, err := c.solution(ctx, PathMediaQuery, tokenBody{verifyToken}, &res); err != nil {
		return nil, err
	}
	return &MediaResult{ProcessVideo: res.ProcessVideo, Images: res.Images, Video: res.Video, ExtInfo: res.ExtInfo}, nil
}

// H5URL builds the end-user page URL
// base/face/print/?token=…&successUrl=…&failedUrl=… . base is the server
// root (https://faceprint.example.com) or the page itself (…/face/print/).
// Empty redirect URLs are left out.
func H5URL(base, verifyToken, successURL, failedURL string) string {
	base = strings.TrimRight(base, "/")
	if !strings.HasSuffix(base, "/face/print") {
		base += "/face/print"
	}
	// Built by hand to keep Baidu's parameter order (token first).
	u := base + "/?token=" + url.QueryEscape(verifyToken)
	if successURL != "" {
		u += "&successUrl=" + url.QueryEscape(successURL)
	}
	if failedURL != "" {
		u += "&failedUrl=" + url.QueryEscape(failedURL)
	}
	return u
}

// H5URL builds the end-user page URL on this client's server.
func (c *Client) H5URL(verifyToken, successURL, failedURL string) string {
	return H5URL(c.base, verifyToken, successURL, failedURL)
}
