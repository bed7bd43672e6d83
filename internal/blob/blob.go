// Package blob stores images and videos (local folder by default; the Store
// interface is what an S3-compatible backend implements) and signs expiring
// URLs for them.
package blob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is returned for a missing object.
var ErrNotFound = errors.New("blob not found")

// Store is object storage keyed by slash-separated keys.
type Store interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	// DeletePrefix removes every object under prefix (a session's folder).
	DeletePrefix(ctx context.Context, prefix string) error
}

var keyRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*(/[a-zA-Z0-9][a-zA-Z0-9._-]*)*$`)

// ValidKey reports whether key is safe to map to a path (no .., no absolute paths).
func ValidKey(key string) bool {
	return len(key) <= 256 && keyRE.MatchString(key) && !strings.Contains(key, "..")
}

// Local stores objects as files under Dir.
type Local struct{ Dir string }

// NewLocal creates the folder if needed.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob dir: %w", err)
	}
	return &Local{Dir: dir}, nil
}

func (l *Local) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("invalid blob key %q", key)
	}
	return filepath.Join(l.Dir, filepath.FromSlash(key)), nil
}

// Put writes atomically (temp file + rename) so a crash never leaves half an image.
func (l *Local) Put(_ context.Context, key string, data []byte) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Get reads an object.
func (l *Local) Get(_ context.Context, key string) ([]byte, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return b, nil
}

// DeletePrefix removes a folder of objects.
func (l *Local) DeletePrefix(_ context.Context, prefix string) error {
	p, err := l.path(strings.TrimSuffix(prefix, "/"))
	if err != nil {
		return err
	}
	if err := os.RemoveAll(p); err != nil {
		return fmt.Errorf("delete %s: %w", prefix, err)
	}
	return nil
}

// Signer makes and checks expiring URL signatures (HMAC-SHA256 over key and expiry).
type Signer struct{ Key []byte }

// Sign returns the query string "e=<unix>&s=<sig>" for key valid until exp.
func (s Signer) Sign(key string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	return "e=" + e + "&s=" + s.mac(key, e)
}

func (s Signer) mac(key, e string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(key + "\n" + e))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a signature made by Sign at time now.
func (s Signer) Verify(key, e, sig string, now time.Time) bool {
	exp, err := strconv.ParseInt(e, 10, 64)
	if err != nil || now.Unix() > exp {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(s.mac(key, e)))
}
