package livesession

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/store"
)

func TestOpenChecksSignatureAppExpiryAndUse(t *testing.T) {
	s := NewRandom()
	now := time.Unix(1700000000, 0)
	id := s.Sign(Session{App: "1001", Type: 1, Code: "3", Nonce: "n1", Expires: now.Add(time.Minute).Unix()})
	if _, err := s.Open(id, "1002", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("other app: %v", err)
	}
	if _, err := s.Open(id[:len(id)-2]+"AA", "1001", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("forged signature: %v", err)
	}
	if _, err := s.Open(strings.Repeat("a", maxIDLen)+"."+"x", "1001", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("overlong id: %v", err)
	}
	if _, err := s.Open(id, "1001", now.Add(2*time.Minute)); !errors.Is(err, ErrExpired) {
		t.Errorf("expired: %v", err)
	}
	v, err := s.Open(id, "1001", now)
	if err != nil || v.Code != "3" || v.Type != 1 {
		t.Fatalf("open: %+v %v", v, err)
	}
	if _, err := s.Open(id, "1001", now); !errors.Is(err, ErrUsed) {
		t.Errorf("second use: %v", err)
	}
	// Another key (another deployment) cannot open it.
	if _, err := NewRandom().Open(id, "1001", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("other key: %v", err)
	}
}

func TestSharedKeyAcrossInstances(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	a, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(key)
	now := time.Now()
	id, sess := a.Issue("1001", 1, "23", now)
	if sess.Expires != now.Add(TTL).Unix() || len(sess.Nonce) != 24 {
		t.Errorf("issued %+v", sess)
	}
	if _, err := b.Open(id, "1001", now); err != nil {
		t.Errorf("replica with the same key: %v", err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
}

// memKV is a store.PutKV stand-in.
type memKV struct {
	mu sync.Mutex
	m  map[string]bool
}

func (k *memKV) PutKV(_ context.Context, ns, key string, _ []byte, _ time.Time) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m[ns+"/"+key] {
		return store.ErrConflict
	}
	k.m[ns+"/"+key] = true
	return nil
}

type failKV struct{}

func (failKV) PutKV(context.Context, string, string, []byte, time.Time) error {
	return errors.New("database down")
}

// Two replicas (separate in-process sets) share the database claim.
func TestConsumeClaimsAcrossReplicas(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	a, _ := New(key)
	b, _ := New(key)
	kv := StoreClaimer{KV: &memKV{m: map[string]bool{}}}
	now := time.Now()
	id, _ := a.Issue("1001", 1, "2", now)
	if _, err := a.Consume(context.Background(), kv, id, "1001", now); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Consume(context.Background(), kv, id, "1001", now); !errors.Is(err, ErrUsed) {
		t.Errorf("replay on another replica: %v", err)
	}
	id2, _ := a.Issue("1001", 1, "2", now)
	_, err := a.Consume(context.Background(), StoreClaimer{KV: failKV{}}, id2, "1001", now)
	if err == nil || errors.Is(err, ErrUsed) || errors.Is(err, ErrInvalid) {
		t.Errorf("storage failure must be its own error: %v", err)
	}
}

func TestUsedSetIsPurged(t *testing.T) {
	s := NewRandom()
	now := time.Unix(1700000000, 0)
	for i := range 10 {
		id, _ := s.Issue("1", 1, "2", now.Add(time.Duration(i)*time.Millisecond))
		if _, err := s.Open(id, "1", now); err != nil {
			t.Fatal(err)
		}
	}
	later := now.Add(TTL + time.Minute)
	id, _ := s.Issue("1", 1, "2", later)
	if _, err := s.Open(id, "1", later); err != nil {
		t.Fatal(err)
	}
	if n := len(s.used); n != 1 {
		t.Errorf("used set holds %d nonces after expiry, want 1", n)
	}
}

// Against the real store: a replay has the same nonce and expiry, and must
// still be a conflict (regression: a constant claim value made it pass).
func TestStoreClaimerOnSQLite(t *testing.T) {
	st, err := store.Open(context.Background(), "", filepath.Join(t.TempDir(), "fp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := StoreClaimer{KV: st}
	until := time.Now().Add(TTL)
	if err := c.Claim(context.Background(), "nonce-1", until); err != nil {
		t.Fatal(err)
	}
	if err := c.Claim(context.Background(), "nonce-1", until); !errors.Is(err, ErrUsed) {
		t.Fatalf("second claim of the same nonce: %v, want ErrUsed", err)
	}
}
