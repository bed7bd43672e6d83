package authority

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/verify"
)

// Upstream is a Baidu-compatible server (Baidu AI Cloud itself, or another
// faceprint) that compares the live face with its authority itself, through
// POST /rest/2.0/face/v3/person/verify. The OAuth token is fetched with the
// app's API key and secret key and cached until shortly before it expires;
// a token error (110/111) refreshes it once.
type Upstream struct {
	Name      string
	BaseURL   string // e.g. https://aip.baidubce.com or https://faceprint.example.com
	APIKey    string
	SecretKey string
	Timeout   time.Duration // per request; 0 means 10 s
	Client    *http.Client
	Clock     func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (u *Upstream) now() time.Time {
	if u.Clock != nil {
		return u.Clock()
	}
	return time.Now()
}

func (u *Upstream) client() *http.Client {
	if u.Client != nil {
		return u.Client
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Token returns a cached access token, fetching one when needed.
func (u *Upstream) Token(ctx context.Context, refresh bool) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !refresh && u.token != "" && u.now().Before(u.expires) {
		return u.token, nil
	}
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {u.APIKey}, "client_secret": {u.SecretKey}}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := u.post(ctx, "/oauth/2.0/token?"+q.Encode(), nil, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("authority: upstream token: %s %s", out.Error, out.Description)
	}
	life := time.Duration(out.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	// renew a day early (or at 90 % for short-lived tokens)
	u.token, u.expires = out.AccessToken, u.now().Add(max(life-24*time.Hour, life*9/10))
	return u.token, nil
}

// Reference sends the live face with name and number to person/verify and
// returns the upstream's score. Upstream error codes pass through; network
// failures and 5xx answer 222361.
func (u *Upstream) Reference(ctx context.Context, req verify.ReferenceRequest) (verify.Reference, error) {
	ref := verify.Reference{Source: u.Name}
	if len(req.Live) == 0 {
		return ref, errors.New("authority: upstream person/verify needs the live face")
	}
	body, err := json.Marshal(map[string]string{
		"image": base64.StdEncoding.EncodeToString(req.Live), "image_type": "BASE64",
		"id_card_number": req.IDNumber, "name": req.Name,
		"quality_control": "NONE", "liveness_control": "NONE",
	})
	if err != nil {
		return ref, fmt.Errorf("authority: upstream request: %w", err)
	}
	var out struct {
		ErrorCode int    `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
		Result    *struct {
			Score float64 `json:"score"`
		} `json:"result"`
	}
	for attempt := range 2 {
		tok, err := u.Token(ctx, attempt > 0)
		if err != nil {
			ref.ErrorCode = CodeUnavailable
			return ref, nil
		}
		out.ErrorCode, out.Result = 0, nil
		if err := u.post(ctx, "/rest/2.0/face/v3/person/verify?access_token="+url.QueryEscape(tok), body, &out); err != nil {
			ref.ErrorCode = CodeUnavailable
			return ref, nil
		}
		if out.ErrorCode != 110 && out.ErrorCode != 111 && out.ErrorCode != 100 {
			break
		}
	}
	switch {
	case out.ErrorCode == 0 && out.Result != nil:
		ref.Score, ref.Scored = out.Result.Score, true
	case out.ErrorCode == 0, out.ErrorCode == 110, out.ErrorCode == 111, out.ErrorCode == 100:
		ref.ErrorCode = CodeUnavailable
	case out.ErrorCode >= 222350 && out.ErrorCode <= 222361, out.ErrorCode >= 222001 && out.ErrorCode <= 222299, out.ErrorCode >= 223100 && out.ErrorCode <= 223199:
		ref.ErrorCode = out.ErrorCode
	default:
		// quota, QPS and system errors of the upstream are its unavailability
		ref.ErrorCode = CodeUnavailable
	}
	return ref, nil
}

func (u *Upstream) post(ctx context.Context, pathQuery string, body []byte, v any) error {
	timeout := u.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(u.BaseURL, "/")+pathQuery, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("authority: upstream url: %w", err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	res, err := u.client().Do(hr)
	if err != nil {
		return fmt.Errorf("authority: upstream: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("authority: upstream read: %w", err)
	}
	// Baidu answers errors with HTTP 200; OAuth errors may come as 4xx with JSON
	if res.StatusCode >= 500 {
		return fmt.Errorf("authority: upstream status %d", res.StatusCode)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("authority: upstream answer (status %d): %w", res.StatusCode, err)
	}
	return nil
}
