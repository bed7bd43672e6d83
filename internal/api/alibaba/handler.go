package alibaba

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/faceprint/faceprint/internal/api/wire"
	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
)

// Version is the Cloudauth API version this wire speaks.
const Version = "2019-03-07"

// nonceNS remembers signature nonces for the timestamp window.
const nonceNS = "acs-nonce"

// Handler serves the Alibaba Cloud RPC actions InitFaceVerify and
// DescribeFaceVerify (POST /, action in x-acs-action or the Action parameter).
type Handler struct {
	Verify *verify.Service
	Store  store.Store // apps, plans, the CertifyId records, the nonce set
	Blobs  blob.Store
	Keys   Keyring
	Clock  func() time.Time
	Log    *slog.Logger
	// MaxBodyBytes bounds the request body (FaceContrastPicture is the big field).
	MaxBodyBytes int64
	// Allow applies the app's QPS limit (shared with the other wires); nil: none.
	Allow func(*store.App) bool
	// H5Base returns scheme://host of the H5 link for a request.
	H5Base func(*http.Request) string
	// MediaURL signs a blob key into an expiring URL (pictureUrl); nil: no URLs.
	MediaURL func(r *http.Request, key string) string
}

// Is reports whether r is an Alibaba Cloud RPC call (V3 header or legacy
// Action parameter), so POST / can be shared with the Tencent wire.
func Is(r *http.Request) bool {
	return r.Header.Get("x-acs-action") != "" || r.URL.Query().Has("Action")
}

// apiError is an Alibaba error. Status 200 carries a Cloudauth business
// code ("401", "404") in the normal body; 4xx/5xx are the gateway's errors
// (SignatureDoesNotMatch, MissingParameter…), which the SDKs raise.
type apiError struct {
	Status        int
	Code, Message string
}

func gatewayErr(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func bizErr(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusOK, Code: code, Message: fmt.Sprintf(format, args...)}
}

func missing(name string) *apiError {
	return gatewayErr(400, "MissingParameter", "The input parameter \"%s\" that is mandatory for processing this request is not supplied.", name)
}

func invalid(name, why string) *apiError {
	return gatewayErr(400, "InvalidParameter", "The specified parameter \"%s\" is not valid: %s", name, why)
}

func (h *Handler) now() time.Time {
	if h.Clock != nil {
		return h.Clock()
	}
	return time.Now()
}

// newRequestID is an upper-case UUID, the shape of Alibaba's RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, host, reqID string, e *apiError) {
	if e.Status == http.StatusOK {
		writeJSON(w, 200, map[string]any{"RequestId": reqID, "Code": e.Code, "Message": e.Message})
		return
	}
	writeJSON(w, e.Status, map[string]any{
		"RequestId": reqID, "HostId": host, "Code": e.Code, "Message": e.Message,
		"Recommend": "see the README section \"Alibaba Cloud 实人认证 wire\"",
	})
}

// call is an authenticated request.
type call struct {
	r      *http.Request
	app    *store.App
	action string
	params map[string]string // query and form parameters, one value each
}

func (c *call) get(name string) string { return c.params[name] }

// ServeHTTP authenticates the signature, then runs the action.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	c, aerr := h.authenticate(r)
	if aerr == nil {
		var out map[string]any
		switch c.action {
		case "InitFaceVerify":
			out, aerr = h.initFaceVerify(c)
		case "DescribeFaceVerify":
			out, aerr = h.describeFaceVerify(c)
		default:
			aerr = gatewayErr(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method (this server offers InitFaceVerify and DescribeFaceVerify).")
		}
		if aerr == nil {
			out["RequestId"], out["Code"] = reqID, "200"
			if _, ok := out["Message"]; !ok {
				out["Message"] = "success"
			}
			writeJSON(w, 200, out)
			return
		}
	}
	if h.Log != nil {
		switch {
		case aerr.Status >= 500:
			app := ""
			if c != nil {
				app = c.app.ID
			}
			h.Log.Error("alibaba wire", "app_id", app, "request_id", reqID, "err", aerr.Message)
			aerr.Message = "The request processing has failed due to some unknown error, request id " + reqID
		case aerr.Status == 400 || aerr.Status == 404:
			// The code says what failed; no key, signature or parameter value is logged.
			h.Log.Warn("alibaba wire: request refused", "code", aerr.Code, "request_id", reqID)
		}
	}
	writeError(w, r.Host, reqID, aerr)
}

