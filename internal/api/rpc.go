package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/verify"
)

// Solution business codes (wire-reference §2.3). Baidu documents 283513,
// 283435, 283400 and 216100; the verify-token and result codes are ours,
// chosen in the same 2834xx range and listed in the README.
const (
	CodeBadBody       = 283513 // 请求参数错误: body is not a JSON object / wrong types
	CodePlanNotExist  = 283435 // 方案不存在。Plan not exist.
	CodeServiceError  = 283400 // 服务异常,请稍后再试
	CodeTokenBad      = 283414 // Token无效或者已过期
	CodeNotFinished   = 283415 // 认证未完成
	CodeResultExpired = 283416 // 认证结果已过期
	CodeVerifyFailed  = 283417 // 认证未通过
	CodeWrongState    = 283419 // 当前认证状态不允许此操作
	CodeNameFormat    = 222352 // 身份证名字格式错误
	CodeIDFormat      = 222353 // 身份证号码格式错误
)

// Messages of the solution codes.
var rpcMessages = map[int]string{
	CodeBadBody:       "请求参数错误",
	CodePlanNotExist:  "方案不存在。Plan not exist.",
	CodeServiceError:  "服务异常,请稍后再试",
	CodeTokenBad:      "Token无效或者已过期",
	CodeNotFinished:   "认证未完成,请在用户完成认证后查询",
	CodeResultExpired: "认证结果已过期",
	CodeVerifyFailed:  "认证未通过",
	CodeWrongState:    "当前认证状态不允许此操作",
	CodeNameFormat:    "身份证名字格式错误",
	CodeIDFormat:      "身份证号码格式错误",
	CodeInvalidParam:  "invalid param",
	CodeImageSize:     "image size error",
	CodeImageBase64:   "image size error (base64 error)",
}

const rpcPrefix = "/rpc/2.0/brain/solution/faceprint/"

// rpcHandler handles an authenticated solution RPC.
type rpcHandler func(w http.ResponseWriter, r *http.Request, app *auth.App, body Body)

func (s *Server) registerRPC(mux *http.ServeMux) {
	routes := map[string]rpcHandler{
		"verifyToken/generate": s.rpcGenerate,
		"idcard/submit":        s.rpcSubmit,
		"uploadMatchImage":     s.rpcUploadMatchImage,
		"result/simple":        resultRPC(s, s.Verify.Simple),
		"result/detail":        resultRPC(s, withoutURLs(s.Verify.Detail)),
		"result/stat":          resultRPC(s, withoutURLs(s.Verify.Stat)),
		"result/getall":        resultRPC(s, s.Verify.GetAll),
		"result/media/query":   resultRPC(s, s.Verify.Media),
	}
	for name, h := range routes {
		mux.HandleFunc("POST "+rpcPrefix+name, s.rpc(h))
	}
}

// rpc wraps a solution RPC: body limit and sniffing, gateway auth errors in
// the REST shape, business errors in the solution envelope.
func (s *Server) rpc(h rpcHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := ReadBody(r, s.MaxBodyBytes)
		if errors.Is(err, ErrBodyTooLarge) {
			if s.authenticate(w, r, Body{}) == nil {
				return
			}
			rpcError(w, r, CodeImageSize, "request body too large")
			return
		}
		bad := err != nil
		if bad {
			body = Body{}
		}
		app := s.authenticate(w, r, body)
		if app == nil {
			return
		}
		if bad || body.Array != nil {
			rpcError(w, r, CodeBadBody, "")
			return
		}
		h(w, r, app, body)
	}
}

func rpcError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if msg == "" {
		msg = rpcMessages[code]
	}
	writeSolutionError(w, r, code, msg)
}

