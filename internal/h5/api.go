package h5

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

// call is an authenticated API request: the token, and the cookie binding
// that proved this browser opened the link.
type call struct {
	token string
	key   string // token hash: buffers and limiters are keyed by it, never by the token
	b     binding
}

type apiFunc func(w http.ResponseWriter, r *http.Request, c call)

// api wraps an endpoint: per-address limit, same-origin fetch, token +
// cookie + CSRF header, per-token limit, one active browser (takeover.go).
func (h *Handler) api(fn apiFunc) http.HandlerFunc { return h.apiFor(false, fn) }

// apiMove wraps an endpoint that moves the flow on: its caller becomes the
// session's active browser.
func (h *Handler) apiMove(fn apiFunc) http.HandlerFunc { return h.apiFor(true, fn) }

func (h *Handler) apiFor(claim bool, fn apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := h.now()
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if !h.limits.allowIP(h.clientIP(r), now) {
			writeErr(w, http.StatusTooManyRequests, "busy")
			return
		}
		if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" {
			writeErr(w, http.StatusForbidden, "forbidden")
			return
		}
		token := r.Header.Get(headerToken)
		if token == "" || len(token) > 128 {
			writeErr(w, http.StatusUnauthorized, "token_invalid")
			return
		}
		b, ok := h.readBinding(r, token)
		if !ok || !h.checkCSRF(r, b) {
			writeErr(w, http.StatusForbidden, "forbidden")
			return
		}
		if !h.limits.allowToken(b.TokenHash, now) {
			writeErr(w, http.StatusTooManyRequests, "busy")
			return
		}
		if !h.devices.use(b.TokenHash, b.Nonce, claim, now) {
			// Another browser holds the session and is active.
			writeErr(w, http.StatusConflict, "session_elsewhere")
			return
		}
		fn(w, r, call{token: token, key: b.TokenHash, b: b})
	}
}

var defaults = plan.Defaults()

// clientView is the part of a session the page may see.
type clientView struct {
	Step         string     `json:"step"`
	State        string     `json:"state,omitempty"`
	Plan         clientPlan `json:"plan"`
	AttemptsLeft int        `json:"attempts_left"`
	Passed       bool       `json:"passed"`
	Reason       string     `json:"reason,omitempty"`
	Name         string     `json:"name,omitempty"`
	IDNumber     string     `json:"id_number,omitempty"`
	Redirect     string     `json:"redirect,omitempty"`
	// RetryFutile: the last attempt failed in a way another try cannot
	// change (see retryFutile); the page ends the flow instead of offering one.
	RetryFutile bool `json:"retry_futile,omitempty"`
	// Leave is where the start screen's way out leads (the failed address).
	Leave     string `json:"leave,omitempty"`
	ExpiresIn int64  `json:"expires_in,omitempty"` // seconds
}

// retryFutile reports a failed attempt that a new try cannot turn into a
// pass: a live face of good quality (the quality gates fail earlier as
// face_quality) that does not match a fixed reference. The reference does not
// change between attempts, so the page says so rather than burning the
// user's remaining tries on the same comparison. The server still counts the
// attempts as it always does; this only changes what the page offers.
func retryFutile(v View) bool {
	return !v.Passed && v.Step != StepDone && v.Reason == "face_mismatch" &&
		v.Plan.CompareSource != "" && v.Plan.CompareSource != plan.CompareNone
}

type clientPlan struct {
	Title              string `json:"title"`
	ShowTitleBar       bool   `json:"show_title_bar"`
	ConsentText        string `json:"consent_text"`
	Language           string `json:"language"`
	IdentityInput      string `json:"identity_input"`
	CardSides          string `json:"card_sides"`
	LivenessMode       string `json:"liveness_mode"`
	AllowNoFlash       bool   `json:"allow_no_flash"`
	AllowVideoFallback bool   `json:"allow_video_fallback"`
	// CompareSource names what the live face is compared with (idcard,
	// uploaded, registry, authority, none), so a mismatch can say which photo.
	CompareSource string `json:"compare_source"`
	// The defaults are Chinese; the page shows its own translation of them.
	DefaultTitle   bool `json:"default_title"`
	DefaultConsent bool `json:"default_consent"`
}

