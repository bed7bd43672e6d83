package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/store"
)

// TokenTTL is the access token lifetime Baidu documents (30 days).
const TokenTTL = 30 * 24 * time.Hour

// Scope is what the official SDKs look for; without brain_all_scope they
// switch to BCE signing and stop sending access_token (wire-reference §5).
const Scope = "public brain_all_scope vis-faceverify_faceverify_h5-face-liveness vis-faceverify_FACE_V3 vis-ocr_ocr faceprint"

// Errors the OAuth and API layers map to Baidu codes.
var (
	ErrUnknownClient = errors.New("unknown client id")
	ErrBadSecret     = errors.New("client authentication failed")
	ErrTokenInvalid  = errors.New("access token invalid or no longer valid")
	ErrTokenExpired  = errors.New("access token expired")
	ErrTokenMissing  = errors.New("access token missing or malformed")
)

// Service manages apps and access tokens.
//
// Access tokens are stateless: Baidu's shape with a random nonce and an HMAC
// over app, generation, issue time and nonce in place of its 32 hex digits.
// Nothing is written per OAuth call (Baidu's docs tell clients to fetch a
// token per request), every replica with the same TokenKey verifies them, and
// bumping the app's generation (rotate-secret, disable) revokes them all.
type Service struct {
	Store store.Store
	Clock func() time.Time
	// TokenKey signs access tokens; replicas must share it (derived from the
	// signing key). Empty: a random per-process key (one instance only).
	TokenKey []byte

	keyOnce sync.Once
	key     []byte

	// Apps are cached briefly so hot API paths skip the database. Changes made
	// through this process clear the cache at once; other replicas notice
	// within cacheTTL.
	mu    sync.Mutex
	cache map[string]cachedApp
}

type cachedApp struct {
	app   App
	until time.Time
}

const cacheTTL = 5 * time.Second

// Issued is a new access token in Baidu's response shape.
type Issued struct {
	AccessToken   string `json:"access_token"`
	RefreshToken  string `json:"refresh_token"`
	ExpiresIn     int64  `json:"expires_in"`
	Scope         string `json:"scope"`
	SessionKey    string `json:"session_key"`
	SessionSecret string `json:"session_secret"`
}

// NewApp is a created app with its secret, shown once.
type NewApp struct {
	App       App    `json:"-"`
	AppID     string `json:"app_id"`
	APIKey    string `json:"api_key"`
	SecretKey string `json:"secret_key"`
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomString returns n characters from alphabet drawn with crypto/rand.
func RandomString(n int, alphabet string) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// RandomToken returns an unguessable alphanumeric token of n characters (n=24 → 142 bits).
func RandomToken(n int) string { return RandomString(n, alnum) }

// RandomDigits returns n random decimal digits, the first non-zero.
func RandomDigits(n int) string {
	return RandomString(1, "123456789") + RandomString(n-1, "0123456789")
}

// Hash is the stored form of a secret or token. The inputs carry ≥128 bits of
// entropy, so a fast hash is enough and keeps OAuth and API auth cheap.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func (s *Service) now() time.Time { return s.Clock() }

// CreateApp creates an app with a fresh API Key and Secret Key; qps > 0 sets its request limit.
func (s *Service) CreateApp(ctx context.Context, name string, qps int) (NewApp, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return NewApp{}, errors.New("app name must be 1–128 bytes")
	}
	now := s.now()
	for range 5 {
		secret := RandomToken(32)
		a := App{ID: RandomDigits(8), Name: name, APIKey: RandomToken(24), SecretHash: Hash(secret), Generation: 1, QPS: qps, CreatedAt: now, UpdatedAt: now}
		err := s.Store.CreateApp(ctx, &a)
		if errors.Is(err, store.ErrConflict) {
			continue // id collision: draw again
		}
		if err != nil {
			return NewApp{}, err
		}
		return NewApp{App: a, AppID: a.ID, APIKey: a.APIKey, SecretKey: secret}, nil
	}
	return NewApp{}, errors.New("create app: could not draw a unique id")
}

// updateApp applies change to the stored app, retrying on concurrent updates.
func (s *Service) updateApp(ctx context.Context, appID string, change func(*App)) (*App, error) {
	for range 5 {
		a, err := s.Store.GetApp(ctx, appID)
		if err != nil {
			return nil, err
		}
		change(a)
		a.UpdatedAt = s.now()
		err = s.Store.UpdateApp(ctx, a)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.forgetApp(a.ID)
		return a, nil
	}
	return nil, store.ErrConflict
}

