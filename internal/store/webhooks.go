package store

import (
	"context"
	"time"
)

func (s *SQL) EnqueueWebhook(ctx context.Context, w Webhook) error {
	return s.insertWebhook(ctx, s.write, w)
}

func (s *SQL) insertWebhook(ctx context.Context, db execer, w Webhook) error {
	_, err := db.ExecContext(ctx, s.q(`INSERT INTO webhooks (app_id, session_id, event, event_id, url, body, attempts, status, next_at, created_at)
		VALUES (?,?,?,?,?,?,?,?,?,?)`),
		w.AppID, w.SessionID, w.Event, w.EventID, w.URL, string(w.Body), w.Attempts, WebhookPending, ms(w.NextAt), ms(w.CreatedAt))
	return wrap("enqueue webhook", err)
}

const webhookCols = "id, app_id, session_id, event, event_id, url, body, attempts, status, next_at, created_at, done_at, last_error"

func scanWebhook(sc interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	var body string
	var n, c, d int64
	err := sc.Scan(&w.ID, &w.AppID, &w.SessionID, &w.Event, &w.EventID, &w.URL, &body, &w.Attempts, &w.Status, &n, &c, &d, &w.LastError)
	w.Body, w.NextAt, w.CreatedAt, w.DoneAt = []byte(body), fromMS(n), fromMS(c), fromMS(d)
	return w, err
}

func (s *SQL) ClaimWebhooks(ctx context.Context, now, lease time.Time, limit int) ([]Webhook, error) {
	// One statement: pick due rows and push their next_at to the lease end, so
	// concurrent replicas never deliver the same row at the same time. The
	// outer next_at check matters on PostgreSQL, where a waiting UPDATE
	// re-checks only the outer condition; SKIP LOCKED keeps replicas from
	// queueing behind each other.
	lock := ""
	if s.d == postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := s.write.QueryContext(ctx, s.q(`UPDATE webhooks SET next_at = ?
		WHERE status = 'pending' AND next_at <= ? AND id IN (SELECT id FROM webhooks WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?`+lock+`)
		RETURNING `+webhookCols), ms(lease), ms(now), ms(now), limit)
	if err != nil {
		return nil, wrap("claim webhooks", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, wrap("claim webhooks", err)
		}
		out = append(out, w)
	}
	return out, wrap("claim webhooks", rows.Err())
}

func (s *SQL) FinishWebhook(ctx context.Context, id int64, at time.Time, failure string) error {
	if failure == "" {
		// Delivered: the last retry's error stays, as history for the console.
		_, err := s.exec(ctx, "UPDATE webhooks SET status = ?, done_at = ? WHERE id = ?", WebhookDelivered, ms(at), id)
		return wrap("finish webhook", err)
	}
	_, err := s.exec(ctx, "UPDATE webhooks SET status = ?, done_at = ?, last_error = ? WHERE id = ?", WebhookFailed, ms(at), truncate(failure, 300), id)
	return wrap("finish webhook", err)
}

func (s *SQL) RetryWebhook(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	_, err := s.exec(ctx, "UPDATE webhooks SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?", attempts, ms(next), truncate(lastErr, 300), id)
	return wrap("retry webhook", err)
}

func (s *SQL) ListWebhooks(ctx context.Context, sessionID string, limit int) ([]Webhook, error) {
	rows, err := s.query(ctx, "SELECT "+webhookCols+" FROM webhooks WHERE session_id = ? ORDER BY id LIMIT ?", sessionID, limit)
	if err != nil {
		return nil, wrap("list webhooks", err)
	}
	defer rows.Close()
	out := []Webhook{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, wrap("list webhooks", err)
		}
		out = append(out, w)
	}
	return out, wrap("list webhooks", rows.Err())
}

func (s *SQL) GetWebhook(ctx context.Context, id int64) (*Webhook, error) {
	w, err := scanWebhook(s.queryRow(ctx, "SELECT "+webhookCols+" FROM webhooks WHERE id = ?", id))
	if err != nil {
		return nil, wrap("get webhook", notFound(err))
	}
	return &w, nil
}

func (s *SQL) DeleteDoneWebhooks(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, "DELETE FROM webhooks WHERE done_at > 0 AND done_at < ? AND status <> 'pending'", ms(before))
	if err != nil {
		return 0, wrap("delete done webhooks", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// truncate bounds an error text kept in a row (receivers' errors can be long).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
