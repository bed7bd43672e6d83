package alibaba

import (
	"encoding/json"
	"testing"

	"github.com/faceprint/faceprint/internal/verify"
)

func TestSubCodes(t *testing.T) {
	for name, c := range map[string]struct {
		a    *verify.AttemptDetail
		want string
	}{
		"no attempt": {nil, "206"},
		"passed":     {&verify.AttemptDetail{IsVerifyPassed: true, Code: "0"}, "200"},
		"liveness":   {&verify.AttemptDetail{Code: "216434", Reason: "static_image"}, "205"},
		"identity":   {&verify.AttemptDetail{Code: "222351", Reason: "identity_mismatch"}, "201"},
		"no photo":   {&verify.AttemptDetail{Code: "222350", Reason: "no_reference_photo"}, "203"},
		"authority":  {&verify.AttemptDetail{Code: "222999", Reason: "reference_error_222999"}, "209"},
		"mismatch": {&verify.AttemptDetail{Code: "222356", Reason: "face_mismatch",
			Checks: []verify.Check{{Name: "similarity", Passed: false}}}, "204"},
		"no face to compare": {&verify.AttemptDetail{Code: "222202", Reason: "compare_no_face"}, "204"},
	} {
		if got := subCode(c.a); got != c.want {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
}

// The ResultObject's shape: Passed/SubCode strings, MaterialInfo a JSON
// string with faceAttack and facialPictureFront as Alibaba sends them.
func TestResultObjectShape(t *testing.T) {
	a := &verify.AttemptDetail{IsVerifyPassed: true, Code: "0", VerifyDetail: map[string]any{
		"face_image": "s/x/face.jpg", "score": 93.7835, "liveness_score": 0.99, "spoofing_score": 0.01, "threshold": 80.0}}
	out := resultObject(a, func(k string) string { return "https://h/media/" + k })
	b, _ := json.Marshal(out)
	const want = `{"DeviceRisk":null,"DeviceToken":null,"IdentityInfo":null,"MaterialInfo":"{\"faceAttack\":\"F\",\"facialPictureFront\":{\"verifyScore\":93.7835,\"qualityScore\":0.99,\"pictureUrl\":\"https://h/media/s/x/face.jpg\"},\"faceprint\":{\"code\":\"0\",\"livenessScore\":0.99,\"reason\":\"\",\"spoofingScore\":0.01,\"threshold\":80}}","Passed":"T","SubCode":"200"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	failed := resultObject(&verify.AttemptDetail{Code: "216434", Reason: "static_image", VerifyDetail: map[string]any{}}, func(string) string { return "" })
	var m struct{ FaceAttack string }
	_ = json.Unmarshal([]byte(failed["MaterialInfo"].(string)), &m)
	if failed["Passed"] != "F" || failed["SubCode"] != "205" || m.FaceAttack != "T" {
		t.Errorf("failed liveness: %v", failed)
	}
}
