package h5

import (
	"context"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/verify"
)

// One active browser per session. Before the start any browser may open the
// link (that is how the QR hand-off works); the browser that starts the
// session holds it. Another browser's API calls are refused while the holder
// is active, and the link opens in another browser only after the holder has
// been idle for IdleTakeover: then the new browser takes the session over and
// the old one, if it comes back, is told the session continues elsewhere.
// The page pings every 20 s while it is visible, so "idle" means closed, in
// the background, or off the network for a minute.
//
// The record of the holder is kept in this process (like the rate limits);
// with several instances the session's last recorded activity (shared, via
// the verify service) also has to be a minute old before a take-over.

// IdleTakeover is how long the active browser must be silent before another
// may take the session over (docs/h5.md).
const IdleTakeover = 60 * time.Second

// activity is implemented by *verify.Service (internal/verify/takeover.go).
type activity interface {
	LastActivity(ctx context.Context, token string) (time.Time, error)
}

var _ activity = (*verify.Service)(nil)

type holder struct {
	nonce string
	at    time.Time
}

type devices struct {
	mu        sync.Mutex
	m         map[string]holder // by token hash
	lastSweep time.Time
}

func newDevices() *devices { return &devices{m: map[string]holder{}} }

// use records an API call of the browser nonce. claim: the call moves the
// flow on (start, card, confirm, capture …), so the caller becomes the
// holder if there is none or the holder is idle. It reports false when
// another browser holds the session and is active.
func (d *devices) use(key, nonce string, claim bool, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.m[key]
	switch {
	case ok && e.nonce == nonce:
		d.m[key] = holder{nonce, now}
	case ok && now.Sub(e.at) < IdleTakeover:
		return false
	case claim:
		d.set(key, nonce, now)
	}
	return true
}

// idle is how long the holder has been silent; known is false when this
// process has not seen one.
func (d *devices) idle(key string, now time.Time) (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.m[key]
	return now.Sub(e.at), ok
}

// take makes nonce the holder (a take-over at the entry page).
func (d *devices) take(key, nonce string, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.set(key, nonce, now)
}

func (d *devices) set(key, nonce string, now time.Time) {
	d.m[key] = holder{nonce, now}
	// Bounded: sessions live two hours; forget holders silent for longer.
	if now.Sub(d.lastSweep) > time.Minute {
		d.lastSweep = now
		for k, e := range d.m {
			if now.Sub(e.at) > 2*sessionLifetime {
				delete(d.m, k)
			}
		}
	}
}

// mayTakeOver reports whether a browser without the session's cookie may
// take over the started session of token now.
func (h *Handler) mayTakeOver(ctx context.Context, token string, now time.Time) bool {
	idle, known := h.devices.idle(tokenHash(token), now)
	if known && idle < IdleTakeover {
		return false
	}
	a, ok := h.cfg.Verify.(activity)
	if !ok {
		// Nothing shared to ask: only this process's record counts.
		return known
	}
	last, err := a.LastActivity(ctx, token)
	if err != nil {
		return false
	}
	return now.Sub(last) >= IdleTakeover
}
