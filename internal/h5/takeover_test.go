package h5_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/h5"
	"github.com/faceprint/faceprint/internal/h5/h5test"
)

// A started session moves to a second browser only after the first has been
// idle for h5.IdleTakeover, and never has two active browsers.
func TestTakeOverAfterIdle(t *testing.T) {
	r := newRig(t, h5.Limits{})
	r.fake.Add("tok", h5test.Session{})
	a := r.browser()
	a.open("token=tok")
	if code, v := a.json("POST", "start", nil); code != 200 || step(v) != "card_front" {
		t.Fatalf("start: %d %v", code, v)
	}
	b := r.browser()
	if res, body := b.open("token=tok"); res.StatusCode != http.StatusForbidden || !strings.Contains(body, `content="session_elsewhere"`) {
		t.Fatalf("second browser while the first is active: %d", res.StatusCode)
	}
	// The first keeps pinging: still its session.
	r.clock.Add(h5.IdleTakeover - time.Second)
	if code, _ := a.json("POST", "ping", nil); code != 200 {
		t.Fatalf("ping: %d", code)
	}
	r.clock.Add(h5.IdleTakeover - time.Second)
	if res, _ := b.open("token=tok"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("second browser 59 s after a ping: %d", res.StatusCode)
	}
	// A minute of silence: the second browser takes over, at the same step.
	r.clock.Add(2 * time.Second)
	if res, _ := b.open("token=tok"); res.StatusCode != 200 {
		t.Fatalf("second browser after a minute idle: %d", res.StatusCode)
	}
	if code, v := b.json("GET", "state", nil); code != 200 || step(v) != "card_front" {
		t.Fatalf("state on the second browser: %d %v", code, v)
	}
	// The first browser comes back: refused while the second is active.
	if code, v := a.json("GET", "state", nil); code != http.StatusConflict || v["error"] != "session_elsewhere" {
		t.Fatalf("first browser after the take-over: %d %v", code, v)
	}
	if code, _ := a.json("POST", "ping", nil); code != http.StatusConflict {
		t.Fatalf("first browser's ping after the take-over: %d", code)
	}
}

// Before the start any browser may open the link (the QR hand-off), and the
// one that starts holds the session.
func TestHandOffBeforeStart(t *testing.T) {
	r := newRig(t, h5.Limits{})
	r.fake.Add("tok", h5test.Session{})
	a := r.browser()
	a.open("token=tok")
	if code, _ := a.json("POST", "ping", nil); code != 200 {
		t.Fatalf("ping: %d", code)
	}
	res, err := a.c.Do(mustReq(t, a, "GET", "handoff"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("handoff QR: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	b := r.browser()
	if res, _ := b.open("token=tok"); res.StatusCode != 200 {
		t.Fatalf("second device before the start: %d", res.StatusCode)
	}
	if code, v := b.json("POST", "start", nil); code != 200 || step(v) != "card_front" {
		t.Fatalf("start on the second device: %d %v", code, v)
	}
	if code, v := a.json("GET", "state", nil); code != http.StatusConflict || v["error"] != "session_elsewhere" {
		t.Fatalf("first device after the second started: %d %v", code, v)
	}
	// After the start there is no link to hand off.
	if res, err := b.c.Do(mustReq(t, b, "GET", "handoff")); err != nil || res.StatusCode != http.StatusConflict {
		t.Fatalf("handoff after start: %v %v", err, res.StatusCode)
	}
}

func mustReq(t *testing.T, b *browser, method, path string) *http.Request {
	req, err := http.NewRequest(method, b.r.srv.URL+"/face/print/api/"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-FP-Token", b.token)
	req.Header.Set("X-FP-CSRF", b.csrf)
	return req
}
