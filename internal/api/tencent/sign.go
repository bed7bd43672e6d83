package tencent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signature method this wire accepts (the SDKs'
// default; the legacy HmacSHA1/HmacSHA256 query signing is not offered).
const Algorithm = "TC3-HMAC-SHA256"

// Service is the product name in the TC3 credential scope.
const Service = "faceid"

// MaxSkew is the timestamp window, as Tencent documents it (5 minutes).
const MaxSkew = 5 * time.Minute

// authorization is a parsed TC3 Authorization header.
type authorization struct {
	SecretID      string
	Date          string // credential scope date, UTC yyyy-mm-dd
	Service       string
	SignedHeaders []string
	Signature     string // 64 lower-case hex digits
}

// errMalformed: the header is not TC3 (AuthFailure.InvalidAuthorization).
var errMalformed = errors.New("malformed TC3 Authorization header")

// parseAuthorization reads
// "TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=HEX".
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	if len(h) > 1024 {
		return a, errMalformed
	}
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != Algorithm {
		return a, errMalformed
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, errMalformed
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 4 || f[3] != "tc3_request" {
				return a, errMalformed
			}
			a.SecretID, a.Date, a.Service = f[0], f[1], f[2]
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = v
		}
	}
	if a.SecretID == "" || len(a.SignedHeaders) == 0 || len(a.SignedHeaders) > 16 || len(a.Signature) != 64 {
		return a, errMalformed
	}
	return a, nil
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// canonicalHeaders builds TC3's "name:value\n" list of the signed headers
// (both lower-cased and trimmed); Host is the request's host.
func canonicalHeaders(r *http.Request, signed []string) (string, error) {
	var b strings.Builder
	hasHost, hasType := false, false
	for _, name := range signed {
		name = strings.ToLower(strings.TrimSpace(name))
		var v string
		switch name {
		case "host":
			v, hasHost = r.Host, true
		case "content-type":
			v, hasType = r.Header.Get("Content-Type"), true
		default:
			v = r.Header.Get(name)
		}
		fmt.Fprintf(&b, "%s:%s\n", name, strings.ToLower(strings.TrimSpace(v)))
	}
	// Tencent requires both: without host a signature could be replayed
	// against another endpoint, without content-type the body's reading.
	if !hasHost || !hasType {
		return "", errMalformed
	}
	return b.String(), nil
}

// signature computes the TC3 signature of a POST request with body.
func signature(secretKey string, r *http.Request, a authorization, timestamp string, body []byte) (string, error) {
	headers, err := canonicalHeaders(r, a.SignedHeaders)
	if err != nil {
		return "", err
	}
	payloadHash := sha256hex(body)
	if r.Header.Get("X-TC-Content-SHA256") == "UNSIGNED-PAYLOAD" {
		payloadHash = sha256hex([]byte("UNSIGNED-PAYLOAD"))
	}
	// For POST the canonical URI is "/" and the query string empty (TC3 spec).
	canonical := strings.Join([]string{r.Method, "/", "", headers, strings.Join(a.SignedHeaders, ";"), payloadHash}, "\n")
	scope := a.Date + "/" + a.Service + "/tc3_request"
	toSign := strings.Join([]string{Algorithm, timestamp, scope, sha256hex([]byte(canonical))}, "\n")
	k := hmacSHA256([]byte("TC3"+secretKey), a.Date)
	k = hmacSHA256(k, a.Service)
	k = hmacSHA256(k, "tc3_request")
	return hex.EncodeToString(hmacSHA256(k, toSign)), nil
}

// checkTimestamp parses X-TC-Timestamp and checks the window and that the
// credential scope's date is that timestamp's UTC date.
func checkTimestamp(ts string, a authorization, now time.Time) (bool, error) {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 12 {
		return false, errMalformed
	}
	t := time.Unix(sec, 0).UTC()
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return false, nil
	}
	if t.Format("2006-01-02") != a.Date {
		return false, errMalformed
	}
	return true, nil
}