// verifyErr maps verify errors to solution codes.
func (s *Server) verifyErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, verify.ErrTokenInvalid):
		rpcError(w, r, CodeTokenBad, "")
	case errors.Is(err, verify.ErrPlanNotFound):
		rpcError(w, r, CodePlanNotExist, "")
	case errors.Is(err, verify.ErrNotFinished):
		rpcError(w, r, CodeNotFinished, "")
	case errors.Is(err, verify.ErrResultExpired):
		rpcError(w, r, CodeResultExpired, "")
	case errors.Is(err, verify.ErrVerifyFailed):
		rpcError(w, r, CodeVerifyFailed, "")
	case errors.Is(err, verify.ErrWrongState):
		rpcError(w, r, CodeWrongState, "")
	case errors.Is(err, verify.ErrInvalidName):
		rpcError(w, r, CodeNameFormat, "")
	case errors.Is(err, verify.ErrInvalidIDNumber):
		rpcError(w, r, CodeIDFormat, "")
	default:
		s.Log.Error("rpc", "log_id", LogID(r), "path", r.URL.Path, "err", err)
		rpcError(w, r, CodeServiceError, "")
	}
}

// requiredString reads a required string field; on failure it answers and returns ok=false.
func requiredString(w http.ResponseWriter, r *http.Request, body Body, key string, maxLen int) (string, bool) {
	v, present, err := body.String(key)
	if err != nil {
		rpcError(w, r, CodeBadBody, "请求参数错误: "+key+" 类型错误")
		return "", false
	}
	if !present || strings.TrimSpace(v) == "" {
		rpcError(w, r, CodeInvalidParam, "invalid param: "+key+" is required")
		return "", false
	}
	if len(v) > maxLen {
		rpcError(w, r, CodeInvalidParam, "invalid param: "+key+" too long")
		return "", false
	}
	return strings.TrimSpace(v), true
}

func (s *Server) rpcGenerate(w http.ResponseWriter, r *http.Request, app *auth.App, body Body) {
	planID, ok := requiredString(w, r, body, "plan_id", 64)
	if !ok {
		return
	}
	var successURL, failedURL string
	if raw := redirectConfig(body); raw != nil {
		rc, err := ParseBody(raw)
		if err != nil || rc.Object == nil {
			rpcError(w, r, CodeBadBody, "请求参数错误: redirect_config 必须是对象")
			return
		}
		for key, dst := range map[string]*string{"success_url": &successURL, "failed_url": &failedURL} {
			v, present, err := rc.String(key)
			if err != nil || (present && v != "" && !validRedirect(v)) {
				rpcError(w, r, CodeInvalidParam, "invalid param: redirect_config."+key+" must be an http(s) URL")
				return
			}
			*dst = v
		}
	}
	tok, err := s.Verify.Generate(r.Context(), app.ID, planID, successURL, failedURL)
	if err != nil {
		s.verifyErr(w, r, err)
		return
	}
	writeSolution(w, r, map[string]string{"verify_token": tok})
}

// redirectConfig returns the raw redirect_config object text, or nil when
// absent. JSON bodies carry it as an object (null: absent). Form bodies
// can only carry a string: a form value is taken as JSON object text, so
// redirect_config={"success_url":…} works under either encoding, and a
// non-object string is refused (283513) exactly as it is in JSON — it used
// to be dropped silently, and the user then landed on no redirect at all.
// An empty form value is absent (forms have no null). Bracketed keys
// (redirect_config[success_url]) are read as the object's fields.
func redirectConfig(body Body) []byte {
	if body.Object != nil {
		raw := body.Raw("redirect_config")
		if raw == nil || string(raw) == "null" {
			return nil
		}
		return raw
	}
	if !body.Form.Has("redirect_config") {
		// PHP's http_build_query and similar send a nested array as
		// redirect_config[success_url]=…: the same object, spelt as a form.
		obj := map[string]string{}
		for _, k := range []string{"success_url", "failed_url"} {
			if body.Form.Has("redirect_config[" + k + "]") {
				obj[k] = body.Form.Get("redirect_config[" + k + "]")
			}
		}
		if len(obj) == 0 {
			return nil
		}
		b, _ := json.Marshal(obj)
		return b
	}
	v := strings.TrimSpace(body.Form.Get("redirect_config"))
	if v == "" {
		return nil
	}
	if !strings.HasPrefix(v, "{") {
		// Not object text: make ParseBody see a non-object so the caller refuses it.
		return []byte("[]")
	}
	return []byte(v)
}

