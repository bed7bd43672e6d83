package authority

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/verify"
)

// Gateway protocol headers (docs/authority-protocol.md).
const (
	HeaderKeyID     = "X-Faceprint-Key"
	HeaderTimestamp = "X-Faceprint-Timestamp"
	HeaderNonce     = "X-Faceprint-Nonce"
	HeaderSignature = "X-Faceprint-Signature"
	GatewayPath     = "/v1/reference"
	// MaxSkew is how far a request timestamp may be from the server clock.
	MaxSkew = 5 * time.Minute
	// maxGatewayResponse bounds a gateway answer (a photo is ≤ 2 MB as base64).
	maxGatewayResponse = 4 << 20
)

// GatewayRequest is the JSON body of a reference lookup.
type GatewayRequest struct {
	RequestID string `json:"request_id"`
	Name      string `json:"name"`
	IDNumber  string `json:"id_number"`
	// LiveImage is the collected face (base64 JPEG), sent only to gateways
	// configured to compare on their side.
	LiveImage string `json:"live_image,omitempty"`
}

// Gateway results.
const (
	ResultOK           = "ok"            // photo or score returned
	ResultMismatch     = "name_mismatch" // 222351
	ResultNotFound     = "not_found"     // 222351
	ResultNoPhoto      = "no_photo"      // 222355
	ResultPhotoQuality = "photo_quality" // 222350
	ResultInvalid      = "invalid"       // 222360
)

// GatewayResponse is the JSON answer.
type GatewayResponse struct {
	RequestID string   `json:"request_id"`
	Result    string   `json:"result"`
	Photo     string   `json:"photo,omitempty"` // base64 JPEG/PNG
	Score     *float64 `json:"score,omitempty"` // 0–100 when the gateway compared live_image itself
	Message   string   `json:"message,omitempty"`
}

// Gateway is a client of an external authority speaking the faceprint
// gateway protocol: HMAC-SHA256 signed requests with timestamp and nonce,
// per-attempt timeouts, retries with exponential backoff and jitter on
// network errors, 429 and 5xx.
type Gateway struct {
	Name     string
	BaseURL  string // e.g. https://authority.example.com
	KeyID    string
	Secret   []byte
	SendLive bool          // send the live face for a gateway-side comparison
	Timeout  time.Duration // per attempt; 0 means 3 s
	Retries  int           // extra attempts; 0 means 2, negative means none
	Backoff  time.Duration // first retry delay; 0 means 200 ms (doubles each time)
	Client   *http.Client  // default: a client without redirects
	Clock    func() time.Time
	Sleep    func(ctx context.Context, d time.Duration) error // tests may speed up
}

func (g *Gateway) now() time.Time {
	if g.Clock != nil {
		return g.Clock()
	}
	return time.Now()
}

