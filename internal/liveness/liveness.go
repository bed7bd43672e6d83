// Package liveness issues liveness challenges (action sequences, colour
// flash, silent, near-far) and judges captures against them: one face, the
// same person throughout, the requested actions in order and in time,
// natural 3D motion, no replayed, looped or spliced frames, and per-frame
// anti-spoofing. docs/liveness.md documents the checks and thresholds.
package liveness

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/face"
)

// Options tune the engine.
type Options struct {
	Workers     int              // frames analysed concurrently; 0 means 2
	EmbedStride int              // embed every n-th frame (identity, stillness); 0 means 3
	MaxFrames   int              // frames accepted from a capture; 0 means 120
	FrameLimits vision.Limits    // per uploaded frame
	Video       VideoLimits      // recorded videos
	Clock       func() time.Time // default time.Now
	Rand        io.Reader        // default crypto/rand
}

// Engine issues challenges and analyses captures. It is safe for concurrent use.
type Engine struct {
	face *face.Engine
	opts Options

	mu   sync.Mutex
	used map[string]time.Time // answered challenge IDs → expiry, for single use
}

// New builds an engine on a face engine (not owned: the caller closes it).
func New(fe *face.Engine, opts Options) (*Engine, error) {
	if fe == nil {
		return nil, errors.New("liveness: face engine is required")
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.EmbedStride <= 0 {
		opts.EmbedStride = 3
	}
	if opts.MaxFrames <= 0 {
		opts.MaxFrames = 120
	}
	if opts.FrameLimits == (vision.Limits{}) {
		opts.FrameLimits = vision.Limits{MaxBytes: 2 << 20, MaxSide: 1920, MaxPixels: 1920 * 1920, MinSide: 64}
	}
	if opts.Video == (VideoLimits{}) {
		opts.Video = DefaultVideoLimits()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	return &Engine{face: fe, opts: opts, used: map[string]time.Time{}}, nil
}

// Close releases the engine (the face engine belongs to the caller).
func (e *Engine) Close() error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	e.used = nil
	e.mu.Unlock()
	return nil
}

// ModelVersion names the models behind the checks.
func (e *Engine) ModelVersion() string { return e.face.ModelVersion() }

// NewChallenge issues a random challenge for the options.
func (e *Engine) NewChallenge(opts plan.LivenessOptions, now time.Time) (verify.Challenge, error) {
	return NewChallenge(opts, now, e.opts.Rand)
}

// consume marks a challenge as answered; false when it already was.
func (e *Engine) consume(ch verify.Challenge, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, exp := range e.used {
		if now.After(exp) {
			delete(e.used, id)
		}
	}
	if _, ok := e.used[ch.ID]; ok {
		return false
	}
	e.used[ch.ID] = ch.ExpiresAt
	return true
}

// Analyze judges a capture against a challenge issued by NewChallenge. A
// challenge can be answered once, before it expires. Frames are judged
// against the step timing; a recorded video only against the order of the
// actions (its clock is not synchronised with the challenge). Bad input is an
// outcome with an error code, never an error; errors are infrastructure
// failures (models, ffmpeg missing, busy).
func (e *Engine) Analyze(ctx context.Context, ch verify.Challenge, opts plan.LivenessOptions, c verify.Capture) (verify.LivenessOutcome, error) {
	now := e.opts.Clock()
	sec, err := ParseSecret(ch)
	if err != nil {
		return verify.LivenessOutcome{}, err
	}
	if !ch.ExpiresAt.IsZero() && now.After(ch.ExpiresAt) {
		return failed(CodeFailed, ReasonChallengeExpired), nil
	}
	if ch.ID != "" && !e.consume(ch, now) {
		return failed(CodeFailed, ReasonChallengeUsed), nil
	}
	frames, timed, code, err := e.intake(ctx, c)
	if err != nil {
		return verify.LivenessOutcome{}, err
	}
	if code != 0 {
		return failed(code, ReasonCaptureInvalid), nil
	}
	return e.AnalyzeFrames(ctx, sec, timed, frames, opts)
}

// AnalyzeVideo judges a recorded video against an order-only secret
// (ActionSecret) or a silent one; used by the REST faceliveness/verify API.
func (e *Engine) AnalyzeVideo(ctx context.Context, sec Secret, opts plan.LivenessOptions, video []byte) (verify.LivenessOutcome, error) {
	frames, _, code, err := e.intake(ctx, verify.Capture{Video: video})
	if err != nil {
		return verify.LivenessOutcome{}, err
	}
	if code != 0 {
		return failed(code, ReasonCaptureInvalid), nil
	}
	return e.AnalyzeFrames(ctx, sec, false, frames, opts)
}

func failed(code int, reason string) verify.LivenessOutcome {
	return verify.LivenessOutcome{ErrorCode: code, Reason: reason, Spoofing: 1,
		Checks: []verify.Check{{Name: "capture", Reason: reason}}}
}

// intake decodes the capture. code != 0 means the capture itself is bad.
func (e *Engine) intake(ctx context.Context, c verify.Capture) (frames []DecodedFrame, timed bool, code int, err error) {
	if len(c.Video) > 0 {
		fr, err := DecodeVideo(ctx, c.Video, e.opts.Video)
		if errors.Is(err, ErrNoFFmpeg) {
			return nil, false, 0, err
		}
		if err != nil {
			if len(c.Video) > e.opts.Video.MaxBytes {
				return nil, false, CodeImageSize, nil
			}
			return nil, false, CodeImageFormat, nil
		}
		return fr, false, 0, nil
	}
	if len(c.Frames) == 0 {
		return nil, true, CodeImageFormat, nil
	}
	if len(c.Frames) > e.opts.MaxFrames {
		return nil, true, CodeImageSize, nil
	}
	frames = make([]DecodedFrame, len(c.Frames))
	last := int64(-1)
	for i, f := range c.Frames {
		if f.AtMillis < 0 || f.AtMillis < last || f.AtMillis > 60_000 {
			return nil, true, CodeImageFormat, nil
		}
		last = f.AtMillis
		img, err := vision.Decode(f.Image, e.opts.FrameLimits)
		if err != nil {
			if c, _, ok := vision.IntakeCode(err); ok && c == CodeImageSize {
				return nil, true, CodeImageSize, nil
			}
			return nil, true, CodeImageFormat, nil
		}
		frames[i] = DecodedFrame{AtMillis: f.AtMillis, Image: img}
		if err := ctx.Err(); err != nil {
			return nil, true, 0, err
		}
	}
	return frames, true, 0, nil
}

// AnalyzeFrames runs every check on decoded frames. timed says whether the
// frame times are on the challenge's clock.
func (e *Engine) AnalyzeFrames(ctx context.Context, sec Secret, timed bool, frames []DecodedFrame, opts plan.LivenessOptions) (verify.LivenessOutcome, error) {
	t0 := time.Now()
	th := LevelThresholds(opts.Level)
	dropped := 0
	if !timed {
		// A recorded video repeats frames when its camera ran slower than
		// the resampling rate; drop the repeats instead of judging them.
		frames, dropped = dedupeFrames(frames)
	}
	obs, err := e.observe(ctx, frames)
	if err != nil {
		return verify.LivenessOutcome{}, err
	}
	a := &analysis{sec: sec, timed: timed, th: th, obs: obs, model: e.face.ModelVersion(), dropped: dropped}
	a.observeMillis = time.Since(t0).Milliseconds()
	out := a.run()
	for _, img := range a.bestFrames(5) {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err == nil {
			out.BestFrames = append(out.BestFrames, buf.Bytes())
		}
	}
	if len(out.BestFrames) > 0 {
		out.BestFrame = out.BestFrames[0]
	}
	return out, nil
}

// percentile of xs (sorted copy), p in 0…1.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(p*float64(len(s)-1) + 0.5)
	return s[i]
}

func median(xs []float64) float64 { return percentile(xs, 0.5) }

// cropForBest bounds the best frame to the face with a wide margin, so the
// stored collected face is small and holds no bystanders.
func cropForBest(img *image.NRGBA, b face.Box) image.Image {
	c := b.Center()
	side := 2.2 * max(b.Width, b.Height)
	r := image.Rect(int(c.X-side/2), int(c.Y-side/2), int(c.X+side/2), int(c.Y+side/2)).Intersect(img.Bounds())
	if r.Empty() {
		return img
	}
	return img.SubImage(r)
}

// dedupeFrames drops frames identical to the previous kept one.
func dedupeFrames(frames []DecodedFrame) ([]DecodedFrame, int) {
	if len(frames) == 0 {
		return frames, 0
	}
	out := []DecodedFrame{frames[0]}
	prev := thumbnail(frames[0].Image)
	for _, f := range frames[1:] {
		t := thumbnail(f.Image)
		if thumbDiff(t, prev) < dupDiff {
			continue
		}
		out = append(out, f)
		prev = t
	}
	return out, len(frames) - len(out)
}
