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

func TestPublicBase(t *testing.T) {
	r := httptest.NewRequest("GET", "http://h.example:8080/x", nil)
	if got := PublicBase("", r); got != "http://h.example:8080" {
		t.Errorf("request base %q", got)
	}
	if got := PublicBase("https://id.example", r); got != "https://id.example" {
		t.Errorf("configured base %q", got)
	}
}