func (h *Handler) clientView(v View, b binding) clientView {
	p := v.Plan
	cv := clientView{
		Step: v.Step, State: v.State, AttemptsLeft: v.AttemptsLeft, Passed: v.Passed, Reason: v.Reason,
		Plan: clientPlan{
			Title: p.Title, ShowTitleBar: p.ShowTitleBar, ConsentText: p.ConsentText, Language: p.Language,
			IdentityInput: p.IdentityInput, CardSides: p.CardSides, LivenessMode: p.LivenessMode,
			AllowNoFlash: p.AllowNoFlash, AllowVideoFallback: p.AllowVideoFallback, CompareSource: p.CompareSource,
			DefaultTitle: p.Title == "" || p.Title == defaults.Title, DefaultConsent: p.ConsentText == "" || p.ConsentText == defaults.ConsentText,
		},
	}
	if !v.ExpiresAt.IsZero() {
		cv.ExpiresIn = max(0, int64(v.ExpiresAt.Sub(h.now())/time.Second))
	}
	// Identity data goes to the page only to prefill the confirm screen.
	if v.Step == StepConfirm {
		cv.Name, cv.IDNumber = v.Name, v.IDNumber
	}
	switch {
	case v.Step == StepConsent:
		// Before starting, the way out is the failed address: a device that
		// cannot complete the plan offers it (see the hand-off).
		cv.Leave = redirectFor(View{FailedURL: v.FailedURL}, b)
	case v.Step == StepDone:
		cv.Redirect = redirectFor(v, b)
	case retryFutile(v):
		// The page ends the flow here, so it needs the way back now.
		cv.RetryFutile = true
		cv.Redirect = redirectFor(v, b)
	}
	return cv
}

// redirectFor: the link's successUrl/failedUrl (checked against the plan's
// allow-list at entry), else the token's redirect_config.
func redirectFor(v View, b binding) string {
	if v.Passed {
		if b.Success != "" {
			return b.Success
		}
		return safeURL(v.SuccessURL)
	}
	if b.Failed != "" {
		return b.Failed
	}
	return safeURL(v.FailedURL)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

// serviceErr maps verify errors to API errors the page understands.
func (h *Handler) serviceErr(w http.ResponseWriter, r *http.Request, c call, op string, err error) {
	switch {
	case errors.Is(err, verify.ErrTokenInvalid):
		exit := ""
		var te *TokenError
		if errors.As(err, &te) {
			exit = redirectFor(View{FailedURL: te.FailedURL}, c.b)
		}
		writeJSON(w, http.StatusGone, map[string]string{"error": "token_invalid", "redirect": exit})
	case errors.Is(err, verify.ErrInvalidIdentity):
		writeErr(w, http.StatusUnprocessableEntity, "invalid_identity")
	case errors.Is(err, verify.ErrInvalidInput):
		writeErr(w, http.StatusUnprocessableEntity, "invalid_input")
	case errors.Is(err, verify.ErrWrongState):
		// The page is behind the session (another tab, a double tap): it reloads the state.
		writeErr(w, http.StatusConflict, "wrong_state")
	case errors.Is(err, verify.ErrNotReady):
		// Opened before the business called idcard/submit: retryable, with its own words.
		writeErr(w, http.StatusServiceUnavailable, "not_ready")
	case errors.Is(err, verify.ErrBusy):
		writeErr(w, http.StatusServiceUnavailable, "busy")
	case errors.Is(err, verify.ErrEngine):
		h.log.Error("h5 api: engine unavailable", "op", op, "err", err)
		writeErr(w, http.StatusServiceUnavailable, "unavailable")
	case errors.Is(err, context.Canceled):
		writeErr(w, 499, "canceled")
	default:
		h.log.Error("h5 api", "op", op, "err", err)
		writeErr(w, http.StatusInternalServerError, "server_error")
	}
}

// readJSON decodes a small JSON body strictly.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request")
		return false
	}
	return true
}

// readBody reads at most limit bytes; a larger body is answered 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, http.StatusRequestEntityTooLarge, "too_large")
		} else {
			writeErr(w, http.StatusBadRequest, "bad_request")
		}
		return nil, false
	}
	return b, true
}

func isImage(b []byte) bool {
	return bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) || bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) ||
		(len(b) > 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP")
}

func (h *Handler) apiState(w http.ResponseWriter, r *http.Request, c call) {
	v, err := h.cfg.Verify.Open(r.Context(), c.token)
	var te *TokenError
	if errors.As(err, &te) && v.Step == StepDone {
		err = nil // a finished session: the page shows its result
	}
	if err != nil {
		h.serviceErr(w, r, c, "state", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"view": h.clientView(v, c.b)})
}

