// Package admin is the operator's toolbox: apps, plans (versioned), the local
// registry and the audit trail. The CLI calls it directly on a data dir or
// database; the admin HTTP API exposes the same operations for replicas.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/authority"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
)

// ErrInvalid marks a request the operator must correct (bad plan options, names).
var ErrInvalid = errors.New("invalid")

// Service performs admin operations and records each in the audit trail.
type Service struct {
	Store store.Store
	Auth  *auth.Service
	Clock func() time.Time
	// Registry is the local reference-face registry (enrolment validates and normalises).
	Registry *authority.Registry
	// WebhookSecret returns an app's callback signing key.
	WebhookSecret func(appID string) string
	// OnPlanChange is told about every plan update (the verify service drops its cache).
	OnPlanChange func(planID string)
}

func (s *Service) audit(ctx context.Context, actor, action, target, detail string) {
	_ = s.Store.AddAudit(ctx, store.AuditEntry{At: s.Clock(), Actor: actor, Action: action, Target: target, Detail: detail})
}

// AppView is an app as shown to operators (never the secret).
type AppView struct {
	AppID     string    `json:"app_id"`
	Name      string    `json:"name"`
	APIKey    string    `json:"api_key"`
	Disabled  bool      `json:"disabled"`
	QPS       int       `json:"qps"`
	CreatedAt time.Time `json:"created_at"`
}

func viewApp(a *auth.App) AppView {
	return AppView{AppID: a.ID, Name: a.Name, APIKey: a.APIKey, Disabled: a.Disabled, QPS: a.QPS, CreatedAt: a.CreatedAt}
}

// CreateApp creates an app; the returned secret is shown once. qps > 0 sets
// its per-replica request limit (0: the server default).
func (s *Service) CreateApp(ctx context.Context, actor, name string, qps int) (auth.NewApp, error) {
	if strings.TrimSpace(name) == "" {
		return auth.NewApp{}, fmt.Errorf("%w: --name is required", ErrInvalid)
	}
	if qps < 0 || qps > 1000000 {
		return auth.NewApp{}, fmt.Errorf("%w: qps must be within 0–1000000", ErrInvalid)
	}
	n, err := s.Auth.CreateApp(ctx, name, qps)
	if err != nil {
		return n, err
	}
	s.audit(ctx, actor, "app.create", n.AppID, "")
	return n, nil
}

// ListApps lists apps.
func (s *Service) ListApps(ctx context.Context) ([]AppView, error) {
	apps, err := s.Store.ListApps(ctx)
	out := make([]AppView, 0, len(apps))
	for i := range apps {
		out = append(out, viewApp(&apps[i]))
	}
	return out, err
}

// ShowApp shows one app.
func (s *Service) ShowApp(ctx context.Context, id string) (AppView, error) {
	a, err := s.Store.GetApp(ctx, id)
	if err != nil {
		return AppView{}, err
	}
	return viewApp(a), nil
}

// RotateSecret issues a new secret and revokes the app's access tokens.
func (s *Service) RotateSecret(ctx context.Context, actor, id string) (auth.NewApp, error) {
	n, err := s.Auth.RotateSecret(ctx, id)
	if err == nil {
		s.audit(ctx, actor, "app.rotate_secret", id, "")
	}
	return n, err
}

// SetDisabled disables or enables an app.
func (s *Service) SetDisabled(ctx context.Context, actor, id string, disabled bool) (AppView, error) {
	a, err := s.Auth.SetDisabled(ctx, id, disabled)
	if err != nil {
		return AppView{}, err
	}
	s.audit(ctx, actor, map[bool]string{true: "app.disable", false: "app.enable"}[disabled], id, "")
	return viewApp(a), nil
}

// AppWebhookSecret shows the key an app's callbacks are signed with.
func (s *Service) AppWebhookSecret(ctx context.Context, id string) (map[string]string, error) {
	if _, err := s.Store.GetApp(ctx, id); err != nil {
		return nil, err
	}
	if s.WebhookSecret == nil {
		return nil, errors.New("webhook secret unavailable: no signing key")
	}
	return map[string]string{"app_id": id, "webhook_secret": s.WebhookSecret(id)}, nil
}

// ParseOptions reads plan options from YAML or JSON (JSON is YAML), strict about unknown keys.
func ParseOptions(data []byte, base plan.Options) (plan.Options, error) {
	o := base
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&o); err != nil && !errors.Is(err, io.EOF) {
		return o, fmt.Errorf("%w: plan file: %v", ErrInvalid, err)
	}
	return o, nil
}

