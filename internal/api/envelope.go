package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/faceprint/faceprint/internal/api/wire"
)

// REST error codes shared by every /rest/2.0 API (wire-reference §2.1).
const (
	CodeUnknown        = 1
	CodeUnavailable    = 2
	CodeUnsupported    = 3
	CodeNoPermission   = 6
	CodeIAMFailed      = 14 // an AK/SK (bce-auth-v1) signature that cannot be verified
	CodeQPSLimit       = 18
	CodeInvalidToken   = 100
	CodeTokenInvalid   = 110
	CodeTokenExpired   = 111
	CodeInvalidParam   = 216100
	CodeNotEnoughParam = 216101
	CodeEmptyImage     = 216200
	CodeImageFormat    = 216201
	CodeImageSize      = 216202
	CodeImageBase64    = 216203
	CodeInternal       = 282000
	CodeMissingParam   = 282003
)

var restMessages = map[int]string{
	CodeUnknown:        "Unknown error",
	CodeUnavailable:    "Service temporarily unavailable",
	CodeUnsupported:    "Unsupported openapi method",
	CodeNoPermission:   "No permission to access data",
	CodeIAMFailed:      "IAM Certification failed",
	CodeQPSLimit:       "Open api qps request limit reached",
	CodeInvalidToken:   "Invalid parameter",
	CodeTokenInvalid:   "Access token invalid or no longer valid",
	CodeTokenExpired:   "Access token expired",
	CodeInvalidParam:   "invalid param",
	CodeNotEnoughParam: "not enough param",
	CodeEmptyImage:     "empty image",
	CodeImageFormat:    "image format error",
	CodeImageSize:      "image size error",
	CodeImageBase64:    "image size error (base64 error)",
	CodeInternal:       "internal error",
	CodeMissingParam:   "missing parameters",
}

