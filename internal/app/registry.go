package app

import (
	"context"
	"errors"

	"github.com/faceprint/faceprint/internal/authority"
	"github.com/faceprint/faceprint/internal/seal"
	"github.com/faceprint/faceprint/internal/store"
)

// registryStore keeps the local registry authority's entries in the
// database, sealing name and photo when a PII key is configured.
type registryStore struct {
	st   store.Store
	seal *seal.Sealer
}

var _ authority.RegistryStore = registryStore{}

func (r registryStore) Put(ctx context.Context, e authority.Entry) error {
	return r.st.PutRegistryEntry(ctx, store.RegistryEntry{AppID: e.AppID, IDNumber: e.IDNumber,
		Name: string(r.seal.Seal([]byte(e.Name))), Photo: r.seal.Seal(e.Photo), CreatedAt: e.CreatedAt})
}

func (r registryStore) open(e store.RegistryEntry) (authority.Entry, error) {
	name, err := r.seal.Open([]byte(e.Name))
	if err != nil {
		return authority.Entry{}, err
	}
	photo, err := r.seal.Open(e.Photo)
	if err != nil {
		return authority.Entry{}, err
	}
	return authority.Entry{AppID: e.AppID, IDNumber: e.IDNumber, Name: string(name), Photo: photo, CreatedAt: e.CreatedAt}, nil
}

func (r registryStore) Get(ctx context.Context, appID, idNumber string) (authority.Entry, bool, error) {
	e, err := r.st.GetRegistryEntry(ctx, appID, idNumber)
	if errors.Is(err, store.ErrNotFound) {
		return authority.Entry{}, false, nil
	}
	if err != nil {
		return authority.Entry{}, false, err
	}
	out, err := r.open(e)
	return out, err == nil, err
}

func (r registryStore) Delete(ctx context.Context, appID, idNumber string) error {
	err := r.st.DeleteRegistryEntry(ctx, appID, idNumber)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func (r registryStore) List(ctx context.Context, appID string, limit int) ([]authority.Entry, error) {
	es, err := r.st.ListRegistryEntries(ctx, appID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]authority.Entry, 0, len(es))
	for _, e := range es {
		o, err := r.open(e)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}
