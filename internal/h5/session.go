package h5

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// A browser session is bound to one verify token by a signed, HttpOnly cookie
// set when the entry page is opened. The cookie carries a random nonce; the
// page gets the CSRF token HMAC(secret, nonce) in a meta tag and echoes it in
// the X-FP-CSRF header. A request needs the token, the cookie and the header,
// so another device holding only the link cannot continue a started session,
// and another site cannot make the browser call the API.

const (
	headerToken = "X-FP-Token"
	headerCSRF  = "X-FP-CSRF"
	maxURLBytes = 1500 // keeps the cookie under browsers' 4 KB limit
)

// binding is the signed cookie payload.
type binding struct {
	TokenHash string `json:"h"`
	Nonce     string `json:"n"`
	Success   string `json:"s,omitempty"` // successUrl from the entry link, already allowed by the plan
	Failed    string `json:"f,omitempty"`
	Expires   int64  `json:"e"`
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:12])
}

// cookieName is per token so two verifications in one browser do not clash.
func cookieName(token string) string { return "fp_" + tokenHash(token)[:12] }

func (h *Handler) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, h.secret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func (h *Handler) csrfFor(b binding) string {
	return base64.RawURLEncoding.EncodeToString(h.mac("csrf", b.TokenHash, b.Nonce))
}

func newNonce() string {
	b := make([]byte, 18)
	rand.Read(b) //nolint:errcheck
	return base64.RawURLEncoding.EncodeToString(b)
}

func (h *Handler) encodeBinding(b binding) string {
	payload, _ := json.Marshal(b)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(h.mac("cookie", p))
}

// readBinding returns the valid, unexpired binding of token from the request.
func (h *Handler) readBinding(r *http.Request, token string) (binding, bool) {
	c, err := r.Cookie(cookieName(token))
	if err != nil {
		return binding{}, false
	}
	p, sig, ok := strings.Cut(c.Value, ".")
	if !ok {
		return binding{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, h.mac("cookie", p)) {
		return binding{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return binding{}, false
	}
	var b binding
	if json.Unmarshal(raw, &b) != nil || b.TokenHash != tokenHash(token) || h.now().Unix() > b.Expires {
		return binding{}, false
	}
	return b, true
}

// setBinding writes the cookie. SameSite=Lax (not Strict) so that a reload
// after a cross-site entry still carries it; cross-site API calls are still
// refused because they cannot know the CSRF header value.
func (h *Handler) setBinding(w http.ResponseWriter, r *http.Request, token string, b binding) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName(token),
		Value:    h.encodeBinding(b),
		Path:     Base,
		Expires:  time.Unix(b.Expires, 0),
		HttpOnly: true,
		Secure:   r.TLS != nil || (h.cfg.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https"),
		SameSite: http.SameSiteLaxMode,
	})
}

// checkCSRF compares the header with the binding's CSRF token in constant time.
func (h *Handler) checkCSRF(r *http.Request, b binding) bool {
	got := r.Header.Get(headerCSRF)
	return got != "" && hmac.Equal([]byte(got), []byte(h.csrfFor(b)))
}
