package tencent

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/faceprint/faceprint/internal/api/wire"
	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
)

// Version is the FaceID API version this wire speaks.
const Version = "2018-03-01"

// Limits on inputs (Tencent's documented maxima where it has them).
const (
	maxRuleID      = 64
	maxIDCard      = 32 // a-zA-Z0-9, ≤ 32
	maxName        = 32 // characters
	maxRedirectURL = 1024
	maxExtra       = 1024
	maxImageBase64 = 4 << 20 // Tencent: ≤ 3 MB after base64; a little slack for padding and line breaks
	maxBizToken    = 128
	maxBestFrames  = 10
)

// kvNS holds, per BizToken, what DetectAuth was given and the result query
// needs again (RuleId, Extra). Nothing personal is kept there.
const kvNS = "tencent-biz"

// replayNS remembers DetectAuth signatures for the timestamp window.
const replayNS = "tc3-replay"

// bizTTL keeps the RuleId/Extra record as long as a result may be read
// (2 h token + the default 72 h result window, with a margin).
const bizTTL = 80 * time.Hour

// Handler serves POST / with X-TC-Action DetectAuth or GetDetectInfoEnhanced.
type Handler struct {
	Verify *verify.Service
	Store  store.Store // apps, the BizToken records, the replay set
	Blobs  blob.Store  // face and ID card images for GetDetectInfoEnhanced
	Keys   Keyring
	Clock  func() time.Time
	Log    *slog.Logger
	// MaxBodyBytes bounds the request body (ImageBase64 is the big field).
	MaxBodyBytes int64
	// Allow applies the app's QPS limit (shared with the Baidu wire); nil: none.
	Allow func(*store.App) bool
	// H5Base returns scheme://host of the H5 link for a request.
	H5Base func(*http.Request) string
}

// apiError is a Tencent error: Code is the dotted error code.
type apiError struct {
	Code, Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (h *Handler) now() time.Time {
	if h.Clock != nil {
		return h.Clock()
	}
	return time.Now()
}

// newRequestID is a random UUID (v4), the shape of Tencent's RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func writeResponse(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{"Response": v})
}

// writeError answers Tencent's error shape, HTTP 200 as Tencent does (the
// SDKs read the body only on 200).
func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	writeResponse(w, map[string]any{"Error": map[string]string{"Code": e.Code, "Message": e.Message}, "RequestId": reqID})
}

// ServeHTTP authenticates the TC3 signature, then runs the action.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("X-TC-RequestId", reqID)
	app, body, aerr := h.authenticate(r)
	if aerr != nil {
		if h.Log != nil && strings.HasPrefix(aerr.Code, "AuthFailure") {
			// No header, key or signature in the log: the code says what failed.
			h.Log.Warn("tencent wire: request refused", "code", aerr.Code, "request_id", reqID)
		}
		writeError(w, reqID, aerr)
		return
	}
	var (
		out map[string]any
		err *apiError
	)
	switch r.Header.Get("X-TC-Action") {
	case "DetectAuth":
		out, err = h.detectAuth(r, app, body)
	case "GetDetectInfoEnhanced":
		out, err = h.getDetectInfoEnhanced(r.Context(), app, body)
	default:
		err = errf("InvalidAction", "the action %q is not supported by this server (DetectAuth, GetDetectInfoEnhanced)", limitStr(r.Header.Get("X-TC-Action"), 64))
	}
	if err != nil {
		if err.Code == "InternalError" && h.Log != nil {
			h.Log.Error("tencent wire", "action", r.Header.Get("X-TC-Action"), "app_id", app.ID, "request_id", reqID, "err", err.Message)
			err.Message = "internal error, request id " + reqID
		}
		writeError(w, reqID, err)
		return
	}
	out["RequestId"] = reqID
	writeResponse(w, out)
}

