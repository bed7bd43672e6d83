package app

import (
	"io"
	"log/slog"
)

// OpenEngines loads every engine it can. A missing runtime or model leaves
// that engine nil with the reason in Status (and /readyz); nothing fails.
func OpenEngines(cfg EngineConfig) *Engines {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := &Engines{status: map[string]string{}}
	rt, err := OpenRuntime(cfg)
	if err != nil {
		for _, n := range []string{"face", "idcard", "liveness"} {
			e.status[n] = err.Error()
		}
		cfg.Log.Warn("vision engines unavailable", "err", err)
		return e
	}
	e.closers = append(e.closers, rt)

	if f, err := OpenFace(rt, cfg); err != nil {
		e.status["face"] = err.Error()
		e.status["liveness"] = "needs the face engine: " + err.Error()
		cfg.Log.Warn("face engine unavailable", "err", err)
	} else {
		e.closers = append(e.closers, f)
		e.status["face"] = "ok"
		e.API.Face = f
		e.Matcher = FaceMatcher{Engine: f}
		e.openLiveness(f, cfg)
	}

	if r, err := OpenIDCard(rt, cfg); err != nil {
		e.status["idcard"] = err.Error()
		cfg.Log.Warn("ID card reader unavailable", "err", err)
	} else {
		e.closers = append(e.closers, r)
		e.status["idcard"] = "ok"
		e.API.IDCard = r
		e.Cards = CardReader{Reader: r}
	}
	return e
}