// CreatePlan creates version 1 of a plan for app.
func (s *Service) CreatePlan(ctx context.Context, actor, appID, name string, o plan.Options) (*plan.Plan, error) {
	if _, err := s.Store.GetApp(ctx, appID); err != nil {
		return nil, fmt.Errorf("app %s: %w", appID, err)
	}
	if strings.TrimSpace(name) == "" || len(name) > 128 {
		return nil, fmt.Errorf("%w: plan name must be 1–128 bytes", ErrInvalid)
	}
	o.Normalize()
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	for range 5 {
		p := &plan.Plan{ID: auth.RandomDigits(10), AppID: appID, Name: name, Version: 1, CreatedAt: s.Clock(), Options: o}
		err := s.Store.CreatePlan(ctx, p)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.audit(ctx, actor, "plan.create", p.ID, "app "+appID)
		return p, nil
	}
	return nil, errors.New("create plan: could not draw a unique id")
}

// UpdatePlan stores a new version of a plan. Sessions created earlier keep
// being judged by their own version.
func (s *Service) UpdatePlan(ctx context.Context, actor, id string, change func(*plan.Plan) error) (*plan.Plan, error) {
	for range 5 {
		p, err := s.Store.GetPlan(ctx, id)
		if err != nil {
			return nil, err
		}
		next := *p
		if err := change(&next); err != nil {
			return nil, err
		}
		next.Options.Normalize()
		if err := next.Options.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		next.Version, next.CreatedAt = p.Version+1, s.Clock()
		err = s.Store.CreatePlan(ctx, &next)
		if errors.Is(err, store.ErrConflict) {
			continue // someone else updated concurrently: apply on top of theirs
		}
		if err != nil {
			return nil, err
		}
		s.audit(ctx, actor, "plan.update", id, fmt.Sprintf("version %d", next.Version))
		if s.OnPlanChange != nil {
			s.OnPlanChange(id)
		}
		return &next, nil
	}
	return nil, store.ErrConflict
}

// UpdatePlanFields stores a new version with a new name, disabled flag
// and/or options document (YAML or JSON applied over the current options).
func (s *Service) UpdatePlanFields(ctx context.Context, actor, id, name string, disabled *bool, options []byte) (*plan.Plan, error) {
	return s.UpdatePlan(ctx, actor, id, func(p *plan.Plan) error {
		if name != "" {
			p.Name = name
		}
		if disabled != nil {
			p.Disabled = *disabled
		}
		if len(options) > 0 {
			o, err := ParseOptions(options, p.Options)
			if err != nil {
				return err
			}
			p.Options = o
		}
		return nil
	})
}

// ListPlans lists the latest version of each plan (of one app when appID is set).
func (s *Service) ListPlans(ctx context.Context, appID string) ([]plan.Plan, error) {
	return s.Store.ListPlans(ctx, appID)
}

// ShowPlan shows the latest version of a plan.
func (s *Service) ShowPlan(ctx context.Context, id string) (*plan.Plan, error) {
	return s.Store.GetPlan(ctx, id)
}

// Enrol adds a person to the local registry (compare_source=registry).
func (s *Service) Enrol(ctx context.Context, actor, appID, name, idNumber string, photo []byte) error {
	if len(photo) < 100 || len(photo) > 10<<20 {
		return fmt.Errorf("%w: photo must be an image of at most 10 MB", ErrInvalid)
	}
	if _, err := s.Store.GetApp(ctx, appID); err != nil {
		return fmt.Errorf("app %s: %w", appID, err)
	}
	if _, err := s.Registry.Enrol(ctx, appID, name, idNumber, photo); err != nil {
		if errors.Is(err, authority.ErrEnrol) {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return err
	}
	s.audit(ctx, actor, "registry.enrol", appID, verify.MaskIDNumber(authority.NormalizeIDNumber(idNumber)))
	return nil
}

// Unenrol removes a person from the registry.
func (s *Service) Unenrol(ctx context.Context, actor, appID, idNumber string) error {
	err := s.Registry.Store.Delete(ctx, appID, authority.NormalizeIDNumber(idNumber))
	if err == nil {
		s.audit(ctx, actor, "registry.delete", appID, verify.MaskIDNumber(idNumber))
	}
	return err
}

// RegistryView is a registry entry without the photo, masked.
type RegistryView struct {
	Name      string    `json:"name"`
	IDNumber  string    `json:"id_number"`
	CreatedAt time.Time `json:"created_at"`
}

// ListRegistry lists an app's enrolled people (masked).
func (s *Service) ListRegistry(ctx context.Context, appID string) ([]RegistryView, error) {
	es, err := s.Registry.Store.List(ctx, appID, 1000)
	out := make([]RegistryView, 0, len(es))
	for _, e := range es {
		out = append(out, RegistryView{Name: verify.MaskName(e.Name), IDNumber: verify.MaskIDNumber(e.IDNumber), CreatedAt: e.CreatedAt})
	}
	return out, err
}

// MarshalPlan renders a plan for display.
func MarshalPlan(p *plan.Plan) ([]byte, error) { return json.MarshalIndent(p, "", "  ") }