func limitStr(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// authenticate checks method, size, version and the TC3 signature, and
// returns the app and the body.
func (h *Handler) authenticate(r *http.Request) (*store.App, []byte, *apiError) {
	if r.Method != http.MethodPost {
		return nil, nil, errf("UnsupportedProtocol", "only POST with a JSON body is supported")
	}
	limit := h.MaxBodyBytes
	if limit <= 0 {
		limit = 8 << 20
	}
	body, err := wire.ReadBody(r, limit)
	if errors.Is(err, wire.ErrTooLarge) {
		return nil, nil, errf("RequestSizeLimitExceeded", "the request body exceeds %d bytes", limit)
	}
	if err != nil {
		return nil, nil, errf("InvalidRequest", "could not read the request body")
	}
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return nil, nil, errf("AuthFailure.InvalidAuthorization", "the Authorization header is not a valid TC3-HMAC-SHA256 signature")
	}
	if a.Service != Service {
		return nil, nil, errf("AuthFailure.InvalidAuthorization", "the credential scope's service must be %q", Service)
	}
	ts := r.Header.Get("X-TC-Timestamp")
	fresh, err := checkTimestamp(ts, a, h.now())
	if err != nil {
		return nil, nil, errf("AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing or does not match the credential date")
	}
	if !fresh {
		return nil, nil, errf("AuthFailure.SignatureExpire", "the signature expired: X-TC-Timestamp must be within 5 minutes of the server time (%d)", h.now().Unix())
	}
	appID, ok := h.Keys.AppOf(a.SecretID)
	if !ok {
		return nil, nil, errf("AuthFailure.SecretIdNotFound", "the SecretId does not exist (faceprint app tencent-credentials APP_ID shows an app's)")
	}
	app, err := h.Store.GetApp(r.Context(), appID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && app.Disabled) {
		return nil, nil, errf("AuthFailure.SecretIdNotFound", "the SecretId does not exist or its app is disabled")
	}
	if err != nil {
		return nil, nil, errf("InternalError", "app lookup: %v", err)
	}
	_, key := h.Keys.Credentials(app.ID, app.Generation)
	want, err := signature(key, r, a, ts, body)
	if err != nil {
		return nil, nil, errf("AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host")
	}
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(a.Signature))) {
		return nil, nil, errf("AuthFailure.SignatureFailure", "the request signature does not match (check the SecretKey; it changes when the app's secret is rotated)")
	}
	if v := r.Header.Get("X-TC-Version"); v != Version {
		return nil, nil, errf("NoSuchVersion", "X-TC-Version must be %s", Version)
	}
	if h.Allow != nil && !h.Allow(app) {
		return nil, nil, errf("RequestLimitExceeded", "the app's request rate limit was reached")
	}
	// Replays of the state-changing DetectAuth are refused for the signature's
	// lifetime (TC3 has no nonce: the signature over the timestamp and body is
	// the request's identity). A replay would hand a captured call's
	// verification link to whoever replays it.
	if r.Header.Get("X-TC-Action") == "DetectAuth" {
		sec, _ := strconv.ParseInt(ts, 10, 64)
		// The value is random: the store recognises its own row by value and
		// expiry, and a replay has the same expiry.
		mark := make([]byte, 16)
		_, _ = rand.Read(mark)
		err := h.Store.PutKV(r.Context(), replayNS, a.Signature, mark, time.Unix(sec, 0).Add(MaxSkew+time.Minute))
		if errors.Is(err, store.ErrConflict) {
			return nil, nil, errf("AuthFailure.SignatureFailure", "this signed request was already used (replay); sign every request anew")
		}
		if err != nil {
			return nil, nil, errf("InternalError", "replay check: %v", err)
		}
	}
	return app, body, nil
}

// decode reads the JSON body strictly: unknown fields are UnknownParameter,
// as Tencent answers.
func decode(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return errf("UnknownParameter", "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return errf("InvalidParameter", "the request body is not a valid JSON object for this action")
	}
	return nil
}

type bizRecord struct {
	RuleID string `json:"r"`
	Extra  string `json:"x,omitempty"`
}