func (h *Handler) apiStart(w http.ResponseWriter, r *http.Request, c call) {
	// The consent record wants the page's path (the Referer; verify drops its
	// query, which holds the token). An optional method keeps the Verify
	// interface, and its fakes, unchanged.
	var v verify.View
	var err error
	if vc, ok := h.cfg.Verify.(interface {
		StartWithConsent(context.Context, string, verify.Consent) (verify.View, error)
	}); ok {
		v, err = vc.StartWithConsent(r.Context(), c.token, verify.Consent{PagePath: r.Referer()})
	} else {
		v, err = h.cfg.Verify.Start(r.Context(), c.token)
	}
	if err != nil {
		h.serviceErr(w, r, c, "start", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"view": h.clientView(v, c.b)})
}

var reasonRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

func clip(s string, n int) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (h *Handler) apiDiagnostics(w http.ResponseWriter, r *http.Request, c call) {
	var in struct {
		Reason       string  `json:"reason"`
		Camera       string  `json:"camera"`
		GetUserMedia bool    `json:"get_user_media"`
		Width        int     `json:"width"`
		Height       int     `json:"height"`
		FPS          float64 `json:"fps"`
		WebView      string  `json:"webview"`
		Fallback     string  `json:"fallback"`
	}
	if !readJSON(w, r, 8<<10, &in) {
		return
	}
	d := Diagnostics{
		Reason: in.Reason, Camera: clip(in.Camera, 40), GetUserMedia: in.GetUserMedia,
		Width: clampInt(in.Width, 0, 16384), Height: clampInt(in.Height, 0, 16384),
		FPS: max(0, min(in.FPS, 1000)), WebView: clip(in.WebView, 40), Fallback: clip(in.Fallback, 40),
		UserAgent: clip(r.UserAgent(), 512), // the header, not what the page claims
	}
	if !reasonRe.MatchString(d.Reason) {
		d.Reason = "other"
	}
	if err := h.cfg.Verify.RecordDiagnostics(r.Context(), c.token, d); err != nil {
		h.serviceErr(w, r, c, "diagnostics", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

func (h *Handler) apiCard(w http.ResponseWriter, r *http.Request, c call) {
	side := verify.CardSide(r.URL.Query().Get("side"))
	if side != verify.SideFront && side != verify.SideBack {
		writeErr(w, http.StatusBadRequest, "bad_request")
		return
	}
	img, ok := readBody(w, r, h.cfg.Limits.CardBytes)
	if !ok {
		return
	}
	if !isImage(img) {
		writeErr(w, http.StatusUnsupportedMediaType, "bad_image")
		return
	}
	res, v, err := h.cfg.Verify.SubmitCard(r.Context(), c.token, side, img)
	if err != nil {
		h.serviceErr(w, r, c, "card", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"accepted": res.Accepted, "reason": res.Reason, "view": h.clientView(v, c.b),
	})
}

func (h *Handler) apiConfirm(w http.ResponseWriter, r *http.Request, c call) {
	var in struct {
		Name     string `json:"name"`
		IDNumber string `json:"id_number"`
	}
	if !readJSON(w, r, 4<<10, &in) {
		return
	}
	name, num := clip(in.Name, 90), strings.ToUpper(clip(in.IDNumber, 32))
	if name == "" || num == "" {
		writeErr(w, http.StatusUnprocessableEntity, "invalid_identity")
		return
	}
	v, err := h.cfg.Verify.ConfirmIdentity(r.Context(), c.token, name, num)
	if err != nil {
		h.serviceErr(w, r, c, "confirm", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"view": h.clientView(v, c.b)})
}

// publicCapture is the part of the challenge's public JSON that bounds uploads.
type publicCapture struct {
	Capture struct {
		MaxFrames int   `json:"max_frames"`
		MaxMillis int64 `json:"max_ms"`
	} `json:"capture"`
}

func (h *Handler) apiChallenge(w http.ResponseWriter, r *http.Request, c call) {
	var in struct {
		NoFlash bool `json:"no_flash"`
	}
	if !readJSON(w, r, 1<<10, &in) {
		return
	}
	ch, v, err := h.cfg.Verify.IssueChallenge(r.Context(), c.token, in.NoFlash)
	if err != nil {
		h.serviceErr(w, r, c, "challenge", err)
		return
	}
	var pc publicCapture
	json.Unmarshal(ch.Public, &pc) // zero limits fall back to the handler's
	h.uploads.begin(c.key, ch.ID, pc.Capture.MaxFrames, pc.Capture.MaxMillis, h.now())
	writeJSON(w, http.StatusOK, map[string]any{
		"challenge": map[string]any{"id": ch.ID, "public": ch.Public}, "view": h.clientView(v, c.b),
	})
}

func uploadErr(w http.ResponseWriter, err error, received int64) {
	switch {
	case errors.Is(err, errNoChallenge):
		writeErr(w, http.StatusConflict, "no_challenge")
	case errors.Is(err, errBusy):
		writeErr(w, http.StatusServiceUnavailable, "busy")
	case errors.Is(err, errTooLarge):
		writeErr(w, http.StatusRequestEntityTooLarge, "too_large")
	case errors.Is(err, errGap):
		writeJSON(w, http.StatusConflict, map[string]any{"error": "gap", "received": received})
	default:
		writeErr(w, http.StatusBadRequest, "bad_request")
	}
}

func (h *Handler) apiFrame(w http.ResponseWriter, r *http.Request, c call) {
	q := r.URL.Query()
	index, err1 := strconv.Atoi(q.Get("index"))
	at, err2 := strconv.ParseInt(q.Get("at"), 10, 64)
	if err1 != nil || err2 != nil {
		writeErr(w, http.StatusBadRequest, "bad_request")
		return
	}
	img, ok := readBody(w, r, h.cfg.Limits.FrameBytes)
	if !ok {
		return
	}
	if !isImage(img) {
		writeErr(w, http.StatusUnsupportedMediaType, "bad_image")
		return
	}
	if err := h.uploads.putFrame(c.key, q.Get("challenge"), index, at, img, h.now()); err != nil {
		uploadErr(w, err, 0)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "index": index})
}

func (h *Handler) apiVideo(w http.ResponseWriter, r *http.Request, c call) {
	q := r.URL.Query()
	offset, err := strconv.ParseInt(q.Get("offset"), 10, 64)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request")
		return
	}
	chunk, ok := readBody(w, r, h.cfg.Limits.VideoChunk)
	if !ok {
		return
	}
	n, err := h.uploads.putVideo(c.key, q.Get("challenge"), offset, chunk, h.now())
	if err != nil {
		uploadErr(w, err, n)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "received": n})
}