func (g *Gateway) client() *http.Client {
	if g.Client != nil {
		return g.Client
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// errRetry marks a failure worth another attempt.
type errRetry struct{ err error }

func (e errRetry) Error() string { return e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

// Reference asks the gateway. Network failures, timeouts and 5xx after the
// retries answer 222361; the gateway's results map to 222351/222355/222350/222360.
func (g *Gateway) Reference(ctx context.Context, req verify.ReferenceRequest) (verify.Reference, error) {
	ref := verify.Reference{Source: g.Name}
	body := GatewayRequest{Name: req.Name, IDNumber: req.IDNumber}
	id, err := randomHex(12)
	if err != nil {
		return ref, err
	}
	body.RequestID = id
	if g.SendLive && len(req.Live) > 0 {
		body.LiveImage = base64.StdEncoding.EncodeToString(req.Live)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return ref, fmt.Errorf("authority: gateway request: %w", err)
	}
	retries := g.Retries
	if retries == 0 {
		retries = 2
	}
	retries = max(retries, 0)
	backoff := g.Backoff
	if backoff <= 0 {
		backoff = 200 * time.Millisecond
	}
	var resp GatewayResponse
	for attempt := 0; ; attempt++ {
		resp, err = g.once(ctx, data)
		var re errRetry
		if err == nil || !errors.As(err, &re) || attempt >= retries || ctx.Err() != nil {
			break
		}
		d := time.Duration(float64(backoff) * math.Pow(2, float64(attempt)) * (0.75 + 0.5*mrand.Float64()))
		if serr := g.sleep(ctx, d); serr != nil {
			break
		}
	}
	if err != nil {
		ref.ErrorCode = CodeUnavailable
		return ref, nil
	}
	if resp.RequestID != "" && resp.RequestID != body.RequestID {
		ref.ErrorCode = CodeUnavailable
		return ref, nil
	}
	switch resp.Result {
	case ResultOK:
		switch {
		case resp.Score != nil:
			ref.Score, ref.Scored = math.Max(0, math.Min(100, *resp.Score)), true
		case resp.Photo != "":
			p, err := base64.StdEncoding.DecodeString(resp.Photo)
			if err != nil || len(p) == 0 {
				ref.ErrorCode = CodeNoPhoto
				return ref, nil
			}
			ref.Photo = p
		default:
			ref.ErrorCode = CodeNoPhotoOnFile
		}
	case ResultMismatch, ResultNotFound:
		ref.ErrorCode = CodeMismatch
	case ResultNoPhoto:
		ref.ErrorCode = CodeNoPhotoOnFile
	case ResultPhotoQuality:
		ref.ErrorCode = CodeNoPhoto
	case ResultInvalid:
		ref.ErrorCode = CodeInvalid
	default:
		ref.ErrorCode = CodeUnavailable
	}
	return ref, nil
}

func (g *Gateway) sleep(ctx context.Context, d time.Duration) error {
	if g.Sleep != nil {
		return g.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// once makes one signed attempt.
func (g *Gateway) once(ctx context.Context, body []byte) (GatewayResponse, error) {
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := strings.TrimRight(g.BaseURL, "/") + GatewayPath
	hr, err := http.NewRequestWithContext(actx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return GatewayResponse{}, fmt.Errorf("authority: gateway url: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	if err := Sign(hr, body, g.KeyID, g.Secret, g.now()); err != nil {
		return GatewayResponse{}, err
	}
	res, err := g.client().Do(hr)
	if err != nil {
		return GatewayResponse{}, errRetry{fmt.Errorf("authority: gateway: %w", err)}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxGatewayResponse+1))
	if err != nil {
		return GatewayResponse{}, errRetry{fmt.Errorf("authority: gateway read: %w", err)}
	}
	if res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 {
		return GatewayResponse{}, errRetry{fmt.Errorf("authority: gateway status %d", res.StatusCode)}
	}
	if res.StatusCode != http.StatusOK {
		return GatewayResponse{}, fmt.Errorf("authority: gateway status %d", res.StatusCode)
	}
	if len(data) > maxGatewayResponse {
		return GatewayResponse{}, errors.New("authority: gateway answer too large")
	}
	var out GatewayResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return GatewayResponse{}, fmt.Errorf("authority: gateway answer: %w", err)
	}
	return out, nil
}

// Sign adds the protocol's authentication headers to r for body:
// signature = hex(HMAC-SHA256(secret, METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" hex(SHA256(body)))).
func Sign(r *http.Request, body []byte, keyID string, secret []byte, now time.Time) error {
	nonce, err := randomHex(16)
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	r.Header.Set(HeaderKeyID, keyID)
	r.Header.Set(HeaderTimestamp, ts)
	r.Header.Set(HeaderNonce, nonce)
	r.Header.Set(HeaderSignature, signature(secret, r.Method, r.URL.Path, ts, nonce, body))
	return nil
}

func signature(secret []byte, method, path, ts, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "%s\n%s\n%s\n%s\n%s", method, path, ts, nonce, hex.EncodeToString(sum[:]))
	return hex.EncodeToString(m.Sum(nil))
}

// NonceCache remembers nonces for MaxSkew so a captured request cannot be replayed.
type NonceCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// Fresh records nonce and reports whether it was unseen.
func (c *NonceCache) Fresh(nonce string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	for n, t := range c.seen {
		if now.Sub(t) > 2*MaxSkew {
			delete(c.seen, n)
		}
	}
	if _, ok := c.seen[nonce]; ok {
		return false
	}
	c.seen[nonce] = now
	return true
}

// ErrSignature is returned by Verify for an unauthenticated request.
var ErrSignature = errors.New("authority: bad request signature")

// Verify checks a signed request on the gateway side (the reference
// implementation of the protocol's server half): key, timestamp within
// MaxSkew, fresh nonce, constant-time signature comparison.
func Verify(r *http.Request, body []byte, secretFor func(keyID string) ([]byte, bool), nonces *NonceCache, now time.Time) error {
	secret, ok := secretFor(r.Header.Get(HeaderKeyID))
	if !ok {
		return fmt.Errorf("%w: unknown key", ErrSignature)
	}
	ts := r.Header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp", ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("%w: timestamp outside ±%v", ErrSignature, MaxSkew)
	}
	nonce := r.Header.Get(HeaderNonce)
	if len(nonce) < 16 || len(nonce) > 64 {
		return fmt.Errorf("%w: nonce", ErrSignature)
	}
	want := signature(secret, r.Method, r.URL.Path, ts, nonce, body)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(r.Header.Get(HeaderSignature)))) {
		return fmt.Errorf("%w: signature mismatch", ErrSignature)
	}
	if nonces != nil && !nonces.Fresh(nonce, now) {
		return fmt.Errorf("%w: nonce reused", ErrSignature)
	}
	return nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("authority: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}
