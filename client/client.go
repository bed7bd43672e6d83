// Package client is a Go SDK for faceprint and for Baidu AI Cloud's
// 人脸实名认证 H5 solution, which faceprint speaks on the wire.
//
// A business backend creates one Client per app (API Key / Secret Key) and
// shares it between goroutines. The client fetches an OAuth access_token,
// caches it, refreshes it ahead of expiry and, like Baidu's Python SDK,
// fetches a new one and retries once when the server answers error_code
// 110/111 (token invalid or expired).
//
//	c := client.New("https://faceprint.example.com", apiKey, secretKey)
//	tok, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: "1"})
//	redirect(c.H5URL(tok, "https://shop.example.com/ok", "https://shop.example.com/ko"))
//	// ...after the redirect:
//	res, err := c.ResultDetail(ctx, tok)
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultBaseURL is Baidu's API host; faceprint deployments use their own.
const DefaultBaseURL = "https://aip.baidubce.com"

// maxResponseBytes bounds a response body: result/detail carries base64 ID
// card images, so it is generous, but never unbounded.
const maxResponseBytes = 64 << 20

// Client calls one faceprint (or Baidu) server as one app. It is safe for
// concurrent use.
type Client struct {
	base      string
	apiKey    string
	secretKey string
	hc        *http.Client
	now       func() time.Time
	log       *slog.Logger

	mu    sync.Mutex // guards tok; held across a fetch so callers share it
	tok   accessToken
	fetch int // number of token fetches (for tests and logs)
}

type accessToken struct {
	value     string
	expiresAt time.Time // when the server says it expires
	refreshAt time.Time // when the client fetches a new one
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the http.Client (timeouts, transport, proxies).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithClock sets the clock used for token expiry (tests).
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithLogger sets the logger; token fetches are logged at debug level, and
// neither keys nor tokens are ever logged.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// New returns a client for the server at baseURL (for example
// "http://127.0.0.1:8080", or DefaultBaseURL for Baidu) using the app's API
// Key and Secret Key. No request is made until the first call.
func New(baseURL, apiKey, secretKey string, opts ...Option) *Client {
	c := &Client{
		base:      strings.TrimRight(baseURL, "/"),
		apiKey:    apiKey,
		secretKey: secretKey,
		hc:        &http.Client{Timeout: 30 * time.Second},
		now:       time.Now,
		log:       slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL returns the server base URL without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// AccessToken returns a valid access_token, fetching one if none is cached
// or the cached one is due for refresh.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok.value != "" && c.now().Before(c.tok.refreshAt) {
		return c.tok.value, nil
	}
	t, err := c.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	c.tok = t
	return t.value, nil
}

// TokenFetches reports how many times the client has fetched an access_token.
func (c *Client) TokenFetches() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetch
}

// invalidate drops the cached token if it is still the one that failed, so
// concurrent callers that hit 110 together cause one refetch, not many.
func (c *Client) invalidate(value string) {
	c.mu.Lock()
	if c.tok.value == value {
		c.tok = accessToken{}
	}
	c.mu.Unlock()
}

// refreshAhead is how long before expiry the token is refreshed: a tenth of
// its lifetime, at most a day (Baidu's node SDK uses a day for 30-day tokens).
func refreshAhead(lifetime time.Duration) time.Duration {
	return min(lifetime/10, 24*time.Hour)
}

type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCode        *int   `json:"error_code"`
	ErrorMsg         string `json:"error_msg"`
}

// fetchToken calls POST /oauth/2.0/token with the client credentials as a
// form, the way Baidu's node and Go SDKs do. Caller holds c.mu.
func (c *Client) fetchToken(ctx context.Context) (accessToken, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.apiKey},
		"client_secret": {c.secretKey},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/oauth/2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		return accessToken{}, fmt.Errorf("faceprint: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	issued := c.now()
	status, data, err := c.do(req)
	if err != nil {
		return accessToken{}, fmt.Errorf("faceprint: fetch access token: %w", err)
	}
	c.fetch++
	var tr tokenResponse
	if err := json.Unmarshal(data, &tr); err != nil {
		return accessToken{}, &HTTPError{Status: status, Body: snippet(data), Err: fmt.Errorf("token response is not JSON: %w", err)}
	}
	switch {
	case tr.Error != "":
		return accessToken{}, &OAuthError{Status: status, Code: tr.Error, Description: tr.ErrorDescription}
	case tr.ErrorCode != nil && *tr.ErrorCode != 0:
		return accessToken{}, &RESTError{Code: *tr.ErrorCode, Msg: tr.ErrorMsg}
	case tr.AccessToken == "":
		return accessToken{}, &HTTPError{Status: status, Body: snippet(data), Err: errors.New("token response has no access_token")}
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = 30 * 24 * time.Hour // Baidu's documented lifetime
	}
	c.log.DebugContext(ctx, "faceprint: fetched access token", "expires_in", tr.ExpiresIn, "fetches", c.fetch)
	return accessToken{
		value:     tr.AccessToken,
		expiresAt: issued.Add(life),
		refreshAt: issued.Add(life - refreshAhead(life)),
	}, nil
}

// do sends req and returns the status and the (bounded) body.
func (c *Client) do(req *http.Request) (int, []byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read response: %w", err)
	}
	if len(data) > maxResponseBytes {
		return resp.StatusCode, nil, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	return resp.StatusCode, data, nil
}

// call POSTs body to path with the access_token and returns the raw
// response, retrying once with a fresh token on error_code 110/111.
func (c *Client) call(ctx context.Context, path string, contentType string, body []byte) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.AccessToken(ctx)
		if err != nil {
			return nil, err
		}
		u := c.base + path + "?access_token=" + url.QueryEscape(tok)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("faceprint: %s: %w", path, err)
		}
		req.Header.Set("Content-Type", contentType)
		status, data, err := c.do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				ue.URL = c.base + path + "?access_token=REDACTED" // keep tokens out of logs
			}
			return nil, fmt.Errorf("faceprint: %s: %w", path, err)
		}
		if code, ok := gatewayCode(data); ok && (code == CodeAccessTokenInvalid || code == CodeAccessTokenExpired) && attempt == 0 {
			c.log.DebugContext(ctx, "faceprint: access token refused, refetching", "path", path, "error_code", code)
			c.invalidate(tok)
			continue
		}
		if !json.Valid(data) {
			return nil, &HTTPError{Status: status, Body: snippet(data), Err: fmt.Errorf("%s: response is not JSON", path)}
		}
		return data, nil
	}
}

// gatewayCode peeks at error_code without decoding the whole body.
func gatewayCode(data []byte) (int, bool) {
	var p struct {
		ErrorCode *flexInt `json:"error_code"`
	}
	if json.Unmarshal(data, &p) != nil || p.ErrorCode == nil {
		return 0, false
	}
	return int(*p.ErrorCode), true
}

func (c *Client) postJSON(ctx context.Context, path string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("faceprint: %s: encode request: %w", path, err)
	}
	return c.call(ctx, path, "application/json", body)
}

func snippet(b []byte) string {
	const n = 256
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
