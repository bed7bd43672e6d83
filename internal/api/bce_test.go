package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// The operator hint names the likely cause and never the header's key or signature.
func TestBCESignedRefusalLogsHint(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{Log: slog.New(slog.NewTextHandler(&logs, nil))}
	r := httptest.NewRequest("POST", "/rest/2.0/face/v3/detect", nil)
	r.Header.Set("Authorization", "bce-auth-v1/AKSECRETLOOKING/2026-01-01T00:00:00Z/1800/host/deadbeefsignature")
	if !isBCESigned(r) {
		t.Fatal("bce-auth-v1 header not recognised")
	}
	w := httptest.NewRecorder()
	s.refuseBCESigned(w, r)
	var m RestError
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || m.ErrorCode != 14 || m.ErrorMsg != "IAM Certification failed" {
		t.Fatalf("answer %s", w.Body.String())
	}
	out := logs.String()
	if !strings.Contains(out, "wrong Secret Key") {
		t.Errorf("no operator hint in %q", out)
	}
	if strings.Contains(out, "AKSECRETLOOKING") || strings.Contains(out, "deadbeef") {
		t.Errorf("credentials leaked into the log: %q", out)
	}
}
