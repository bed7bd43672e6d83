package verify

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
)

// planCache keeps plan versions in memory: a version never changes, so it
// can be cached for good (bounded); the latest version of a plan is cached
// for latestTTL, so a plan update reaches new sessions within that time on
// every replica.
type planCache struct {
	mu       sync.Mutex
	versions map[string]*plan.Plan
	latest   map[string]latestEntry
}

type latestEntry struct {
	p     *plan.Plan
	until time.Time
}

const (
	latestTTL     = 2 * time.Second
	maxCachedPlan = 10000
)

func (s *Service) planVersion(ctx context.Context, id string, v int) (*plan.Plan, error) {
	key := id + "@" + strconv.Itoa(v)
	s.plans.mu.Lock()
	if p, ok := s.plans.versions[key]; ok {
		s.plans.mu.Unlock()
		return p, nil
	}
	s.plans.mu.Unlock()
	p, err := s.Store.GetPlanVersion(ctx, id, v)
	if err != nil {
		return nil, err
	}
	s.plans.mu.Lock()
	if s.plans.versions == nil || len(s.plans.versions) >= maxCachedPlan {
		s.plans.versions = map[string]*plan.Plan{}
	}
	s.plans.versions[key] = p
	s.plans.mu.Unlock()
	return p, nil
}

func (s *Service) latestPlan(ctx context.Context, id string) (*plan.Plan, error) {
	now := time.Now() // cache freshness is wall-clock, not the injected domain clock
	s.plans.mu.Lock()
	if e, ok := s.plans.latest[id]; ok && now.Before(e.until) {
		s.plans.mu.Unlock()
		return e.p, nil
	}
	s.plans.mu.Unlock()
	p, err := s.Store.GetPlan(ctx, id)
	if err != nil {
		return nil, err
	}
	s.plans.mu.Lock()
	if s.plans.latest == nil || len(s.plans.latest) >= maxCachedPlan {
		s.plans.latest = map[string]latestEntry{}
	}
	s.plans.latest[id] = latestEntry{p: p, until: now.Add(latestTTL)}
	s.plans.mu.Unlock()
	return p, nil
}

// ForgetPlan drops the cached latest version of a plan (called after an update in this process).
func (s *Service) ForgetPlan(id string) {
	s.plans.mu.Lock()
	delete(s.plans.latest, id)
	s.plans.mu.Unlock()
}