// RotateSecret issues a new Secret Key and revokes every access token of the app.
func (s *Service) RotateSecret(ctx context.Context, appID string) (NewApp, error) {
	secret := RandomToken(32)
	a, err := s.updateApp(ctx, appID, func(a *App) { a.SecretHash, a.Generation = Hash(secret), a.Generation+1 })
	if err != nil {
		return NewApp{}, err
	}
	return NewApp{App: *a, AppID: a.ID, APIKey: a.APIKey, SecretKey: secret}, nil
}

// SetDisabled disables (revoking its tokens) or re-enables an app.
func (s *Service) SetDisabled(ctx context.Context, appID string, disabled bool) (*App, error) {
	return s.updateApp(ctx, appID, func(a *App) {
		a.Disabled = disabled
		if disabled {
			a.Generation++
		}
	})
}

// IssueToken implements the client_credentials grant.
func (s *Service) IssueToken(ctx context.Context, apiKey, secretKey string) (Issued, error) {
	a, err := s.Store.GetAppByAPIKey(ctx, apiKey)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Disabled) {
		return Issued{}, ErrUnknownClient
	}
	if err != nil {
		return Issued{}, err
	}
	if subtle.ConstantTimeCompare([]byte(Hash(secretKey)), []byte(a.SecretHash)) != 1 {
		return Issued{}, ErrBadSecret
	}
	now := s.now()
	ttl := int64(TokenTTL / time.Second)
	nonce := randomHex(8)
	// Baidu's shape: 24.<hex>.<expires_in>.<issued unix>.282335-<AppID>.
	tok := fmt.Sprintf("24.%s%s.%d.%d.282335-%s", nonce, s.tokenMAC(a.ID, a.Generation, now.Unix(), nonce), ttl, now.Unix(), a.ID)
	refresh := fmt.Sprintf("25.%s.315360000.%d.282335-%s", randomHex(16), now.Unix(), a.ID)
	return Issued{AccessToken: tok, RefreshToken: refresh, ExpiresIn: ttl, Scope: Scope, SessionKey: randomHex(32), SessionSecret: randomHex(16)}, nil
}

func (s *Service) tokenKey() []byte {
	s.keyOnce.Do(func() {
		s.key = s.TokenKey
		if len(s.key) == 0 {
			s.key = []byte(randomHex(32))
		}
	})
	return s.key
}

// tokenMAC is 32 hex digits of HMAC-SHA256 over the token's claims.
func (s *Service) tokenMAC(appID string, generation int, issued int64, nonce string) string {
	m := hmac.New(sha256.New, s.tokenKey())
	fmt.Fprintf(m, "%s|%d|%d|%s", appID, generation, issued, nonce)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// CleanToken strips what the node SDK appends after a second '?' (wire-reference §5.1).
func CleanToken(tok string) string {
	if i := strings.IndexByte(tok, '?'); i >= 0 {
		tok = tok[:i]
	}
	return strings.TrimSpace(tok)
}

// Authenticate resolves an access token to its app.
func (s *Service) Authenticate(ctx context.Context, token string) (*App, error) {
	token = CleanToken(token)
	if token == "" || len(token) > 256 {
		return nil, ErrTokenMissing
	}
	// 24.<16 hex nonce><32 hex mac>.<ttl>.<issued>.282335-<appid>
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[0] != "24" || len(parts[1]) != 48 || !strings.HasPrefix(parts[4], "282335-") {
		return nil, ErrTokenInvalid
	}
	ttl, err1 := strconv.ParseInt(parts[2], 10, 64)
	issued, err2 := strconv.ParseInt(parts[3], 10, 64)
	appID := strings.TrimPrefix(parts[4], "282335-")
	if err1 != nil || err2 != nil || ttl != int64(TokenTTL/time.Second) || appID == "" || len(appID) > 32 {
		return nil, ErrTokenInvalid
	}
	a, err := s.app(ctx, appID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	nonce, mac := parts[1][:16], parts[1][16:]
	if a.Disabled || !hmac.Equal([]byte(mac), []byte(s.tokenMAC(a.ID, a.Generation, issued, nonce))) {
		return nil, ErrTokenInvalid
	}
	if now := s.now().Unix(); now > issued+ttl {
		return nil, ErrTokenExpired
	}
	return a, nil
}

// app returns an app, cached for cacheTTL.
func (s *Service) app(ctx context.Context, id string) (*App, error) {
	now := s.now()
	s.mu.Lock()
	if c, ok := s.cache[id]; ok && now.Before(c.until) {
		s.mu.Unlock()
		a := c.app
		return &a, nil
	}
	s.mu.Unlock()
	a, err := s.Store.GetApp(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.cache == nil || len(s.cache) > 100000 {
		s.cache = map[string]cachedApp{}
	}
	s.cache[id] = cachedApp{app: *a, until: now.Add(cacheTTL)}
	s.mu.Unlock()
	return a, nil
}

func (s *Service) forgetApp(appID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, appID)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