// RestMessage returns the documented error_msg for a REST error code.
func RestMessage(code int) string {
	if m, ok := restMessages[code]; ok {
		return m
	}
	return "Unknown error"
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// RestError is the REST error shape: {"error_code","error_msg","log_id"}.
// Face V3 errors also carry timestamp, cached and result:null; WriteRestFaceError adds them.
type RestError struct {
	ErrorCode int    `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	LogID     uint64 `json:"log_id"`
}

// WriteRestError answers a REST error with HTTP 200, as Baidu does.
func WriteRestError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if msg == "" {
		msg = RestMessage(code)
	}
	setCode(r, code)
	writeJSON(w, http.StatusOK, RestError{ErrorCode: code, ErrorMsg: msg, LogID: LogID(r)})
}

// faceEnvelope is the face V3 envelope, used for successes and errors alike.
type faceEnvelope struct {
	ErrorCode int    `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	LogID     uint64 `json:"log_id"`
	Timestamp int64  `json:"timestamp"`
	Cached    int    `json:"cached"`
	Result    any    `json:"result"`
}

// WriteFaceResult answers a face V3 success: error_code 0, SUCCESS, result.
func WriteFaceResult(w http.ResponseWriter, r *http.Request, now time.Time, result any) {
	writeJSON(w, http.StatusOK, faceEnvelope{ErrorMsg: "SUCCESS", LogID: LogID(r), Timestamp: now.Unix(), Result: result})
}

// WriteFaceError answers a face V3 error with result:null.
func WriteFaceError(w http.ResponseWriter, r *http.Request, now time.Time, code int, msg string) {
	if msg == "" {
		msg = RestMessage(code)
	}
	setCode(r, code)
	writeJSON(w, http.StatusOK, faceEnvelope{ErrorCode: code, ErrorMsg: msg, LogID: LogID(r), Timestamp: now.Unix()})
}

// solutionEnvelope is the faceprint solution envelope; log_id is a string here.
type solutionEnvelope struct {
	Success bool   `json:"success"`
	Result  any    `json:"result"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	LogID   string `json:"log_id"`
}

// writeSolution answers a faceprint RPC success.
func writeSolution(w http.ResponseWriter, r *http.Request, result any) {
	writeJSON(w, http.StatusOK, solutionEnvelope{Success: true, Result: result, LogID: strconv.FormatUint(LogID(r), 10)})
}

// writeSolutionError answers a faceprint RPC business error: HTTP 200, success:false.
func writeSolutionError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	setCode(r, code)
	writeJSON(w, http.StatusOK, solutionEnvelope{Success: false, Code: code, Message: msg, LogID: strconv.FormatUint(LogID(r), 10)})
}

// Body is a parsed request body: a JSON object, a JSON array or a form.
// Baidu's SDKs send JSON with a form Content-Type (and the reverse), so the
// body is sniffed, never trusted from the header.
type Body struct {
	Object map[string]json.RawMessage
	Array  []json.RawMessage
	Form   url.Values
	IsJSON bool
}

// ErrBodyTooLarge is returned when the body exceeds the limit.
var ErrBodyTooLarge = wire.ErrTooLarge

// errBadBody marks a body that is neither JSON nor a form.
var errBadBody = errors.New("request body is not JSON or a form")

// ReadBody reads and sniffs the request body, at most limit bytes.
func ReadBody(r *http.Request, limit int64) (Body, error) {
	data, err := wire.ReadBody(r, limit)
	if err != nil {
		return Body{}, err
	}
	return ParseBody(data)
}

// ParseBody sniffs data: '{' → object, '[' → array, otherwise a urlencoded form.
func ParseBody(data []byte) (Body, error) {
	t := bytes.TrimSpace(data)
	if len(t) == 0 {
		return Body{Form: url.Values{}}, nil
	}
	switch t[0] {
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(t, &m); err != nil {
			return Body{}, fmt.Errorf("%w: %v", errBadBody, err)
		}
		if m == nil {
			m = map[string]json.RawMessage{}
		}
		return Body{Object: m, IsJSON: true}, nil
	case '[':
		var a []json.RawMessage
		if err := json.Unmarshal(t, &a); err != nil {
			return Body{}, fmt.Errorf("%w: %v", errBadBody, err)
		}
		return Body{Array: a, IsJSON: true}, nil
	}
	f, err := url.ParseQuery(string(t))
	if err != nil {
		return Body{}, fmt.Errorf("%w: %v", errBadBody, err)
	}
	return Body{Form: f}, nil
}

// Has reports whether the field is present (JSON object or form).
func (b Body) Has(key string) bool {
	if b.Object != nil {
		_, ok := b.Object[key]
		return ok
	}
	return b.Form.Has(key)
}

// String returns a string field. JSON numbers and booleans are accepted and
// formatted; objects and arrays are a type error (ok=true, err!=nil).
func (b Body) String(key string) (string, bool, error) {
	if b.Object != nil {
		raw, ok := b.Object[key]
		if !ok || string(raw) == "null" {
			return "", false, nil
		}
		return jsonScalar(raw, key)
	}
	if !b.Form.Has(key) {
		return "", false, nil
	}
	return b.Form.Get(key), true, nil
}

// Raw returns the raw JSON of a field (nil for forms or missing fields).
func (b Body) Raw(key string) json.RawMessage {
	if b.Object == nil {
		return nil
	}
	return b.Object[key]
}

func jsonScalar(raw json.RawMessage, key string) (string, bool, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", true, fmt.Errorf("field %s: %w", key, err)
	}
	switch x := v.(type) {
	case string:
		return x, true, nil
	case float64:
		return string(bytes.TrimSpace(raw)), true, nil
	case bool:
		return strconv.FormatBool(x), true, nil
	default:
		return "", true, fmt.Errorf("field %s: must be a string or a number", key)
	}
}

// ObjectOf decodes element i of a JSON array body as an object body.
func (b Body) ObjectOf(i int) (Body, error) {
	if i >= len(b.Array) {
		return Body{}, fmt.Errorf("element %d missing", i)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b.Array[i], &m); err != nil || m == nil {
		return Body{}, fmt.Errorf("element %d is not an object", i)
	}
	return Body{Object: m, IsJSON: true}, nil
}
