// Package store persists apps, tokens, plans, verify sessions, stats, the
// local registry and short-lived keys, on SQLite (embedded default) or
// PostgreSQL, with one schema and one behaviour (a shared contract test suite).
package store

import (
	"context"
	"errors"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
)

// Errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict: the record changed or already exists")
)

// App is one API client (an application with API Key / Secret Key).
type App struct {
	ID         string    `json:"app_id"`
	Name       string    `json:"name"`
	APIKey     string    `json:"api_key"`
	SecretHash string    `json:"-"`
	Generation int       `json:"generation"` // bumped on rotate-secret/disable: older access tokens stop working
	Disabled   bool      `json:"disabled"`
	QPS        int       `json:"qps"` // per-app request limit per second (0 = server default)
	Rev        int       `json:"-"`   // optimistic concurrency: UpdateApp succeeds only on the stored Rev
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// SessionRecord is a verify session as stored. Data is the verify package's
// JSON; the columns beside it are what queries and the purge job need.
type SessionRecord struct {
	ID          string
	TokenHash   string
	AppID       string
	PlanID      string
	PlanVersion int
	State       string
	Rev         int // optimistic concurrency: UpdateSession succeeds only on the stored Rev
	CreatedAt   time.Time
	ExpiresAt   time.Time // the verify token's expiry (2 h)
	FinishedAt  time.Time // zero until final
	ResultUntil time.Time // results queryable until then; purge after
	Purged      bool
	ActiveAt    time.Time // the user's last action (zero: none yet); the lifecycle loop abandons idle sessions
	IDHash      string    // keyed hash of the session's ID number ("" until known, and after the purge)
	DataKey     string    // the session's data key, wrapped under the PII key ("" without one, and after the purge)
	Data        []byte
}

// Stat is one result/stat row: how often an API answered an error code.
type Stat struct {
	API       string
	ErrorCode int
	Count     int
}

// RegistryEntry is one enrolled person of the local registry authority.
type RegistryEntry struct {
	AppID     string
	IDNumber  string
	Name      string
	Photo     []byte // JPEG
	CreatedAt time.Time
}

// AuditEntry records an administrative action (never personal data).
type AuditEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
}

// Webhook statuses: a row is pending until delivered or given up (failed).
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	WebhookFailed    = "failed"
)

// Webhook is one callback delivery (a durable outbox row). Rows stay after
// delivery so operators can list and re-send a session's events.
type Webhook struct {
	ID        int64     `json:"id"`
	AppID     string    `json:"app_id"`
	SessionID string    `json:"session_id,omitempty"`
	Event     string    `json:"event,omitempty"`    // session.started, session.finished, …
	EventID   string    `json:"event_id,omitempty"` // idempotency key: a re-send keeps it
	URL       string    `json:"url"`
	Body      []byte    `json:"-"`
	Attempts  int       `json:"attempts"`
	Status    string    `json:"status"` // pending, delivered, failed
	NextAt    time.Time `json:"next_at"`
	CreatedAt time.Time `json:"created_at"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// Store is the persistence interface. Implementations are safe for concurrent use.
type Store interface {
	CreateApp(ctx context.Context, a *App) error
	GetApp(ctx context.Context, id string) (*App, error)
	GetAppByAPIKey(ctx context.Context, apiKey string) (*App, error)
	ListApps(ctx context.Context) ([]App, error)
	// UpdateApp writes a if the stored Rev equals a.Rev (else ErrConflict), then increments a.Rev.
	UpdateApp(ctx context.Context, a *App) error

	// CreatePlan stores a plan version (p.Version must be the next one; ErrConflict otherwise).
	CreatePlan(ctx context.Context, p *plan.Plan) error
	GetPlan(ctx context.Context, id string) (*plan.Plan, error) // latest version
	GetPlanVersion(ctx context.Context, id string, version int) (*plan.Plan, error)
	ListPlans(ctx context.Context, appID string) ([]plan.Plan, error)

	CreateSession(ctx context.Context, s *SessionRecord) error
	GetSession(ctx context.Context, id string) (*SessionRecord, error)
	GetSessionByToken(ctx context.Context, tokenHash string) (*SessionRecord, error)
	// UpdateSession writes s if the stored Rev equals s.Rev, then increments s.Rev.
	UpdateSession(ctx context.Context, s *SessionRecord) error
	// UpdateSessionWithWebhooks is UpdateSession plus outbox rows, in one
	// transaction: the events a state change causes are queued if and only if
	// the change commits.
	UpdateSessionWithWebhooks(ctx context.Context, s *SessionRecord, hooks []Webhook) error
	// OpenSessionsDue lists sessions that are not final and either passed
	// their token expiry (before now) or, once started, were idle since before idleBefore.
	OpenSessionsDue(ctx context.Context, now, idleBefore time.Time, limit int) ([]string, error)
	// SessionsToPurge lists sessions whose result window ended before now and that still hold personal data.
	SessionsToPurge(ctx context.Context, now time.Time, limit int) ([]string, error)
	ListSessions(ctx context.Context, appID string, limit int) ([]SessionRecord, error)
	// SessionsByIDHash lists the ids of the sessions whose ID number has this keyed hash.
	SessionsByIDHash(ctx context.Context, idHash string, limit int) ([]string, error)

	AddStat(ctx context.Context, sessionID, api string, errorCode int) error
	Stats(ctx context.Context, sessionID string) ([]Stat, error)

	PutRegistryEntry(ctx context.Context, e RegistryEntry) error
	GetRegistryEntry(ctx context.Context, appID, idNumber string) (RegistryEntry, error)
	DeleteRegistryEntry(ctx context.Context, appID, idNumber string) error
	ListRegistryEntries(ctx context.Context, appID string, limit int) ([]RegistryEntry, error)

	// PutKV stores a short-lived value; it fails with ErrConflict when the key exists and has not expired.
	PutKV(ctx context.Context, ns, key string, value []byte, expires time.Time) error
	// TakeKV returns and deletes a value atomically (single-use), ErrNotFound when missing or expired.
	TakeKV(ctx context.Context, ns, key string, now time.Time) ([]byte, error)
	GetKV(ctx context.Context, ns, key string, now time.Time) ([]byte, error)
	DeleteExpiredKV(ctx context.Context, now time.Time) (int64, error)

	// EnqueueWebhook adds a delivery to the outbox.
	EnqueueWebhook(ctx context.Context, w Webhook) error
	// ClaimWebhooks leases up to limit due deliveries until lease (other replicas skip them meanwhile).
	ClaimWebhooks(ctx context.Context, now, lease time.Time, limit int) ([]Webhook, error)
	// FinishWebhook marks a row delivered (failure "") or given up (failed,
	// with the last error); RetryWebhook reschedules it.
	FinishWebhook(ctx context.Context, id int64, at time.Time, failure string) error
	RetryWebhook(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error
	// ListWebhooks lists a session's deliveries, oldest first; GetWebhook reads one.
	ListWebhooks(ctx context.Context, sessionID string, limit int) ([]Webhook, error)
	GetWebhook(ctx context.Context, id int64) (*Webhook, error)
	// DeleteDoneWebhooks removes delivered and failed rows finished before t.
	DeleteDoneWebhooks(ctx context.Context, before time.Time) (int64, error)

	AddAudit(ctx context.Context, e AuditEntry) error
	ListAudit(ctx context.Context, limit int) ([]AuditEntry, error)

	Ping(ctx context.Context) error
	Close() error
}