var videoTypes = map[string]bool{"video/webm": true, "video/mp4": true, "video/quicktime": true, "video/3gpp": true}

func (h *Handler) apiCapture(w http.ResponseWriter, r *http.Request, c call) {
	var in struct {
		Challenge  string `json:"challenge"`
		Frames     int    `json:"frames"`
		VideoType  string `json:"video_type"`
		VideoBytes int64  `json:"video_bytes"`
	}
	if !readJSON(w, r, 1<<10, &in) {
		return
	}
	now := h.now()
	if in.Frames > 0 {
		if in.Frames > h.cfg.Limits.Frames {
			writeErr(w, http.StatusBadRequest, "bad_request")
			return
		}
		miss, err := h.uploads.missingFrames(c.key, in.Challenge, in.Frames)
		if err != nil {
			uploadErr(w, err, 0)
			return
		}
		if len(miss) > 0 {
			writeJSON(w, http.StatusConflict, map[string]any{"error": "missing_frames", "missing": miss})
			return
		}
	}
	capt, issued, err := h.uploads.snapshot(c.key, in.Challenge, in.Frames)
	if err != nil {
		uploadErr(w, err, 0)
		return
	}
	switch {
	case in.Frames > 0:
		capt.Video = nil
		// Frame times come from the page; they must be ordered and cannot
		// span more time than has passed on the server since the challenge.
		var last int64
		for _, f := range capt.Frames {
			if f.AtMillis < last {
				writeErr(w, http.StatusBadRequest, "bad_timing")
				return
			}
			last = f.AtMillis
		}
		if time.Duration(last)*time.Millisecond > now.Sub(issued)+1500*time.Millisecond {
			writeErr(w, http.StatusBadRequest, "bad_timing")
			return
		}
	case in.VideoBytes > 0:
		if !videoTypes[in.VideoType] || int64(len(capt.Video)) != in.VideoBytes {
			writeErr(w, http.StatusBadRequest, "bad_request")
			return
		}
		capt.VideoType = in.VideoType
	default:
		writeErr(w, http.StatusBadRequest, "bad_request")
		return
	}
	d, v, err := h.cfg.Verify.SubmitCapture(r.Context(), c.token, in.Challenge, capt)
	if err != nil {
		h.serviceErr(w, r, c, "capture", err)
		return
	}
	h.uploads.drop(c.key)
	writeJSON(w, http.StatusOK, map[string]any{
		"decision": map[string]any{"passed": d.Passed, "final": d.Final, "reason": d.Reason, "attempts_left": d.AttemptsLeft},
		"view":     h.clientView(v, c.b),
	})
}

// apiPing is the page's heartbeat while it is visible: the wrapper records
// the browser as active (takeover.go); there is nothing else to do.
func (h *Handler) apiPing(w http.ResponseWriter, r *http.Request, c call) {
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