func (h *Handler) detectAuth(r *http.Request, app *store.App, body []byte) (map[string]any, *apiError) {
	var in struct {
		RuleId, TerminalType, IdCard, Name, RedirectUrl, Extra, ImageBase64 *string
		Encryption                                                          json.RawMessage
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	ctx := r.Context()
	rule := strings.TrimSpace(deref(in.RuleId))
	switch {
	case rule == "":
		return nil, errf("MissingParameter", "the request is missing the required parameter `RuleId`")
	case len(rule) > maxRuleID:
		return nil, errf("InvalidParameterValue.RuleIdNotExist", "RuleId does not exist")
	case len(in.Encryption) > 0 && string(in.Encryption) != "null":
		return nil, errf("UnsupportedOperation", "Encryption is not supported by this server: send IdCard and Name in the clear over TLS")
	}
	idCard, name := strings.ToUpper(strings.TrimSpace(deref(in.IdCard))), strings.TrimSpace(deref(in.Name))
	if (idCard == "") != (name == "") {
		return nil, errf("InvalidParameter", "IdCard and Name go together: give both or neither")
	}
	if len(idCard) > maxIDCard || utf8.RuneCountInString(name) > maxName {
		return nil, errf("InvalidParameterValue", "IdCard is at most %d characters and Name at most %d", maxIDCard, maxName)
	}
	redirect := strings.TrimSpace(deref(in.RedirectUrl))
	if redirect != "" && !validRedirect(redirect) {
		return nil, errf("InvalidParameterValue", "RedirectUrl must be an http(s) URL of at most %d characters", maxRedirectURL)
	}
	extra := deref(in.Extra)
	if len(extra) > maxExtra {
		return nil, errf("InvalidParameterValue", "Extra is at most %d bytes", maxExtra)
	}
	var image []byte
	if in.ImageBase64 != nil && *in.ImageBase64 != "" {
		if len(*in.ImageBase64) > maxImageBase64 {
			return nil, errf("InvalidParameterValue", "ImageBase64 is at most 3 MB")
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(*in.ImageBase64))
		if err != nil || len(b) < 32 {
			return nil, errf("InvalidParameterValue", "ImageBase64 is not standard base64 of a JPEG or PNG")
		}
		if ct := http.DetectContentType(b); ct != "image/jpeg" && ct != "image/png" {
			return nil, errf("InvalidParameterValue", "ImageBase64 must be a JPEG or PNG")
		}
		image = b
	}

	tok, err := h.Verify.Generate(ctx, app.ID, rule, redirect, redirect)
	if errors.Is(err, verify.ErrPlanNotFound) {
		return nil, errf("InvalidParameterValue.RuleIdNotExist", "RuleId does not exist (a RuleId is a faceprint plan id of this app)")
	}
	if err != nil {
		return nil, errf("InternalError", "generate: %v", err)
	}
	if idCard != "" {
		switch err := h.Verify.SubmitIdentity(ctx, app.ID, tok, name, idCard, 0); {
		case errors.Is(err, verify.ErrWrongState):
			return nil, errf("InvalidParameterValue", "the RuleId's plan does not take IdCard/Name (its identity_input is not `submitted`)")
		case errors.Is(err, verify.ErrInvalidIdentity):
			return nil, errf("InvalidParameterValue", "IdCard or Name format error")
		case err != nil:
			return nil, errf("InternalError", "submit identity: %v", err)
		}
	}
	if image != nil {
		switch err := h.Verify.UploadMatchImage(ctx, app.ID, tok, image); {
		case errors.Is(err, verify.ErrWrongState):
			return nil, errf("InvalidParameterValue", "the RuleId's plan does not compare with an uploaded image (compare_source is not `uploaded`)")
		case err != nil:
			return nil, errf("InternalError", "upload image: %v", err)
		}
	}
	rec, _ := json.Marshal(bizRecord{RuleID: rule, Extra: extra})
	if err := h.Store.PutKV(ctx, kvNS, tok, rec, h.now().Add(bizTTL)); err != nil {
		return nil, errf("InternalError", "store BizToken: %v", err)
	}
	link := h.H5Base(r) + "/face/print/?token=" + url.QueryEscape(tok)
	return map[string]any{"Url": link, "BizToken": tok}, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func validRedirect(s string) bool {
	if len(s) > maxRedirectURL || strings.ContainsAny(s, "\x00\r\n\t ") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
