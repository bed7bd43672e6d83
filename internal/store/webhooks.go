package store

import (
	"context"
	"time"
)

func (s *SQL) EnqueueWebhook(ctx context.Context, w Webhook) error {
	_, err := s.exec(ctx, "INSERT INTO webhooks (app_id, url, body, attempts, next_at, created_at) VALUES (?,?,?,?,?,?)",
		w.AppID, w.URL, string(w.Body), w.Attempts, ms(w.NextAt), ms(w.CreatedAt))
	return wrap("enqueue webhook", err)
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
		WHERE next_at <= ? AND id IN (SELECT id FROM webhooks WHERE next_at <= ? ORDER BY next_at LIMIT ?`+lock+`)
		RETURNING id, app_id, url, body, attempts, next_at, created_at`), ms(lease), ms(now), ms(now), limit)
	if err != nil {
		return nil, wrap("claim webhooks", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		var w Webhook
		var body string
		var n, c int64
		if err := rows.Scan(&w.ID, &w.AppID, &w.URL, &body, &w.Attempts, &n, &c); err != nil {
			return nil, wrap("claim webhooks", err)
		}
		w.Body, w.NextAt, w.CreatedAt = []byte(body), fromMS(n), fromMS(c)
		out = append(out, w)
	}
	return out, wrap("claim webhooks", rows.Err())
}

func (s *SQL) FinishWebhook(ctx context.Context, id int64) error {
	_, err := s.exec(ctx, "DELETE FROM webhooks WHERE id = ?", id)
	return wrap("finish webhook", err)
}

func (s *SQL) RetryWebhook(ctx context.Context, id int64, attempts int, next time.Time) error {
	_, err := s.exec(ctx, "UPDATE webhooks SET attempts = ?, next_at = ? WHERE id = ?", attempts, ms(next), id)
	return wrap("retry webhook", err)
}
