package alibaba

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
)

// Limits on inputs (Alibaba's documented maxima where it has them).
const (
	maxSceneID      = 64
	maxOuterOrderNo = 32
	maxProductCode  = 16
	maxModel        = 64
	maxCertName     = 32 // characters
	maxCertNo       = 32
	maxReturnURL    = 1024
	maxMetaInfo     = 4096
	maxPicture      = 4 << 20 // base64 of a reference photo (Alibaba: ≤ 1 MB decoded; some slack)
	maxCertifyID    = 128
)

// kvNS holds, per CertifyId, the plan the SceneId named (the result query
// must name the same). Nothing personal is kept there.
const kvNS = "alibaba-certify"

// certifyTTL keeps the record as long as a result may be read (2 h token +
// the default 72 h result window, with a margin).
const certifyTTL = 80 * time.Hour

type certifyRecord struct {
	PlanID string `json:"p"`
}

// Product codes: what the caller expects the scene to do. The plan decides;
// a code whose comparison does not fit the plan is refused rather than
// silently verified another way.
const (
	productIDPro = "ID_PRO" // 实人认证: compare with the identity's reference photo
	productPVFV  = "PV_FV"  // 人脸验证: compare with FaceContrastPicture
	productLRFR  = "LR_FR"  // 活体检测: liveness only
)

func productFits(code string, o plan.Options) bool {
	switch code {
	case productIDPro:
		return o.CompareSource == plan.CompareAuthority || o.CompareSource == plan.CompareRegistry || o.CompareSource == plan.CompareIDCard
	case productPVFV:
		return o.CompareSource == plan.CompareUploaded
	case productLRFR:
		return o.CompareSource == plan.CompareNone
	}
	return false
}

// scenePlan resolves a SceneId to one of the app's enabled plans; nil when
// there is none. The SceneId is the plan id: plan ids are 10 digits without
// a leading zero, so they are valid Longs, as Alibaba's SceneId is (typed
// SDKs send a number).
func (h *Handler) scenePlan(c *call, scene string) (*plan.Plan, *apiError) {
	p, err := h.Store.GetPlan(c.r.Context(), scene)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (p.AppID != c.app.ID || p.Disabled)) {
		return nil, nil
	}
	if err != nil {
		return nil, gatewayErr(500, "InternalError", "plan lookup: %v", err)
	}
	return p, nil
}

// sceneNotFound is Cloudauth's business code for an unknown scene.
func sceneNotFound() *apiError {
	return bizErr("404", "认证场景配置不存在 (the SceneId is not a plan of this app: faceprint app alibaba-credentials lists them)")
}

