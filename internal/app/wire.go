package app

// OpenEngines loads every engine it can. Each engine area plugs in here.
func OpenEngines(cfg EngineConfig) *Engines {
	e := &Engines{status: map[string]string{}, owned: true}
	e.status["face"], e.status["idcard"], e.status["liveness"] = "not installed", "not installed", "not installed"
	return e
}
