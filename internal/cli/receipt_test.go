package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/receipt"
)

func TestReceiptVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	key := "0123456789abcdef0123456789abcdef"
	if err := os.WriteFile(filepath.Join(dir, "signing.key"), []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := receipt.NewSigner(key)
	r := &receipt.Receipt{ReceiptID: "rcpt_x", IssuedAt: time.Now().UTC(), Scope: "session", Sessions: []receipt.Session{}, Counts: receipt.Counts{Sessions: 1, Blobs: 2}}
	if err := s.Sign(r); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	good := filepath.Join(dir, "r.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, b, 0o600)
	os.WriteFile(bad, bytes.Replace(b, []byte(`"blobs":2`), []byte(`"blobs":0`), 1), 0o600)

	out, err := run(t, "receipt", "verify", good, "--data-dir", dir)
	if err != nil || !strings.HasPrefix(out, "valid: receipt rcpt_x") {
		t.Fatalf("genuine receipt with the data dir's key: %q %v", out, err)
	}
	if out, err := run(t, "receipt", "verify", good, "--public-key", s.PublicKeyBase64()); err != nil || !strings.Contains(out, "valid") {
		t.Fatalf("genuine receipt with --public-key: %q %v", out, err)
	}
	if _, err := run(t, "receipt", "verify", bad, "--data-dir", dir); err == nil {
		t.Fatal("a tampered receipt verified")
	}
	other := receipt.NewSigner("another-key-another-key-another!").PublicKeyBase64()
	if _, err := run(t, "receipt", "verify", good, "--public-key", other); err == nil {
		t.Fatal("verified with another server's key")
	}
}
