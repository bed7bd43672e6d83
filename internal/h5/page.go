package h5

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

// pageData fills web/h5/page.html. The page is a shell: the scripts render
// every screen from the API state, and error screens from Error.
type pageData struct {
	Lang         string
	Title        string
	ShowTitleBar bool
	CSRF         string
	Static       string
	Screen       string // "app" or "error"
	Error        string // error code for Screen "error": token_invalid, redirect_refused, session_elsewhere, busy
	Exit         string // where the error screen's button leads (failed redirect), may be empty
}

// Error codes of server-rendered error screens.
const (
	pageTokenInvalid     = "token_invalid"
	pageRedirectRefused  = "redirect_refused"
	pageSessionElsewhere = "session_elsewhere"
	pageBusy             = "busy"
)

// sessionLifetime bounds the cookie when the view has no expiry.
const sessionLifetime = 2 * time.Hour

func (h *Handler) entry(w http.ResponseWriter, r *http.Request) {
	now := h.now()
	ip := h.clientIP(r)
	q := r.URL.Query()
	al := r.Header.Get("Accept-Language")
	if !h.limits.allowIP(ip, now) {
		h.errorPage(w, pickLang(q.Get("lang"), "", al), http.StatusTooManyRequests, pageBusy, "", nil)
		return
	}
	token := q.Get("token")
	if token == "" || len(token) > 128 {
		h.limits.allowBadToken(ip, now)
		h.errorPage(w, pickLang(q.Get("lang"), "", al), http.StatusBadRequest, pageTokenInvalid, "", nil)
		return
	}
	view, err := h.cfg.Verify.Open(r.Context(), token)
	if err != nil {
		if !errors.Is(err, verify.ErrTokenInvalid) {
			h.log.Error("h5 entry: open session", "err", err)
			h.errorPage(w, pickLang(q.Get("lang"), "", al), http.StatusServiceUnavailable, pageBusy, "", nil)
			return
		}
		if !h.limits.allowBadToken(ip, now) {
			h.errorPage(w, pickLang(q.Get("lang"), "", al), http.StatusTooManyRequests, pageBusy, "", nil)
			return
		}
		// Used, expired and finished sessions still know their plan and redirects.
		p := view.Options()
		lang, anc := pickLang(q.Get("lang"), view.Plan.Language, al), view.Plan.FrameAncestors
		exit := ""
		var te *TokenError
		if errors.As(err, &te) {
			exit = safeURL(te.FailedURL)
		}
		if view.Passed {
			exit = safeURL(view.SuccessURL)
			if s := q.Get("successUrl"); s != "" && p.RedirectAllowed(s) {
				exit = s
			}
		} else if f := q.Get("failedUrl"); f != "" && p.RedirectAllowed(f) {
			exit = f
		}
		h.errorPage(w, lang, http.StatusGone, pageTokenInvalid, exit, anc)
		return
	}
	p := view.Options()
	lang := pickLang(q.Get("lang"), view.Plan.Language, al)
	success, failed := q.Get("successUrl"), q.Get("failedUrl")
	for _, u := range []string{success, failed} {
		// The URLs the business gave in redirect_config are always fine to repeat in the link.
		if u != "" && u != view.SuccessURL && u != view.FailedURL && (len(u) > maxURLBytes || !p.RedirectAllowed(u)) {
			h.log.Warn("h5 entry: redirect URL refused", "origin", originOf(u))
			h.errorPage(w, lang, http.StatusBadRequest, pageRedirectRefused, "", view.Plan.FrameAncestors)
			return
		}
	}
	b, ok := h.readBinding(r, token)
	if !ok {
		// Any browser may open a fresh link; once the user has started,
		// only the browser holding the cookie may continue.
		b = binding{TokenHash: tokenHash(token), Nonce: newNonce()}
		if view.Step != StepConsent {
			if !h.mayTakeOver(r.Context(), token, now) {
				h.errorPage(w, lang, http.StatusForbidden, pageSessionElsewhere, "", view.Plan.FrameAncestors)
				return
			}
			// The browser that had the session has been idle long enough:
			// this one continues, the other is refused from now on.
			h.devices.take(b.TokenHash, b.Nonce, now)
			h.log.Info("h5 entry: session taken over by another browser", "step", view.Step)
		}
	}
	if success != "" {
		b.Success = success
	}
	if failed != "" {
		b.Failed = failed
	}
	exp := view.ExpiresAt
	if exp.IsZero() || exp.Sub(now) > sessionLifetime*2 {
		exp = now.Add(sessionLifetime)
	}
	b.Expires = exp.Unix()
	h.setBinding(w, r, token, b)
	h.render(w, http.StatusOK, view.Plan.FrameAncestors, pageData{
		Lang: lang, Title: titleOf(view.Plan.Title, lang), ShowTitleBar: view.Plan.ShowTitleBar,
		CSRF: h.csrfFor(b), Static: h.assets.prefix(), Screen: "app",
	})
}

func (h *Handler) errorPage(w http.ResponseWriter, lang string, status int, code, exit string, ancestors []string) {
	h.render(w, status, ancestors, pageData{
		Lang: lang, Title: titleOf("", lang), ShowTitleBar: true,
		Static: h.assets.prefix(), Screen: "error", Error: code, Exit: exit,
	})
}

func (h *Handler) render(w http.ResponseWriter, status int, ancestors []string, d pageData) {
	securityHeaders(w, ancestors)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := h.page.Execute(w, d); err != nil {
		h.log.Error("h5: render page", "err", err)
	}
}

// securityHeaders: a strict CSP (no inline script, nothing third-party),
// no referrer (the link carries the token), embedding only where the plan
// allows it.
func securityHeaders(w http.ResponseWriter, ancestors []string) {
	fa := make([]string, 0, len(ancestors))
	for _, a := range ancestors {
		if o, err := plan.ParseOrigin(a); err == nil {
			fa = append(fa, o)
		}
	}
	frame := "'none'"
	if len(fa) > 0 {
		frame = strings.Join(fa, " ")
	} else {
		w.Header().Set("X-Frame-Options", "DENY")
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "+
		"media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors "+frame+
		"; require-trusted-types-for 'script'")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=(), usb=()")
	hd.Set("Cache-Control", "no-store")
}

// pickLang: explicit ?lang, then the plan, then the browser; Chinese by default.
func pickLang(query, planLang, acceptLanguage string) string {
	for _, l := range []string{query, planLang} {
		if l == "zh" || l == "en" {
			return l
		}
	}
	first, _, _ := strings.Cut(acceptLanguage, ",")
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(first)), "en") {
		return "en"
	}
	return "zh"
}

func titleOf(title, lang string) string {
	if title != "" && (lang != "en" || title != plan.Defaults().Title) {
		return title
	}
	if lang == "en" {
		return "Identity verification"
	}
	return "实名认证"
}

// safeURL returns u when it is an absolute http(s) URL (a redirect the
// business configured server-side), else "".
func safeURL(u string) string {
	if u == "" || len(u) > 4096 {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil {
		return ""
	}
	return u
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// originOf is scheme://host of a URL, for logs (paths and queries may carry user data).
func originOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "unparsable"
	}
	return truncate(u.Scheme+"://"+u.Host, 100)
}