func (h *Handler) initFaceVerify(c *call) (map[string]any, *apiError) {
	ctx := c.r.Context()
	scene, order, product := strings.TrimSpace(c.get("SceneId")), c.get("OuterOrderNo"), c.get("ProductCode")
	switch {
	case scene == "":
		return nil, missing("SceneId")
	case order == "":
		return nil, missing("OuterOrderNo")
	case product == "":
		return nil, missing("ProductCode")
	case len(scene) > maxSceneID:
		return nil, invalid("SceneId", "too long")
	case len(order) > maxOuterOrderNo:
		return nil, invalid("OuterOrderNo", "at most 32 characters")
	case len(product) > maxProductCode || (product != productIDPro && product != productPVFV && product != productLRFR):
		return nil, invalid("ProductCode", "this server offers ID_PRO, PV_FV and LR_FR")
	case len(c.get("Model")) > maxModel:
		return nil, invalid("Model", "too long")
	case len(c.get("MetaInfo")) > maxMetaInfo:
		return nil, invalid("MetaInfo", "too long")
	case c.get("CallbackUrl") != "" || c.get("CallbackToken") != "":
		// The verify service calls back per plan (callback_url, signed
		// webhook), not per request: a CallbackUrl accepted but never called
		// would leave the caller waiting.
		return nil, bizErr("401", "参数非法: CallbackUrl is not supported by this server; set the plan's callback_url (signed webhook) or poll DescribeFaceVerify")
	case c.get("FaceContrastPictureUrl") != "" || c.get("OssBucketName") != "" || c.get("OssObjectName") != "":
		return nil, bizErr("401", "参数非法: send the reference photo inline as FaceContrastPicture (base64); URLs and OSS objects are not fetched")
	case c.get("EncryptType") != "":
		return nil, bizErr("401", "参数非法: EncryptType is not supported: send CertName/CertNo in the clear over TLS")
	}
	if ct := c.get("CertType"); ct != "" && ct != "IDENTITY_CARD" {
		return nil, invalid("CertType", "only IDENTITY_CARD")
	}
	name, certNo := strings.TrimSpace(c.get("CertName")), strings.ToUpper(strings.TrimSpace(c.get("CertNo")))
	if (name == "") != (certNo == "") {
		return nil, bizErr("401", "参数非法: CertName and CertNo go together")
	}
	if utf8.RuneCountInString(name) > maxCertName || len(certNo) > maxCertNo {
		return nil, invalid("CertName/CertNo", "too long")
	}
	ret := strings.TrimSpace(c.get("ReturnUrl"))
	if ret != "" && !validURL(ret) {
		return nil, invalid("ReturnUrl", "an http(s) URL of at most 1024 characters")
	}
	var picture []byte
	if pic := c.get("FaceContrastPicture"); pic != "" {
		if len(pic) > maxPicture {
			return nil, invalid("FaceContrastPicture", "too large")
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(pic))
		if err != nil || len(b) < 32 {
			return nil, bizErr("419", "传入图片不可用: FaceContrastPicture is not standard base64 of an image")
		}
		if ct := http.DetectContentType(b); ct != "image/jpeg" && ct != "image/png" {
			return nil, bizErr("419", "传入图片不可用: FaceContrastPicture must be a JPEG or PNG")
		}
		picture = b
	}

	p, aerr := h.scenePlan(c, scene)
	if aerr != nil {
		return nil, aerr
	}
	if p == nil {
		return nil, sceneNotFound()
	}
	if !productFits(product, p.Options) {
		return nil, bizErr("401", "参数非法: ProductCode %s does not fit the scene's plan (compare_source %q)", product, p.Options.CompareSource)
	}
	if product == productPVFV && picture == nil {
		return nil, missing("FaceContrastPicture")
	}
	tok, err := h.Verify.Generate(ctx, c.app.ID, p.ID, ret, ret)
	if errors.Is(err, verify.ErrPlanNotFound) {
		return nil, sceneNotFound()
	}
	if err != nil {
		return nil, gatewayErr(500, "InternalError", "generate: %v", err)
	}
	if certNo != "" {
		switch err := h.Verify.SubmitIdentity(ctx, c.app.ID, tok, name, certNo, 0); {
		case errors.Is(err, verify.ErrWrongState):
			return nil, bizErr("401", "参数非法: the scene's plan does not take CertName/CertNo (its identity_input is not `submitted`)")
		case errors.Is(err, verify.ErrInvalidIdentity):
			return nil, bizErr("401", "参数非法: CertName or CertNo format error")
		case err != nil:
			return nil, gatewayErr(500, "InternalError", "submit identity: %v", err)
		}
	}
	if picture != nil {
		switch err := h.Verify.UploadMatchImage(ctx, c.app.ID, tok, picture); {
		case errors.Is(err, verify.ErrWrongState):
			return nil, bizErr("401", "参数非法: the scene's plan does not compare with FaceContrastPicture (compare_source is not `uploaded`)")
		case err != nil:
			return nil, gatewayErr(500, "InternalError", "upload picture: %v", err)
		}
	}
	rec, _ := json.Marshal(certifyRecord{PlanID: p.ID})
	if err := h.Store.PutKV(ctx, kvNS, tok, rec, h.now().Add(certifyTTL)); err != nil {
		return nil, gatewayErr(500, "InternalError", "store CertifyId: %v", err)
	}
	link := h.H5Base(c.r) + "/face/print/?token=" + url.QueryEscape(tok)
	return map[string]any{"ResultObject": map[string]any{"CertifyId": tok, "CertifyUrl": link}}, nil
}

func validURL(s string) bool {
	if len(s) > maxReturnURL || strings.ContainsAny(s, "\x00\r\n\t ") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

func (h *Handler) describeFaceVerify(c *call) (map[string]any, *apiError) {
	ctx := c.r.Context()
	scene, tok := strings.TrimSpace(c.get("SceneId")), strings.TrimSpace(c.get("CertifyId"))
	switch {
	case scene == "":
		return nil, missing("SceneId")
	case tok == "":
		return nil, missing("CertifyId")
	case len(scene) > maxSceneID:
		return nil, invalid("SceneId", "too long")
	case len(tok) > maxCertifyID:
		return nil, bizErr("401", "参数非法: CertifyId is invalid")
	}
	p, aerr := h.scenePlan(c, scene)
	if aerr != nil {
		return nil, aerr
	}
	if p == nil {
		return nil, sceneNotFound()
	}
	// The SceneId must be the one the CertifyId was made for (tokens made on
	// another wire have no record and skip this check).
	if b, err := h.Store.GetKV(ctx, kvNS, tok, h.now()); err == nil {
		var rec certifyRecord
		_ = json.Unmarshal(b, &rec)
		if rec.PlanID != p.ID {
			return nil, bizErr("401", "参数非法: the CertifyId was not issued for this SceneId")
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, gatewayErr(500, "InternalError", "CertifyId record: %v", err)
	}
	urlOf := func(k string) string { return k }
	all, err := h.Verify.GetAll(ctx, c.app.ID, tok, urlOf)
	switch {
	case errors.Is(err, verify.ErrNotFinished):
		return map[string]any{"ResultObject": map[string]any{"Passed": "F", "SubCode": nil, "MaterialInfo": nil, "IdentityInfo": nil}, "Message": "认证未完成"}, nil
	case errors.Is(err, verify.ErrTokenInvalid):
		return nil, bizErr("401", "参数非法: CertifyId is invalid or expired")
	case errors.Is(err, verify.ErrResultExpired):
		return nil, bizErr("401", "参数非法: the CertifyId's result is no longer kept")
	case err != nil:
		return nil, gatewayErr(500, "InternalError", "result: %v", err)
	}
	var last *verify.AttemptDetail
	if n := len(all.VerifyResult); n > 0 {
		last = &all.VerifyResult[n-1]
	}
	pictureURL := func(key string) string {
		if h.MediaURL == nil || key == "" {
			return ""
		}
		return h.MediaURL(c.r, key)
	}
	return map[string]any{"ResultObject": resultObject(last, pictureURL)}, nil
}
