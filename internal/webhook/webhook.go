// Package webhook delivers the plan's callbacks: signed POSTs to the business
// for a verify session's lifecycle events (started, step_failed, abandoned,
// expired, finished), from a durable outbox with retries. The verify package
// queues a row in the same transaction as the state change that causes it;
// this package only sends. Delivery is at least once: receivers dedupe by
// the event id (body field event_id, header X-Faceprint-Event-Id).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/faceprint/faceprint/internal/store"
)

// Header carries the signature: "t=<unix>,v1=<hex HMAC-SHA256(key, t + "." + body)>",
// where key is the app's webhook secret (`faceprint app webhook-secret APP_ID`).
const Header = "X-Faceprint-Signature"

// EventIDHeader repeats the body's event_id so receivers can dedupe before parsing.
const EventIDHeader = "X-Faceprint-Event-Id"

// MaxAttempts bounds retries (backoff 20 s, 40 s … capped at 1 h: about 4.4 hours in all).
const MaxAttempts = 12

// batch and sendTimeout bound one run; the lease covers a whole batch so a
// slow receiver cannot make another replica deliver the same rows again.
const (
	batch       = 20
	sendTimeout = 10 * time.Second
)

// Sign computes the signature header value.
func Sign(key string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Deliverer sends due outbox rows.
type Deliverer struct {
	Store  store.Store
	Secret func(appID string) string // the app's webhook secret
	Client *http.Client
	Clock  func() time.Time
	Log    *slog.Logger
}

// RunOnce delivers the due rows and returns how many were sent successfully.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	now := d.Clock()
	rows, err := d.Store.ClaimWebhooks(ctx, now, now.Add(batch*sendTimeout+time.Minute), batch)
	if err != nil {
		return 0, err
	}
	ok := 0
	for _, w := range rows {
		if err := d.send(ctx, w); err != nil {
			attempts := w.Attempts + 1
			if attempts >= MaxAttempts {
				d.Log.Warn("webhook abandoned", "app", w.AppID, "event", w.Event, "attempts", attempts, "err", err)
				if err := d.Store.FinishWebhook(ctx, w.ID, d.Clock(), err.Error()); err != nil {
					d.Log.Error("webhook finish", "err", err)
				}
				continue
			}
			backoff := min(time.Hour, 10*time.Second<<attempts)
			d.Log.Info("webhook retry", "app", w.AppID, "attempts", attempts, "in", backoff.String(), "err", err)
			if err := d.Store.RetryWebhook(ctx, w.ID, attempts, now.Add(backoff), err.Error()); err != nil {
				d.Log.Error("webhook retry", "err", err)
			}
			continue
		}
		if err := d.Store.FinishWebhook(ctx, w.ID, d.Clock(), ""); err != nil {
			d.Log.Error("webhook finish (it may be delivered again)", "err", err)
		}
		ok++
	}
	return ok, nil
}

func (d *Deliverer) send(ctx context.Context, w store.Webhook) error {
	_, err := d.post(ctx, w)
	return err
}

// post sends one signed request and returns the receiver's status code.
func (d *Deliverer) post(ctx context.Context, w store.Webhook) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(w.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "faceprint-webhook/1")
	req.Header.Set(Header, Sign(d.Secret(w.AppID), d.Clock(), w.Body))
	if w.EventID != "" {
		req.Header.Set(EventIDHeader, w.EventID)
	}
	resp, err := d.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// Resend queues a copy of a delivery (same body, same event id, so a
// receiver that already has it dedupes) for immediate delivery; the original
// row stays as history. It returns the new row's id.
func (d *Deliverer) Resend(ctx context.Context, id int64) (store.Webhook, error) {
	w, err := d.Store.GetWebhook(ctx, id)
	if err != nil {
		return store.Webhook{}, fmt.Errorf("resend: %w", err)
	}
	now := d.Clock()
	c := store.Webhook{AppID: w.AppID, SessionID: w.SessionID, Event: w.Event, EventID: w.EventID, URL: w.URL, Body: w.Body,
		NextAt: now, CreatedAt: now, Status: store.WebhookPending}
	if err := d.Store.EnqueueWebhook(ctx, c); err != nil {
		return store.Webhook{}, fmt.Errorf("resend: %w", err)
	}
	return c, nil
}

// TestEvent is the body of a test delivery ("test endpoint" in the console).
type TestEvent struct {
	Event   string    `json:"event"` // "test"
	Type    string    `json:"type"`  // "test"
	EventID string    `json:"event_id"`
	AppID   string    `json:"app_id"`
	PlanID  string    `json:"plan_id"`
	At      time.Time `json:"at"`
}

// TestResult is what a test delivery found.
type TestResult struct {
	EventID string `json:"event_id"`
	Status  int    `json:"status,omitempty"` // the receiver's HTTP status (0: no answer)
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
}

// SendTest POSTs a signed test event to url now, outside the outbox, so an
// operator sees at once whether the receiver answers and verifies signatures.
func (d *Deliverer) SendTest(ctx context.Context, appID, planID, url, eventID string) TestResult {
	body, _ := json.Marshal(TestEvent{Event: "test", Type: "test", EventID: eventID, AppID: appID, PlanID: planID, At: d.Clock().UTC()})
	code, err := d.post(ctx, store.Webhook{AppID: appID, URL: url, Body: body, EventID: eventID})
	r := TestResult{EventID: eventID, Status: code, OK: err == nil}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// Run delivers every interval until ctx ends.
func (d *Deliverer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.Log.Error("webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
