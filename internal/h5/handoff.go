package h5

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"rsc.io/qr"
)

// Hand-off to another device: when this device cannot complete the plan (no
// camera and no video fallback), the start screen offers the same link as a
// QR code to open on a phone that can. The code is drawn here, server-side,
// so the page needs no QR library and the link it encodes is the one the
// server would accept (the entry page with the token and the return
// addresses this browser was given). Until the user starts, any browser may
// open the link (see entry), so the other device simply begins there.

// handoffURL is the entry link for this session as this browser reached it.
func (h *Handler) handoffURL(r *http.Request, c call) string {
	scheme := "http"
	if r.TLS != nil || (h.cfg.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https") {
		scheme = "https"
	}
	q := url.Values{"token": {c.token}}
	if c.b.Success != "" {
		q.Set("successUrl", c.b.Success)
	}
	if c.b.Failed != "" {
		q.Set("failedUrl", c.b.Failed)
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: Base, RawQuery: q.Encode()}
	return u.String()
}

func (h *Handler) apiHandoff(w http.ResponseWriter, r *http.Request, c call) {
	v, err := h.cfg.Verify.Open(r.Context(), c.token)
	if err != nil {
		h.serviceErr(w, r, c, "handoff", err)
		return
	}
	if v.Step != StepConsent {
		// Once started, the session is bound to this browser: a link for
		// another device would only show "in progress elsewhere".
		writeErr(w, http.StatusConflict, "wrong_state")
		return
	}
	svg, err := qrSVG(h.handoffURL(r, c))
	if err != nil {
		h.log.Error("h5 handoff: QR code", "err", err)
		writeErr(w, http.StatusInternalServerError, "server_error")
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write([]byte(svg))
}

// qrSVG draws text as a QR code (error correction M: survives a smudged or
// reflective screen) in an SVG of black runs on white, 4 modules of quiet
// zone as the standard asks, scaled by the page.
func qrSVG(text string) (string, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", err
	}
	const quiet = 4
	n := code.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			start := x
			for x < code.Size && code.Black(x, y) {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start+quiet, y+quiet, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}
