package app

import (
	"context"
	"net/http"
	"time"

	"github.com/faceprint/faceprint/internal/authority"
	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/seal"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
)

// references resolves reference faces from the local registry and the
// configured authorities, for the verify session and person/verify.
type references struct{ r *authority.Resolver }

func (r references) Reference(ctx context.Context, req verify.ReferenceRequest) (verify.Reference, error) {
	return r.r.Reference(authority.WithAppID(ctx, req.AppID), req)
}

func newReferences(cfg config.Config, st store.Store, s *seal.Sealer, clock func() time.Time) (references, *authority.Registry) {
	reg := NewRegistry(st, s, clock)
	res := &authority.Resolver{Registry: reg, Authorities: map[string]authority.Authority{}}
	noRedirects := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, a := range cfg.Authorities {
		switch a.Type {
		case "gateway":
			res.Authorities[a.Name] = &authority.Gateway{Name: a.Name, BaseURL: a.URL, KeyID: a.KeyID, Secret: []byte(a.Secret),
				SendLive: a.SendLive, Timeout: a.Timeout, Retries: a.Retries, Clock: clock,
				Client: &http.Client{CheckRedirect: noRedirects}}
		case "baidu":
			res.Authorities[a.Name] = &authority.Upstream{Name: a.Name, BaseURL: a.URL, APIKey: a.APIKey, SecretKey: a.SecretKey,
				Timeout: a.Timeout, Clock: clock, Client: &http.Client{CheckRedirect: noRedirects}}
		}
	}
	return references{r: res}, reg
}

// NewSealer returns the PII sealer of a configuration (nil when no key is set).
func NewSealer(cfg config.Config) (*seal.Sealer, error) {
	if cfg.PIIKey == "" {
		return nil, nil
	}
	key, err := seal.ParseKey(cfg.PIIKey)
	if err != nil {
		return nil, err
	}
	return seal.New(key)
}

// NewRegistry is the local registry on a store, sealed with s (nil: plain).
func NewRegistry(st store.Store, s *seal.Sealer, clock func() time.Time) *authority.Registry {
	return &authority.Registry{Store: registryStore{st: st, seal: s}, Clock: clock}
}
