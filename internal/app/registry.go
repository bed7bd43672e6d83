package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

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

// sealedIdentity is what the name column holds when a PII key is set: the
// name and the ID number, sealed; the number column then holds only a keyed tag.
type sealedIdentity struct {
	Name     string `json:"n"`
	IDNumber string `json:"i"`
}

func (r registryStore) Put(ctx context.Context, e authority.Entry) error {
	rec := store.RegistryEntry{AppID: e.AppID, IDNumber: e.IDNumber, Name: e.Name, Photo: e.Photo, CreatedAt: e.CreatedAt}
	if r.seal != nil {
		b, _ := json.Marshal(sealedIdentity{Name: e.Name, IDNumber: e.IDNumber})
		rec.IDNumber, rec.Name, rec.Photo = r.seal.Tag(e.IDNumber), string(r.seal.Seal(b)), r.seal.Seal(e.Photo)
	}
	return r.st.PutRegistryEntry(ctx, rec)
}

func (r registryStore) open(e store.RegistryEntry) (authority.Entry, error) {
	out := authority.Entry{AppID: e.AppID, IDNumber: e.IDNumber, Name: e.Name, Photo: e.Photo, CreatedAt: e.CreatedAt}
	if r.seal == nil {
		return out, nil
	}
	b, err := r.seal.Open([]byte(e.Name))
	if err != nil {
		return authority.Entry{}, err
	}
	var id sealedIdentity
	if err := json.Unmarshal(b, &id); err != nil {
		return authority.Entry{}, fmt.Errorf("registry entry: %w", err)
	}
	if out.Photo, err = r.seal.Open(e.Photo); err != nil {
		return authority.Entry{}, err
	}
	out.Name, out.IDNumber = id.Name, id.IDNumber
	return out, nil
}

func (r registryStore) Get(ctx context.Context, appID, idNumber string) (authority.Entry, bool, error) {
	e, err := r.st.GetRegistryEntry(ctx, appID, r.seal.Tag(idNumber))
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
	err := r.st.DeleteRegistryEntry(ctx, appID, r.seal.Tag(idNumber))
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
