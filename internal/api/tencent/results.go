package tencent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
)

// getDetectInfoEnhanced answers the result of a BizToken in Tencent's
// shape, from the same session data as Baidu's result/detail and
// result/getall: the decision, the scores, the identity, the card and face
// images.
func (h *Handler) getDetectInfoEnhanced(ctx context.Context, app *store.App, body []byte) (map[string]any, *apiError) {
	var in struct {
		BizToken, RuleId, InfoType                      *string
		BestFramesCount                                 *uint64
		IsCutIdCardImage, IsNeedIdCardAvatar, IsEncrypt *bool
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	tok, rule := strings.TrimSpace(deref(in.BizToken)), strings.TrimSpace(deref(in.RuleId))
	switch {
	case tok == "":
		return nil, errf("MissingParameter", "the request is missing the required parameter `BizToken`")
	case rule == "":
		return nil, errf("MissingParameter", "the request is missing the required parameter `RuleId`")
	case len(tok) > maxBizToken:
		return nil, errf("InvalidParameterValue.BizTokenIllegal", "BizToken is invalid")
	case in.IsEncrypt != nil && *in.IsEncrypt:
		return nil, errf("UnsupportedOperation", "IsEncrypt is not supported by this server")
	}
	want, perr := parseInfoType(deref(in.InfoType))
	if perr != nil {
		return nil, perr
	}
	frames := 0
	if in.BestFramesCount != nil {
		frames = int(min(*in.BestFramesCount, maxBestFrames))
	}

	// The RuleId must be the one the BizToken was made for (tokens made on
	// the Baidu wire have no record and skip this check).
	var rec bizRecord
	if b, err := h.Store.GetKV(ctx, kvNS, tok, h.now()); err == nil {
		_ = json.Unmarshal(b, &rec)
		if rec.RuleID != rule {
			return nil, errf("InvalidParameterValue.RuleIdNotExist", "RuleId does not exist or does not match the BizToken")
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, errf("InternalError", "BizToken record: %v", err)
	}

	var keys []string // face image keys in the order the result lists them
	all, err := h.Verify.GetAll(ctx, app.ID, tok, func(k string) string { keys = append(keys, k); return k })
	switch {
	case errors.Is(err, verify.ErrNotFinished):
		// Tencent's fields are "null when unavailable": a flow that has not
		// ended yet has no ErrCode.
		out := map[string]any{"Text": map[string]any{"ErrCode": nil, "ErrMsg": "核身流程未完成 (verification not finished)", "Extra": rec.Extra}}
		return out, nil
	case errors.Is(err, verify.ErrTokenInvalid):
		return nil, errf("InvalidParameterValue.BizTokenIllegal", "BizToken is invalid or expired")
	case errors.Is(err, verify.ErrResultExpired):
		return nil, errf("InvalidParameterValue.BizTokenExpired", "the BizToken's result is no longer kept")
	case err != nil:
		return nil, errf("InternalError", "result: %v", err)
	}
	out := map[string]any{}
	var last *verify.AttemptDetail
	if n := len(all.VerifyResult); n > 0 {
		last = &all.VerifyResult[n-1]
	}
	if want['1'] {
		out["Text"] = text(last, rec.Extra)
	}
	if want['2'] {
		d, err := h.Verify.Detail(ctx, app.ID, tok)
		if err != nil {
			return nil, errf("InternalError", "detail: %v", err)
		}
		card := map[string]any{}
		if d.IDCardImages != nil {
			card["OcrFront"] = nullIfEmpty(d.IDCardImages.FrontBase64)
			card["OcrBack"] = nullIfEmpty(d.IDCardImages.BackBase64)
		}
		// The card reader keeps the photo as taken; no cropped copy or
		// portrait cut-out exists (IsCutIdCardImage, IsNeedIdCardAvatar).
		card["ProcessedFrontImage"], card["ProcessedBackImage"], card["Avatar"] = nil, nil, nil
		out["IdCardData"] = card
	}
	if want['3'] {
		best := map[string]any{"BestFrame": nil, "BestFrames": []string{}}
		var face string
		if last != nil {
			if k, _ := last.VerifyDetail["face_image"].(string); k != "" {
				face = h.blobBase64(ctx, k)
				best["BestFrame"] = nullIfEmpty(face)
			}
		}
		if frames > 0 && face != "" {
			// One best frame per attempt is kept; BestFrames lists the
			// attempts' faces, newest first, up to the count asked.
			var list []string
			for i := len(keys) - 1; i >= 0 && len(list) < frames; i-- {
				if b := h.blobBase64(ctx, keys[i]); b != "" {
					list = append(list, b)
				}
			}
			best["BestFrames"] = list
		}
		out["BestFrame"] = best
	}
	return out, nil
}

// parseInfoType reads InfoType: digits 0–3, "0" (or empty) meaning all.
func parseInfoType(s string) (map[byte]bool, *apiError) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "0"
	}
	if len(s) > 4 {
		return nil, errf("InvalidParameterValue", "InfoType is digits 0–3, e.g. 0 (all) or 13")
	}
	want := map[byte]bool{}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '3' {
			return nil, errf("InvalidParameterValue", "InfoType is digits 0–3, e.g. 0 (all) or 13")
		}
		if c == '0' {
			want['1'], want['2'], want['3'] = true, true, true
		}
		want[c] = true
	}
	return want, nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (h *Handler) blobBase64(ctx context.Context, key string) string {
	if h.Blobs == nil || key == "" {
		return ""
	}
	b, err := h.Blobs.Get(ctx, key)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// liveness reasons: checks whose failure is the liveness step's (the
// similarity check and authority codes are the comparison's).
func compareFailed(a *verify.AttemptDetail) bool {
	if a.IsVerifyPassed {
		return false
	}
	for _, c := range a.Checks {
		if c.Name == "similarity" && !c.Passed {
			return true
		}
	}
	code, _ := strconv.Atoi(a.Code)
	return code >= 222350 && code <= 222361 || a.Reason == "compare_no_face"
}

// text is the Text block: ErrCode 0 for a pass, else the Baidu error code
// of the failing check (the same code result/getall reports); LiveStatus
// and Comparestatus split it into the two steps; Sim is the similarity.
func text(a *verify.AttemptDetail, extra string) map[string]any {
	t := map[string]any{"Extra": nullIfEmpty(extra)}
	if a == nil {
		t["ErrCode"], t["ErrMsg"] = nil, "no attempt"
		return t
	}
	code, err := strconv.ParseInt(a.Code, 10, 64)
	if err != nil {
		code = -1
	}
	score, _ := a.VerifyDetail["score"].(float64)
	switch {
	case a.IsVerifyPassed:
		t["ErrCode"], t["ErrMsg"] = 0, "成功"
		t["LiveStatus"], t["LiveMsg"] = 0, "成功"
		t["Comparestatus"], t["Comparemsg"] = 0, "成功"
	case compareFailed(a):
		t["ErrCode"], t["ErrMsg"] = code, a.Message
		t["LiveStatus"], t["LiveMsg"] = 0, "成功"
		t["Comparestatus"], t["Comparemsg"] = code, a.Message
	default:
		t["ErrCode"], t["ErrMsg"] = code, a.Message
		t["LiveStatus"], t["LiveMsg"] = code, a.Message
		t["Comparestatus"], t["Comparemsg"] = nil, nil
	}
	if score > 0 {
		t["Sim"] = strconv.FormatFloat(score, 'f', 2, 64)
	}
	if c := a.IDCardConfirm; c != nil {
		t["IdCard"], t["Name"] = c.IDCardNumber, c.Name
	}
	if o := a.IDCardOCR; o != nil {
		t["OcrName"], t["OcrIdCard"], t["OcrGender"], t["OcrNation"] = o.Name, o.IDCardNumber, o.Gender, o.Nation
		t["OcrBirth"], t["OcrAddress"], t["OcrAuthority"] = o.Birthday, o.Address, o.IssueAuthority
		if o.IssueTime != "" || o.ExpireTime != "" {
			t["OcrValidDate"] = o.IssueTime + "-" + o.ExpireTime
		}
	}
	return t
}
