package alibaba

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Algorithm is the V3 signature method (the SDKs' default).
const Algorithm = "ACS3-HMAC-SHA256"

// MaxSkew is the timestamp window. Alibaba documents 15 minutes for both
// signature versions (InvalidTimeStamp.Expired past it); the nonce is
// remembered that long.
const MaxSkew = 15 * time.Minute

// timeLayout is the ISO 8601 UTC form of x-acs-date and Timestamp.
const timeLayout = "2006-01-02T15:04:05Z"

var errMalformed = errors.New("malformed Alibaba Cloud signature")

// v3Auth is a parsed "ACS3-HMAC-SHA256 Credential=ID,SignedHeaders=a;b,Signature=HEX".
type v3Auth struct {
	AccessKeyID   string
	SignedHeaders []string
	Signature     string
}

func parseV3(h string) (v3Auth, error) {
	var a v3Auth
	if len(h) > 2048 {
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
			a.AccessKeyID = v
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = strings.ToLower(v)
		}
	}
	if a.AccessKeyID == "" || len(a.SignedHeaders) == 0 || len(a.SignedHeaders) > 32 || len(a.Signature) != 64 {
		return a, errMalformed
	}
	return a, nil
}

// percentEncode is Alibaba's encoding of names and values in both
// signatures: RFC 3986, only A–Z a–z 0–9 - _ . ~ left as they are (so
// space is %20 and * is %2A, unlike url.QueryEscape).
func percentEncode(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

// canonicalQuery sorts the parameters by name and joins name=value, both
// percent-encoded. Repeated names are refused by the caller (the SDKs send
// each once), so one value per name here.
func canonicalQuery(q map[string]string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = percentEncode(k) + "=" + percentEncode(q[k])
	}
	return strings.Join(parts, "&")
}

// v3Required are the headers a V3 signature must cover: without host a
// signature could be replayed against another endpoint, without the others
// the action, time, nonce or body could be swapped.
var v3Required = []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}

// canonicalHeaders builds "name:value\n" for the signed headers (lower-case
// names, trimmed values, repeated headers sorted and joined by commas, as
// the SDKs do).
func canonicalHeaders(r *http.Request, signed []string, hasBody bool) (string, error) {
	var b strings.Builder
	seen := map[string]bool{}
	for _, name := range signed {
		if name != strings.ToLower(strings.TrimSpace(name)) || name == "" || seen[name] {
			return "", errMalformed
		}
		seen[name] = true
		var v string
		if name == "host" {
			v = r.Host
		} else {
			vals := slices.Clone(r.Header.Values(name))
			for i := range vals {
				vals[i] = strings.TrimSpace(vals[i])
			}
			sort.Strings(vals)
			v = strings.Join(vals, ",")
		}
		b.WriteString(name + ":" + v + "\n")
	}
	for _, h := range v3Required {
		if !seen[h] {
			return "", errMalformed
		}
	}
	// A form body is read according to its Content-Type: it must be signed.
	if hasBody && !seen["content-type"] {
		return "", errMalformed
	}
	if !sort.StringsAreSorted(signed) {
		return "", errMalformed
	}
	return b.String(), nil
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// v3Signature computes the ACS3-HMAC-SHA256 signature of r (its query
// parameters in q, its body in body).
func v3Signature(secret string, r *http.Request, a v3Auth, q map[string]string, body []byte) (string, error) {
	headers, err := canonicalHeaders(r, a.SignedHeaders, len(body) > 0)
	if err != nil {
		return "", err
	}
	uri := r.URL.EscapedPath()
	if uri == "" {
		uri = "/"
	}
	canonical := strings.Join([]string{r.Method, uri, canonicalQuery(q), headers, strings.Join(a.SignedHeaders, ";"), sha256hex(body)}, "\n")
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(Algorithm + "\n" + sha256hex([]byte(canonical))))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// v1Signature is the legacy RPC signature (SignatureVersion 1.0,
// HMAC-SHA1): every parameter of the query and the form body but Signature,
// canonicalized, in METHOD&%2F&<encoded canonical query>, keyed by
// secret + "&", base64.
func v1Signature(secret, method string, params map[string]string) string {
	p := make(map[string]string, len(params))
	for k, v := range params {
		if k != "Signature" {
			p[k] = v
		}
	}
	toSign := method + "&" + percentEncode("/") + "&" + percentEncode(canonicalQuery(p))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// singleValues flattens url.Values, refusing repeated names (a repeat could
// make the signed and the acted-on value differ).
func singleValues(v url.Values, into map[string]string) bool {
	for k, vs := range v {
		if len(vs) != 1 {
			return false
		}
		if _, dup := into[k]; dup {
			return false
		}
		into[k] = vs[0]
	}
	return true
}

// checkTime reports whether ts (ISO 8601 UTC) is within MaxSkew of now;
// ok is false when it does not parse.
func checkTime(ts string, now time.Time) (t time.Time, fresh, ok bool) {
	if len(ts) > 32 {
		return t, false, false
	}
	t, err := time.Parse(timeLayout, ts)
	if err != nil {
		return t, false, false
	}
	d := now.Sub(t)
	return t, d <= MaxSkew && d >= -MaxSkew, true
}
