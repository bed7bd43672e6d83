// Package authority resolves reference faces for identity verification: the
// local enrolment registry, HTTP gateways to external authorities (a signed
// JSON protocol, docs/authority-protocol.md) and upstream Baidu-compatible
// servers (person/verify). Resolver routes a verify.ReferenceRequest to the
// right one and maps every failure to its Baidu error code.
package authority

import (
	"context"
	"errors"
	"fmt"
	"github.com/faceprint/faceprint/internal/idnumber"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

// Baidu error codes of authority lookups (wire-reference §2.2).
const (
	CodeNoPhoto       = 222350 // 公安网图片不存在或质量过低
	CodeMismatch      = 222351 // 身份证号与姓名不匹配或该身份证号不存在
	CodeNameFormat    = 222352 // 身份证名字格式错误
	CodeNumberFormat  = 222353 // 身份证号码格式错误
	CodeNumberUnknown = 222354 // 公安库里不存在此身份证号
	CodeNoPhotoOnFile = 222355 // 身份证号码正确，公安库里没有对应的照片
	CodeInvalid       = 222360 // 身份证号码或名字非法
	CodeUnavailable   = 222361 // 系统繁忙 (authority connection failed)
)

// Authority answers reference lookups for one source.
type Authority interface {
	Reference(ctx context.Context, req verify.ReferenceRequest) (verify.Reference, error)
}

// ErrUnknownAuthority is returned for a plan naming an authority that is not configured.
var ErrUnknownAuthority = errors.New("authority: not configured")

type ctxKey struct{}

// WithAppID puts the calling app's ID in ctx for callers that cannot set
// verify.ReferenceRequest.AppID. An empty appID leaves ctx as it is: a
// wrapper that copies an unset request field into the context must not erase
// the app an outer layer already put there (that bug made every registry
// lookup of person/verify answer 222361).
func WithAppID(ctx context.Context, appID string) context.Context {
	if appID == "" {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, appID)
}

// AppID returns the app ID set by WithAppID.
func AppID(ctx context.Context) string {
	s, _ := ctx.Value(ctxKey{}).(string)
	return s
}

// Resolver implements verify.References: the registry for
// plan.CompareRegistry, the named authority for plan.CompareAuthority.
type Resolver struct {
	Registry    Authority            // nil: registry lookups answer 222361
	Authorities map[string]Authority // by the plan's authority name
	// Default names the authority of requests without one (the REST
	// person/verify API has no plan). Unset: the only configured authority,
	// else the registry.
	Default string
}

// defaultAuthority picks the authority for a request that names none.
func (r *Resolver) defaultAuthority() (Authority, string) {
	if r.Default != "" {
		return r.Authorities[r.Default], r.Default
	}
	if len(r.Authorities) == 1 {
		for name, a := range r.Authorities {
			return a, name
		}
	}
	return r.Registry, "registry"
}

// Reference validates the name and number, then asks the source.
func (r *Resolver) Reference(ctx context.Context, req verify.ReferenceRequest) (verify.Reference, error) {
	if code := CheckIdentity(req.Name, req.IDNumber); code != 0 {
		return verify.Reference{ErrorCode: code, Source: req.Source}, nil
	}
	req.IDNumber = NormalizeIDNumber(req.IDNumber)
	req.Name = NormalizeName(req.Name)
	var a Authority
	switch req.Source {
	case plan.CompareRegistry:
		a = r.Registry
		if a == nil {
			return verify.Reference{ErrorCode: CodeUnavailable, Source: "registry"}, nil
		}
	case plan.CompareAuthority:
		name := req.Authority
		if name == "" {
			a, name = r.defaultAuthority()
		} else {
			a = r.Authorities[name]
		}
		if a == nil {
			return verify.Reference{ErrorCode: CodeUnavailable, Source: name}, fmt.Errorf("%w: %q", ErrUnknownAuthority, name)
		}
	default:
		return verify.Reference{}, fmt.Errorf("authority: source %q has no authority", req.Source)
	}
	ref, err := a.Reference(ctx, req)
	if err != nil {
		return verify.Reference{ErrorCode: CodeUnavailable, Source: req.Source}, err
	}
	return ref, nil
}

// NormalizeIDNumber trims spaces and upper-cases the check character.
func NormalizeIDNumber(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// NormalizeName trims spaces and unifies the middle dots of minority and
// foreign names (· • ・ ‧ ･ all become ·).
func NormalizeName(s string) string {
	s = strings.TrimSpace(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case '•', '・', '‧', '･', '.', '∙':
			return '·'
		case ' ', '\u3000':
			return -1
		}
		return r
	}, s)
}

// CheckIdentity returns 222352 for a malformed name, 222353 for a malformed
// resident ID number (18 characters with a valid ISO 7064 check digit), else 0.
func CheckIdentity(name, idNumber string) int {
	n := NormalizeName(name)
	if n == "" || utf8.RuneCountInString(n) > 64 || strings.IndexFunc(n, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsDigit(r)
	}) >= 0 {
		return CodeNameFormat
	}
	if !ValidIDNumber(idNumber) {
		return CodeNumberFormat
	}
	return 0
}

// ValidIDNumber checks an 18-character resident ID number's form and check digit.
func ValidIDNumber(s string) bool { return idnumber.Valid(NormalizeIDNumber(s)) }
