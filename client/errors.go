package client

import (
	"errors"
	"fmt"
	"strconv"
)

// Gateway error codes ({"error_code","error_msg"}; wire-reference §1.4, §2.1).
const (
	CodeUnavailable         = 2      // Service temporarily unavailable (faceprint: models not installed)
	CodeRequestLimit        = 4      // Open api request limit reached
	CodeNoPermission        = 6      // No permission to access data
	CodeDailyLimit          = 17     // Open api daily request limit reached
	CodeQPSLimit            = 18     // Open api qps request limit reached
	CodeTotalLimit          = 19     // Open api total request limit reached
	CodeInvalidAccessToken  = 100    // Invalid parameter: access_token missing or malformed
	CodeAccessTokenInvalid  = 110    // Access token invalid or no longer valid
	CodeAccessTokenExpired  = 111    // Access token expired
	CodeInvalidParam        = 216100 // invalid param
	CodeImageFormat         = 216201 // image format error
	CodeRecognizeIDCard     = 216633 // recognize idcard error
	CodeFaceNotFound        = 222202 // pic not has face
	CodeSolutionBadRequest  = 283513 // 请求参数错误 (body is not JSON)
	CodeSolutionPlanMissing = 283435 // 方案不存在。Plan not exist.
	CodeSolutionBusy        = 283400 // 服务异常,请稍后再试
)

// Solution codes that Baidu does not document by number; these are the
// numbers faceprint answers (same 2834xx range, Baidu's message texts).
const (
	CodeVerifyTokenInvalid = 283414 // Token无效或者已过期
	CodeNotFinished        = 283415 // 认证未完成: the user has not finished the H5 flow
	CodeResultExpired      = 283416 // 认证结果已过期: past the retention window (3 days)
	CodeVerifyFailed       = 283417 // 认证未通过 (result/simple after a failed verification)
	CodeWrongState         = 283419 // 当前认证状态不允许此操作 (e.g. idcard/submit after the flow started)
)

// MessageVerifyTokenInvalid is the solution message for a verify_token that
// expired, was used up, or belongs to another app (wire-reference §2.3).
const MessageVerifyTokenInvalid = "Token无效或者已过期"

// APIError is a faceprint solution business error:
// {"success":false,"code":…,"message":…,"log_id":"…"} (HTTP 200).
type APIError struct {
	Code    int
	Message string
	LogID   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("faceprint: solution error %d: %s (log_id %s)", e.Code, e.Message, e.LogID)
}

// RESTError is a gateway or REST API error: {"error_code":…,"error_msg":…}.
// Faceprint answers auth, rate-limit and component API failures this way.
type RESTError struct {
	Code  int
	Msg   string
	LogID uint64 // 0 when the server sent none
}

func (e *RESTError) Error() string {
	if e.LogID != 0 {
		return fmt.Sprintf("faceprint: error_code %d: %s (log_id %d)", e.Code, e.Msg, e.LogID)
	}
	return fmt.Sprintf("faceprint: error_code %d: %s", e.Code, e.Msg)
}

// OAuthError is a token endpoint error such as
// {"error":"invalid_client","error_description":"unknown client id"}.
type OAuthError struct {
	Status      int
	Code        string // invalid_client, unsupported_grant_type, …
	Description string
}

func (e *OAuthError) Error() string {
	return fmt.Sprintf("faceprint: oauth %s: %s (HTTP %d)", e.Code, e.Description, e.Status)
}

// HTTPError is a response the client could not read as any Baidu shape.
type HTTPError struct {
	Status int
	Body   string // the start of the body
	Err    error
}

func (e *HTTPError) Error() string {
	msg := "unexpected response"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return "faceprint: HTTP " + strconv.Itoa(e.Status) + ": " + msg + ": " + e.Body
}

func (e *HTTPError) Unwrap() error { return e.Err }

// ErrorCode returns the numeric code of an APIError or RESTError in err's
// chain, and false for anything else.
func ErrorCode(err error) (int, bool) {
	var a *APIError
	if errors.As(err, &a) {
		return a.Code, true
	}
	var r *RESTError
	if errors.As(err, &r) {
		return r.Code, true
	}
	return 0, false
}

// IsTokenInvalid reports whether the server refused the access_token
// (error_code 100, 110 or 111). The client already retried once with a
// fresh token before returning such an error.
func IsTokenInvalid(err error) bool {
	var r *RESTError
	return errors.As(err, &r) && (r.Code == CodeInvalidAccessToken || r.Code == CodeAccessTokenInvalid || r.Code == CodeAccessTokenExpired)
}

// IsBadCredentials reports whether the API Key or Secret Key was refused.
func IsBadCredentials(err error) bool {
	var o *OAuthError
	return errors.As(err, &o) && o.Code == "invalid_client"
}

// IsRateLimited reports a QPS, daily, total or cluster limit (4, 17, 18, 19).
func IsRateLimited(err error) bool {
	var r *RESTError
	if !errors.As(err, &r) {
		return false
	}
	switch r.Code {
	case CodeRequestLimit, CodeDailyLimit, CodeQPSLimit, CodeTotalLimit:
		return true
	}
	return false
}

// IsUnavailable reports error_code 2: faceprint answers it when the engine an
// API needs (models) is not installed.
func IsUnavailable(err error) bool {
	var r *RESTError
	return errors.As(err, &r) && r.Code == CodeUnavailable
}

// IsVerifyTokenInvalid reports a solution error saying the verify_token is
// unknown, expired, used up, or was issued to another app. Baidu's number for
// it is undocumented, so its message text counts too.
func IsVerifyTokenInvalid(err error) bool {
	var a *APIError
	return errors.As(err, &a) && (a.Code == CodeVerifyTokenInvalid || a.Message == MessageVerifyTokenInvalid)
}

// IsNotFinished reports that a result was asked for before the user finished.
func IsNotFinished(err error) bool { return isSolutionCode(err, CodeNotFinished) }

// IsVerifyFailed reports that the verification ended without passing.
func IsVerifyFailed(err error) bool { return isSolutionCode(err, CodeVerifyFailed) }

// IsResultExpired reports a result past its retention window.
func IsResultExpired(err error) bool { return isSolutionCode(err, CodeResultExpired) }

func isSolutionCode(err error, code int) bool {
	var a *APIError
	return errors.As(err, &a) && a.Code == code
}

// IsPlanNotFound reports that verifyToken/generate named an unknown plan.
func IsPlanNotFound(err error) bool {
	var a *APIError
	return errors.As(err, &a) && a.Code == CodeSolutionPlanMissing
}
