package h5

import (
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/verify"
)

// uploads buffers the frames or video of the challenge each session is
// answering, so that a flaky link can resend a frame or a chunk (keyed by
// index or offset) without starting over. Memory is bounded per session and
// across all sessions; abandoned buffers expire.
type uploads struct {
	mu    sync.Mutex
	lim   Limits
	total int64
	byKey map[string]*captureBuf // by token hash
}

type captureBuf struct {
	challengeID string
	issuedAt    time.Time
	maxFrames   int
	maxMillis   int64
	frames      map[int]verify.Frame
	video       []byte
	bytes       int64
	touched     time.Time
}

var (
	errNoChallenge = errors.New("no such challenge for this session")
	errTooLarge    = errors.New("upload too large")
	errBusy        = errors.New("server busy: too many uploads in progress")
	errBadIndex    = errors.New("frame index or time out of range")
	errGap         = errors.New("video chunk leaves a gap")
)

const bufferTTL = 15 * time.Minute

func newUploads(l Limits) *uploads { return &uploads{lim: l, byKey: map[string]*captureBuf{}} }

// begin starts a fresh buffer for a newly issued challenge, dropping any older one.
func (u *uploads) begin(key, challengeID string, maxFrames int, maxMillis int64, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.expire(now)
	u.dropLocked(key)
	if maxFrames <= 0 || maxFrames > u.lim.Frames {
		maxFrames = u.lim.Frames
	}
	if maxMillis <= 0 || maxMillis > 60000 {
		maxMillis = 60000
	}
	u.byKey[key] = &captureBuf{challengeID: challengeID, issuedAt: now, maxFrames: maxFrames, maxMillis: maxMillis,
		frames: map[int]verify.Frame{}, touched: now}
}

func (u *uploads) dropLocked(key string) {
	if b := u.byKey[key]; b != nil {
		u.total -= b.bytes
		delete(u.byKey, key)
	}
}

func (u *uploads) drop(key string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.dropLocked(key)
}

func (u *uploads) expire(now time.Time) {
	for k, b := range u.byKey {
		if now.Sub(b.touched) > bufferTTL {
			u.dropLocked(k)
		}
	}
}

func (u *uploads) get(key, challengeID string) (*captureBuf, error) {
	b := u.byKey[key]
	if b == nil || b.challengeID != challengeID {
		return nil, errNoChallenge
	}
	return b, nil
}

// putFrame stores frame index (idempotent: a resend replaces it).
func (u *uploads) putFrame(key, challengeID string, index int, at int64, img []byte, now time.Time) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	b, err := u.get(key, challengeID)
	if err != nil {
		return err
	}
	if index < 0 || index >= b.maxFrames || at < 0 || at > b.maxMillis+2000 {
		return errBadIndex
	}
	delta := int64(len(img))
	if old, ok := b.frames[index]; ok {
		delta -= int64(len(old.Image))
	}
	if u.total+delta > u.lim.BufferedBytes {
		return errBusy
	}
	b.frames[index] = verify.Frame{AtMillis: at, Image: img}
	b.bytes += delta
	u.total += delta
	b.touched = now
	return nil
}

// putVideo writes a chunk at offset; offsets past the end would leave a gap.
func (u *uploads) putVideo(key, challengeID string, offset int64, chunk []byte, now time.Time) (int64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b, err := u.get(key, challengeID)
	if err != nil {
		return 0, err
	}
	if offset < 0 || offset > int64(len(b.video)) {
		return int64(len(b.video)), errGap
	}
	end := offset + int64(len(chunk))
	if end > u.lim.VideoBytes {
		return int64(len(b.video)), errTooLarge
	}
	grow := max(0, end-int64(len(b.video)))
	if u.total+grow > u.lim.BufferedBytes {
		return int64(len(b.video)), errBusy
	}
	if grow > 0 {
		b.video = append(b.video, make([]byte, grow)...)
	}
	copy(b.video[offset:], chunk)
	b.bytes += grow
	u.total += grow
	b.touched = now
	return int64(len(b.video)), nil
}

// missingFrames lists the indices below n that were not received.
func (u *uploads) missingFrames(key, challengeID string, n int) ([]int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b, err := u.get(key, challengeID)
	if err != nil {
		return nil, err
	}
	var miss []int
	for i := 0; i < n; i++ {
		if _, ok := b.frames[i]; !ok {
			miss = append(miss, i)
		}
	}
	return miss, nil
}

// snapshot returns the buffered capture: frames 0..n-1 in order, or the video.
func (u *uploads) snapshot(key, challengeID string, n int) (verify.Capture, time.Time, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b, err := u.get(key, challengeID)
	if err != nil {
		return verify.Capture{}, time.Time{}, err
	}
	var c verify.Capture
	if n > 0 {
		idx := make([]int, 0, len(b.frames))
		for i := range b.frames {
			if i < n {
				idx = append(idx, i)
			}
		}
		sort.Ints(idx)
		for _, i := range idx {
			c.Frames = append(c.Frames, b.frames[i])
		}
	}
	c.Video = b.video
	return c, b.issuedAt, nil
}
