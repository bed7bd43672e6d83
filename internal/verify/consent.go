package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Consent is what the H5 page reports when the user accepts the consent text.
type Consent struct {
	Language string // the page's language; "" means the plan's
	PagePath string // the page's URL path; a query or fragment is dropped here (it holds the token)
	// ShownSHA256 is the hex SHA-256 of the text the page displayed, when the
	// page reports it (it may differ from the plan's text: a translated default).
	ShownSHA256 string
}

// ConsentRecord is the stored proof of consent, returned by result/getall
// (extension "consent") and shown in the console.
type ConsentRecord struct {
	// TextVersion pins the text: plan versions are immutable, so plan id and
	// version name exactly one consent_text.
	TextVersion string    `json:"text_version"`
	TextSHA256  string    `json:"text_sha256"`            // of the plan's consent_text
	ShownSHA256 string    `json:"shown_sha256,omitempty"` // as the page reported it
	At          time.Time `json:"at"`
	Language    string    `json:"language"`
	PagePath    string    `json:"page_path"`
}

var (
	langRe = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$`)
	hexRe  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func consentRecord(ss *session, c Consent, now time.Time) *ConsentRecord {
	h := sha256.Sum256([]byte(ss.plan.Options.ConsentText))
	r := &ConsentRecord{TextVersion: ss.plan.ID + "@v" + strconv.Itoa(ss.plan.Version), TextSHA256: hex.EncodeToString(h[:]),
		At: now, Language: ss.plan.Options.Language, PagePath: cleanPath(c.PagePath)}
	if langRe.MatchString(c.Language) {
		r.Language = c.Language
	}
	if sh := strings.ToLower(c.ShownSHA256); hexRe.MatchString(sh) {
		r.ShownSHA256 = sh
	}
	return r
}

// cleanPath keeps only the path of a page URL: the query carries the verify
// token and the business's redirect URLs, which a consent record must not hold.
func cleanPath(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if j := strings.Index(p, "://"); j >= 0 { // a whole URL: drop scheme and host
		p = p[j+3:]
		if k := strings.IndexByte(p, '/'); k >= 0 {
			p = p[k:]
		} else {
			p = "/"
		}
	}
	p = strings.ToValidUTF8(p, "")
	if len(p) > 200 {
		p = p[:200]
	}
	return p
}