// authenticate reads the parameters and checks the signature (V3 header or
// legacy query signature), the time, the nonce, the version and the rate.
func (h *Handler) authenticate(r *http.Request) (*call, *apiError) {
	limit := h.MaxBodyBytes
	if limit <= 0 {
		limit = 8 << 20
	}
	if len(r.URL.RawQuery) > 16<<10 {
		return nil, gatewayErr(400, "InvalidParameter", "the query string is too long (send large values in the form body)")
	}
	body, err := wire.ReadBody(r, limit)
	if errors.Is(err, wire.ErrTooLarge) {
		return nil, gatewayErr(413, "RequestEntityTooLarge", "the request body exceeds %d bytes", limit)
	}
	if err != nil {
		return nil, gatewayErr(400, "InvalidParameter", "could not read the request body")
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, gatewayErr(400, "InvalidParameter", "the query string is not valid")
	}
	query := map[string]string{}
	if !singleValues(q, query) {
		return nil, gatewayErr(400, "InvalidParameter", "a parameter is repeated")
	}
	params := map[string]string{}
	for k, v := range query {
		params[k] = v
	}
	if len(body) > 0 {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "application/x-www-form-urlencoded" {
			return nil, gatewayErr(400, "InvalidParameter", "the body must be application/x-www-form-urlencoded (RPC style)")
		}
		f, err := url.ParseQuery(string(body))
		if err != nil || !singleValues(f, params) {
			return nil, gatewayErr(400, "InvalidParameter", "the form body is not valid or repeats a parameter")
		}
	}

	c := &call{r: r, params: params}
	var (
		keyID, ts, nonce string
		check            func(secret string) (bool, *apiError)
	)
	if auth := r.Header.Get("Authorization"); auth != "" {
		a, err := parseV3(auth)
		if err != nil {
			return nil, gatewayErr(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards (Authorization: %s Credential=…,SignedHeaders=…,Signature=…).", Algorithm)
		}
		keyID, ts, nonce = a.AccessKeyID, r.Header.Get("x-acs-date"), r.Header.Get("x-acs-signature-nonce")
		c.action = r.Header.Get("x-acs-action")
		if v := r.Header.Get("x-acs-version"); v != Version {
			return nil, gatewayErr(400, "InvalidVersion", "Specified parameter Version is not valid (this server speaks %s).", Version)
		}
		if got := r.Header.Get("x-acs-content-sha256"); !strings.EqualFold(got, sha256hex(body)) {
			return nil, gatewayErr(400, "SignatureDoesNotMatch", "x-acs-content-sha256 is not the SHA-256 of the body.")
		}
		check = func(secret string) (bool, *apiError) {
			want, err := v3Signature(secret, r, a, query, body)
			if err != nil {
				return false, gatewayErr(400, "IncompleteSignature", "SignedHeaders must be sorted, lower-case, and cover %s (and content-type when there is a body).", strings.Join(v3Required, ";"))
			}
			return hmac.Equal([]byte(want), []byte(a.Signature)), nil
		}
	} else {
		if _, ok := query["Signature"]; !ok {
			return nil, missing("Signature")
		}
		for _, p := range []string{"AccessKeyId", "Action", "Version", "Timestamp", "SignatureNonce", "SignatureMethod", "SignatureVersion"} {
			if params[p] == "" {
				return nil, missing(p)
			}
		}
		if params["SignatureMethod"] != "HMAC-SHA1" || params["SignatureVersion"] != "1.0" {
			return nil, gatewayErr(400, "InvalidParameter", "SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0 (or sign with %s).", Algorithm)
		}
		if params["Version"] != Version {
			return nil, gatewayErr(400, "InvalidVersion", "Specified parameter Version is not valid (this server speaks %s).", Version)
		}
		keyID, ts, nonce, c.action = params["AccessKeyId"], params["Timestamp"], params["SignatureNonce"], params["Action"]
		check = func(secret string) (bool, *apiError) {
			want := v1Signature(secret, r.Method, params)
			return hmac.Equal([]byte(want), []byte(params["Signature"])), nil
		}
	}
	if nonce == "" || len(nonce) > 128 {
		return nil, missing("SignatureNonce")
	}
	t, fresh, ok := checkTime(ts, h.now())
	if !ok {
		return nil, gatewayErr(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted (ISO 8601 UTC, e.g. 2006-01-02T15:04:05Z).")
	}
	if !fresh {
		return nil, gatewayErr(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired (it must be within 15 minutes of the server time, %s).", h.now().UTC().Format(timeLayout))
	}
	appID, ok := h.Keys.AppOf(keyID)
	if !ok {
		return nil, gatewayErr(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found (faceprint app alibaba-credentials APP_ID shows an app's).")
	}
	app, err := h.Store.GetApp(r.Context(), appID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, gatewayErr(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	if err != nil {
		return nil, gatewayErr(500, "InternalError", "app lookup: %v", err)
	}
	if app.Disabled {
		return nil, gatewayErr(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
	}
	_, secret := h.Keys.Credentials(app.ID, app.Generation)
	good, aerr := check(secret)
	if aerr != nil {
		return nil, aerr
	}
	if !good {
		return nil, gatewayErr(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation (check the AccessKeySecret; it changes when the app's secret is rotated).")
	}
	if h.Allow != nil && !h.Allow(app) {
		return nil, gatewayErr(400, "Throttling.User", "Request was denied due to user flow control.")
	}
	// A nonce is good once per app within the timestamp window: a captured
	// request cannot be replayed (for InitFaceVerify that would hand its
	// verification link to whoever replays it). The value is random: the
	// store recognises its own row by value, and a replay has the same key.
	mark := make([]byte, 16)
	_, _ = rand.Read(mark)
	switch err := h.Store.PutKV(r.Context(), nonceNS, app.ID+"/"+nonce, mark, t.Add(MaxSkew+time.Minute)); {
	case errors.Is(err, store.ErrConflict):
		return nil, gatewayErr(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
	case err != nil:
		return nil, gatewayErr(500, "InternalError", "nonce check: %v", err)
	}
	c.app = app
	return c, nil
}