func validRedirect(s string) bool {
	if len(s) > 2048 || strings.ContainsAny(s, "\x00\r\n\t ") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

func (s *Server) rpcSubmit(w http.ResponseWriter, r *http.Request, app *auth.App, body Body) {
	tok, ok := requiredString(w, r, body, "verify_token", 128)
	if !ok {
		return
	}
	name, ok := requiredString(w, r, body, "id_name", 128)
	if !ok {
		return
	}
	no, ok := requiredString(w, r, body, "id_no", 64)
	if !ok {
		return
	}
	cert := 0
	if v, present, err := body.String("certificate_type"); err != nil {
		rpcError(w, r, CodeBadBody, "请求参数错误: certificate_type 类型错误")
		return
	} else if present && v != "" {
		c, err := strconv.Atoi(v)
		if err != nil || c < 0 || c > 4 {
			rpcError(w, r, CodeInvalidParam, "invalid param: certificate_type must be 0–4")
			return
		}
		cert = c
	}
	if err := s.Verify.SubmitIdentity(r.Context(), app.ID, tok, name, strings.ToUpper(no), cert); err != nil {
		s.verifyErr(w, r, err)
		return
	}
	writeSolution(w, r, 1)
}

// maxMatchImage bounds uploadMatchImage (Baidu: ≤ 10 MB).
const maxMatchImage = 10 << 20

func (s *Server) rpcUploadMatchImage(w http.ResponseWriter, r *http.Request, app *auth.App, body Body) {
	tok, ok := requiredString(w, r, body, "verify_token", 128)
	if !ok {
		return
	}
	img, ok := requiredString(w, r, body, "image", 14<<20)
	if !ok {
		return
	}
	data, err := base64.StdEncoding.DecodeString(stripDataURL(img))
	if err != nil {
		rpcError(w, r, CodeImageBase64, "")
		return
	}
	if len(data) > maxMatchImage || len(data) < 32 {
		rpcError(w, r, CodeImageSize, "")
		return
	}
	ct := http.DetectContentType(data)
	if ct != "image/jpeg" && ct != "image/png" && ct != "image/bmp" && ct != "image/webp" {
		rpcError(w, r, CodeImageFormat, "image format error")
		return
	}
	if err := s.Verify.UploadMatchImage(r.Context(), app.ID, tok, data); err != nil {
		s.verifyErr(w, r, err)
		return
	}
	writeSolution(w, r, nil)
}

// stripDataURL accepts "data:image/jpeg;base64,..." as some front ends send it.
func stripDataURL(s string) string {
	if strings.HasPrefix(s, "data:") {
		if i := strings.IndexByte(s, ','); i > 0 {
			return s[i+1:]
		}
	}
	return s
}

// resultRPC is a solution RPC whose body is just verify_token.
func resultRPC[T any](s *Server, query func(ctx context.Context, appID, token string, url verify.URLFunc) (T, error)) rpcHandler {
	return func(w http.ResponseWriter, r *http.Request, app *auth.App, body Body) {
		tok, ok := requiredString(w, r, body, "verify_token", 128)
		if !ok {
			return
		}
		res, err := query(r.Context(), app.ID, tok, func(k string) string { return s.MediaURL(r, k) })
		if err != nil {
			s.verifyErr(w, r, err)
			return
		}
		writeSolution(w, r, res)
	}
}

// withoutURLs adapts a result query that returns no media URLs.
func withoutURLs[T any](q func(ctx context.Context, appID, token string) (T, error)) func(context.Context, string, string, verify.URLFunc) (T, error) {
	return func(ctx context.Context, appID, token string, _ verify.URLFunc) (T, error) {
		return q(ctx, appID, token)
	}
}
