package verify

import (
	"context"
	"time"
)

// LastActivity is when the session last recorded something of the user's
// (the consent, a step, a challenge). The H5 pages use it when they decide
// whether a second browser may take over a started session: their own record
// of the active browser lives in one process, this one is shared by all.
func (s *Service) LastActivity(ctx context.Context, token string) (time.Time, error) {
	ss, err := s.load(ctx, "", token)
	if err != nil {
		return time.Time{}, err
	}
	t := ss.data.ConsentAt
	for _, st := range ss.data.Steps {
		if st.At.After(t) {
			t = st.At
		}
	}
	if c := ss.data.Challenge; c != nil && c.IssuedAt.After(t) {
		t = c.IssuedAt
	}
	return t, nil
}
