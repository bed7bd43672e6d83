package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/faceprint/faceprint/internal/idcard"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// OpenIDCard loads the ID card reader (PP-OCRv4 under <ModelsDir>/ocr). Its
// readings share a gate of cfg.Workers slots (default: the CPU count) that
// waits at most cfg.QueueWait before vision.ErrBusy. Each inference may use
// every core: a card read is what a user waits for (measured on 2 cores:
// p50 559 ms with one intra-op thread, 393 ms with two), and with spinning
// off the oversubscription under concurrent reads costs little throughput.
func OpenIDCard(rt *vision.Runtime, cfg EngineConfig) (*idcard.Reader, error) {
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	r, err := idcard.Open(rt, cfg.ModelsDir, ocr.Config{Threads: runtime.NumCPU()})
	if err != nil {
		return nil, fmt.Errorf("open idcard reader: %w", err)
	}
	r.SetGate(vision.NewGate(workers, cfg.QueueWait))
	return r, nil
}

// CardReader adapts the ID card reader to the verify session.
type CardReader struct {
	Reader *idcard.Reader
	Clock  func() time.Time
}

var _ verify.CardReader = CardReader{}

// ReadCard reads one side. Bad images are a reading with the Baidu intake
// code (216200/216201/216202/216203), not an error; a busy engine and a
// cancelled context are errors (vision.ErrBusy, ctx.Err()).
func (c CardReader) ReadCard(ctx context.Context, image []byte, side verify.CardSide) (verify.CardReading, error) {
	now := time.Now
	if c.Clock != nil {
		now = c.Clock
	}
	rd, err := c.Reader.ReadBytes(ctx, image, vision.DefaultLimits(), idcard.Options{
		Side: string(side), Now: now(), DetectRisk: true, DetectQuality: true, DetectDirection: true,
	})
	if err != nil {
		if code, _, ok := vision.IntakeCode(err); ok {
			return verify.CardReading{ErrorCode: code, ModelInfo: c.Reader.ModelInfo()}, nil
		}
		if errors.Is(err, vision.ErrBusy) || ctx.Err() != nil {
			return verify.CardReading{}, err
		}
		return verify.CardReading{ErrorCode: 216633, ModelInfo: c.Reader.ModelInfo()}, fmt.Errorf("read id card: %w", err)
	}
	raw, err := json.Marshal(rd.Response)
	if err != nil {
		return verify.CardReading{}, fmt.Errorf("encode id card result: %w", err)
	}
	out := verify.CardReading{
		ImageStatus: rd.Response.ImageStatus,
		RiskType:    rd.Response.RiskType,
		NumberType:  idcard.NumberTypeEmpty,
		Expired:     rd.Expired,
		Portrait:    rd.Portrait,
		Raw:         raw,
		ModelInfo:   c.Reader.ModelInfo(),
	}
	if rd.Response.IDCardNumberType != nil {
		out.NumberType = *rd.Response.IDCardNumberType
	}
	f := rd.Fields
	if side == verify.SideFront {
		out.Fields = verify.IDCardFields{
			Name: f[idcard.KeyName], Gender: f[idcard.KeySex], Nation: f[idcard.KeyNation],
			Birthday: f[idcard.KeyBirth], Address: f[idcard.KeyAddress], IDCardNumber: f[idcard.KeyNumber],
		}
	} else {
		out.Fields = verify.IDCardFields{
			IssueAuthority: f[idcard.KeyAuthority], IssueTime: f[idcard.KeyIssue], ExpireTime: f[idcard.KeyExpire],
		}
	}
	return out, nil
}
