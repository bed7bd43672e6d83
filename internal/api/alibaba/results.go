package alibaba

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/faceprint/faceprint/internal/verify"
)

// Sub codes (ResultObject.SubCode) as Alibaba documents them for
// DescribeFaceVerify, and the faceprint outcomes mapped onto them. Passed
// is the decision; the sub code only says why.
const (
	subPassed           = "200" // 认证通过
	subIdentityMismatch = "201" // 姓名和身份证不一致
	subNoReference      = "203" // 查询不到照片或照片不可用
	subFaceMismatch     = "204" // 人脸比对不一致
	subLivenessRisk     = "205" // 活体检测存在风险
	subPolicy           = "206" // 业务策略限制
	subAuthority        = "209" // 权威比对源异常
)

// subCode maps the last attempt's outcome (its Baidu code and faceprint
// reason, the same result/getall reports) to a sub code.
func subCode(a *verify.AttemptDetail) string {
	if a == nil {
		// Ended without an attempt (expired, abandoned, refused before the capture).
		return subPolicy
	}
	if a.IsVerifyPassed {
		return subPassed
	}
	code, _ := strconv.Atoi(a.Code)
	switch {
	case a.Reason == "identity_mismatch" || code == 222351 || code == 222354 || code == 222360:
		return subIdentityMismatch
	case a.Reason == "no_reference_photo" || code == 222350 || code == 222355:
		return subNoReference
	case a.Reason == "authority_unavailable" || strings.HasPrefix(a.Reason, "reference_error"):
		return subAuthority
	case compareFailed(a):
		return subFaceMismatch
	}
	return subLivenessRisk
}

// compareFailed: the failure is the comparison's (similarity below the
// threshold, the comparison's codes 222350–222361, no comparable face), not
// the liveness step's.
func compareFailed(a *verify.AttemptDetail) bool {
	for _, c := range a.Checks {
		if c.Name == "similarity" && !c.Passed {
			return true
		}
	}
	code, _ := strconv.Atoi(a.Code)
	return code >= 222350 && code <= 222361 || a.Reason == "compare_no_face" || a.Reason == "face_mismatch"
}

// material is MaterialInfo (a JSON string on the wire, as Alibaba sends it).
type material struct {
	// FaceAttack is "T" when the liveness step judged the capture an attack.
	FaceAttack         string       `json:"faceAttack"`
	FacialPictureFront *facialFront `json:"facialPictureFront,omitempty"`
	// Faceprint is this server's extension: the scores behind the decision,
	// as result/getall reports them.
	Faceprint map[string]any `json:"faceprint,omitempty"`
}

type facialFront struct {
	// VerifyScore is the similarity (0–100), result/detail's verify_result.score.
	VerifyScore float64 `json:"verifyScore"`
	// QualityScore is the liveness score on result/getall's scale (no
	// separate image quality score is kept).
	QualityScore float64 `json:"qualityScore"`
	// PictureURL is a signed, expiring URL of the face image (the same image
	// as result/simple's).
	PictureURL string `json:"pictureUrl,omitempty"`
}

// resultObject is DescribeFaceVerify's ResultObject for a finished session.
func resultObject(a *verify.AttemptDetail, pictureURL func(key string) string) map[string]any {
	out := map[string]any{"Passed": "F", "SubCode": subCode(a), "IdentityInfo": nil, "DeviceToken": nil, "DeviceRisk": nil}
	if a == nil {
		out["MaterialInfo"] = nil
		return out
	}
	if a.IsVerifyPassed {
		out["Passed"] = "T"
	}
	num := func(k string) float64 { f, _ := a.VerifyDetail[k].(float64); return f }
	m := material{FaceAttack: "F"}
	if !a.IsVerifyPassed && subCode(a) == subLivenessRisk {
		m.FaceAttack = "T"
	}
	key, _ := a.VerifyDetail["face_image"].(string)
	m.FacialPictureFront = &facialFront{VerifyScore: num("score"), QualityScore: num("liveness_score"), PictureURL: pictureURL(key)}
	m.Faceprint = map[string]any{
		"code": a.Code, "reason": a.Reason, "threshold": a.VerifyDetail["threshold"],
		"livenessScore": num("liveness_score"), "spoofingScore": num("spoofing_score"),
	}
	b, _ := json.Marshal(m)
	out["MaterialInfo"] = string(b)
	return out
}
