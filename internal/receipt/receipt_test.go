package receipt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/receipt"
)

func signed(t *testing.T, s *receipt.Signer) []byte {
	t.Helper()
	r := &receipt.Receipt{ReceiptID: "rcpt_1", IssuedAt: time.Date(2026, 12, 4, 9, 0, 0, 123000000, time.UTC), Scope: "session",
		Sessions: []receipt.Session{{SessionID: "s1", AppID: "1001", State: "passed", Blobs: 3, Fields: []string{"identity_confirmed"}}},
		Counts:   receipt.Counts{Sessions: 1, Blobs: 3}}
	if err := s.Sign(r); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(r, "", "  ") // re-formatting must not matter
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReceiptVerifiesAndTamperingFails(t *testing.T) {
	s := receipt.NewSigner("a-signing-key-of-the-server-0123")
	b := signed(t, s)
	r, err := receipt.Verify(b, s.PublicKey())
	if err != nil || r.Counts.Blobs != 3 || r.Sessions[0].SessionID != "s1" {
		t.Fatalf("genuine receipt: %+v %v", r, err)
	}
	for name, tamper := range map[string]func([]byte) []byte{
		"count":   func(b []byte) []byte { return bytes.Replace(b, []byte(`"blobs": 3`), []byte(`"blobs": 4`), 1) },
		"session": func(b []byte) []byte { return bytes.Replace(b, []byte(`"s1"`), []byte(`"s2"`), 1) },
		"time":    func(b []byte) []byte { return bytes.Replace(b, []byte("09:00:00.123"), []byte("09:00:00.124"), 1) },
		"extra":   func(b []byte) []byte { return bytes.Replace(b, []byte(`"scope"`), []byte(`"note":"x","scope"`), 1) },
	} {
		tb := tamper(b)
		if bytes.Equal(tb, b) {
			t.Fatalf("%s: the tampering changed nothing", name)
		}
		if _, err := receipt.Verify(tb, s.PublicKey()); !errors.Is(err, receipt.ErrInvalid) {
			t.Errorf("%s: tampered receipt accepted: %v", name, err)
		}
	}
	other := receipt.NewSigner("another-server-signing-key-45678")
	if _, err := receipt.Verify(b, other.PublicKey()); !errors.Is(err, receipt.ErrInvalid) {
		t.Errorf("verified with another server's key: %v", err)
	}
	if !bytes.Equal(s.PublicKey(), receipt.NewSigner("a-signing-key-of-the-server-0123").PublicKey()) {
		t.Error("the receipt key is not derived deterministically (replicas would disagree)")
	}
}
