package wire

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadBodyLimit(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader("12345"))
	if b, err := ReadBody(r, 5); err != nil || string(b) != "12345" {
		t.Fatalf("at the limit: %q %v", b, err)
	}
	r = httptest.NewRequest("POST", "/", strings.NewReader("123456"))
	if _, err := ReadBody(r, 5); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
}

func TestLimiterPerAppAndUnlimited(t *testing.T) {
	var l Limiter
	if !l.Allow("a", 2) || !l.Allow("a", 2) || l.Allow("a", 2) {
		t.Error("burst of 2 not enforced")
	}
	if !l.Allow("b", 2) {
		t.Error("apps share a bucket")
	}
	for range 100 {
		if !l.Allow("c", 0) {
			t.Fatal("qps 0 must be unlimited")
		}
	}
}

func TestPublicBase(t *testing.T) {
	r := httptest.NewRequest("GET", "http://h.example:8080/x", nil)
	if got := PublicBase("", r); got != "http://h.example:8080" {
		t.Errorf("request base %q", got)
	}
	if got := PublicBase("https://id.example", r); got != "https://id.example" {
		t.Errorf("configured base %q", got)
	}
}
