// Package webhook delivers the plan's callback: a signed POST to the
// business when a verify session ends, from a durable outbox with retries.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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
				d.Log.Warn("webhook abandoned", "app", w.AppID, "attempts", attempts, "err", err)
				if err := d.Store.FinishWebhook(ctx, w.ID); err != nil {
					d.Log.Error("webhook finish", "err", err)
				}
				continue
			}
			backoff := min(time.Hour, 10*time.Second<<attempts)
			d.Log.Info("webhook retry", "app", w.AppID, "attempts", attempts, "in", backoff.String(), "err", err)
			if err := d.Store.RetryWebhook(ctx, w.ID, attempts, now.Add(backoff)); err != nil {
				d.Log.Error("webhook retry", "err", err)
			}
			continue
		}
		if err := d.Store.FinishWebhook(ctx, w.ID); err != nil {
			d.Log.Error("webhook finish (it may be delivered again)", "err", err)
		}
		ok++
	}
	return ok, nil
}

func (d *Deliverer) send(ctx context.Context, w store.Webhook) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(w.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "faceprint-webhook/1")
	req.Header.Set(Header, Sign(d.Secret(w.AppID), d.Clock(), w.Body))
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
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
