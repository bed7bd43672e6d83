package authority

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/verify"
)

// Entry is one enrolled person of an app's local registry.
type Entry struct {
	AppID     string
	IDNumber  string // normalised (NormalizeIDNumber)
	Name      string // normalised (NormalizeName)
	Photo     []byte // JPEG or PNG reference photo
	CreatedAt time.Time
}

// RegistryStore persists registry entries. The lead's store implements it
// on SQLite/PostgreSQL; MemoryStore serves tests and single-process use.
type RegistryStore interface {
	Put(ctx context.Context, e Entry) error
	Get(ctx context.Context, appID, idNumber string) (Entry, bool, error)
	Delete(ctx context.Context, appID, idNumber string) error
	List(ctx context.Context, appID string, limit int) ([]Entry, error)
}

// MemoryStore is an in-memory RegistryStore, safe for concurrent use.
type MemoryStore struct {
	mu sync.RWMutex
	m  map[[2]string]Entry
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[[2]string]Entry{}} }

// Put adds or replaces an entry.
func (s *MemoryStore) Put(_ context.Context, e Entry) error {
	e.IDNumber = NormalizeIDNumber(e.IDNumber)
	e.Photo = append([]byte(nil), e.Photo...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[[2]string{e.AppID, e.IDNumber}] = e
	return nil
}

// Get looks an entry up.
func (s *MemoryStore) Get(_ context.Context, appID, idNumber string) (Entry, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.m[[2]string{appID, NormalizeIDNumber(idNumber)}]
	return e, ok, nil
}

// Delete removes an entry (no error when absent).
func (s *MemoryStore) Delete(_ context.Context, appID, idNumber string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, [2]string{appID, NormalizeIDNumber(idNumber)})
	return nil
}

// List returns up to limit entries of an app, newest first.
func (s *MemoryStore) List(_ context.Context, appID string, limit int) ([]Entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Entry
	for k, e := range s.m {
		if k[0] == appID {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].IDNumber < out[j].IDNumber
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Registry is the local registry authority: a person enrolled with name,
// ID number and photo by the app itself.
type Registry struct {
	Store RegistryStore
	Clock func() time.Time
}

// ErrEnrol is returned for an enrolment with a bad name, number or photo.
var ErrEnrol = errors.New("authority: invalid enrolment")

// Enrol validates and stores an entry (replacing an earlier one).
func (r *Registry) Enrol(ctx context.Context, appID, name, idNumber string, photo []byte) (Entry, error) {
	if appID == "" {
		return Entry{}, fmt.Errorf("%w: app id is empty", ErrEnrol)
	}
	if code := CheckIdentity(name, idNumber); code != 0 {
		return Entry{}, fmt.Errorf("%w: error %d", ErrEnrol, code)
	}
	if len(photo) == 0 {
		return Entry{}, fmt.Errorf("%w: photo is empty", ErrEnrol)
	}
	now := time.Now
	if r.Clock != nil {
		now = r.Clock
	}
	e := Entry{AppID: appID, IDNumber: NormalizeIDNumber(idNumber), Name: NormalizeName(name), Photo: photo, CreatedAt: now()}
	if err := r.Store.Put(ctx, e); err != nil {
		return Entry{}, fmt.Errorf("authority: enrol: %w", err)
	}
	return e, nil
}

// Reference answers from the registry: 222351 when the number is not
// enrolled or the name differs, 222355 when the entry has no photo.
func (r *Registry) Reference(ctx context.Context, req verify.ReferenceRequest) (verify.Reference, error) {
	ref := verify.Reference{Source: "registry"}
	app := req.AppID
	if app == "" {
		app = AppID(ctx)
	}
	if app == "" {
		return verify.Reference{}, errors.New("authority: registry lookup without an app id (authority.WithAppID)")
	}
	e, ok, err := r.Store.Get(ctx, app, NormalizeIDNumber(req.IDNumber))
	if err != nil {
		ref.ErrorCode = CodeUnavailable
		return ref, nil
	}
	switch {
	case !ok || e.Name != NormalizeName(req.Name):
		ref.ErrorCode = CodeMismatch
	case len(e.Photo) == 0:
		ref.ErrorCode = CodeNoPhotoOnFile
	default:
		ref.Photo = e.Photo
	}
	return ref, nil
}
