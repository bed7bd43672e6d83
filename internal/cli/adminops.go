package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/admin"
	"github.com/faceprint/faceprint/internal/api"
	"github.com/faceprint/faceprint/internal/api/tencent"
	"github.com/faceprint/faceprint/internal/app"
	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/store"
)

// adminOps is what the app/plan/registry commands do, either directly on the
// data dir / database or through a running server's admin API (--server).
type adminOps interface {
	CreateApp(ctx context.Context, name string, qps int) (auth.NewApp, error)
	ListApps(ctx context.Context) ([]admin.AppView, error)
	ShowApp(ctx context.Context, id string) (admin.AppView, error)
	RotateSecret(ctx context.Context, id string) (auth.NewApp, error)
	SetDisabled(ctx context.Context, id string, disabled bool) (admin.AppView, error)
	WebhookSecret(ctx context.Context, id string) (map[string]string, error)
	TencentCredentials(ctx context.Context, id string) (map[string]string, error)
	CreatePlan(ctx context.Context, appID, name string, o plan.Options) (*plan.Plan, error)
	UpdatePlan(ctx context.Context, id, name string, disabled *bool, options []byte) (*plan.Plan, error)
	ListPlans(ctx context.Context, appID string) ([]plan.Plan, error)
	ShowPlan(ctx context.Context, id string) (*plan.Plan, error)
	Enrol(ctx context.Context, appID, name, idNumber string, photo []byte) error
	ListRegistry(ctx context.Context, appID string) ([]admin.RegistryView, error)
	Unenrol(ctx context.Context, appID, idNumber string) error
	Close() error
}

// adminFlags are shared by the admin commands.
type adminFlags struct {
	server string
	token  string
	db     string
	config string
}

func (f *adminFlags) bind(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.server, "server", os.Getenv("FACEPRINT_SERVER"), "use a running server's admin API at this base URL instead of the local data dir")
	cmd.PersistentFlags().StringVar(&f.token, "admin-token", os.Getenv("FACEPRINT_ADMIN_TOKEN"), "admin API token (default: DATA_DIR/admin.token)")
	cmd.PersistentFlags().StringVar(&f.db, "db", "", "postgres://… database (default: FACEPRINT_DB, else SQLite in the data dir)")
	cmd.PersistentFlags().StringVar(&f.config, "config", os.Getenv("FACEPRINT_CONFIG"), "the server's YAML config (for db and pii_key)")
}

func (f *adminFlags) open(ctx context.Context, env *Env) (adminOps, error) {
	if f.server != "" {
		tok := f.token
		if tok == "" {
			t, err := app.ReadAdminToken(env.DataDir)
			if err != nil {
				return nil, fmt.Errorf("--admin-token is needed with --server (or DATA_DIR/admin.token): %w", err)
			}
			tok = t
		}
		return &remoteAdmin{base: strings.TrimRight(f.server, "/"), token: tok, hc: &http.Client{Timeout: 30 * time.Second}}, nil
	}
	// The same database and PII key as the server: registry entries are sealed alike.
	cfg := config.Defaults()
	if f.config != "" {
		if err := cfg.LoadFile(f.config); err != nil {
			return nil, err
		}
	}
	cfg.LoadEnv()
	cfg.DataDir = env.DataDir
	if f.db != "" {
		cfg.DB = f.db
	}
	sealer, err := app.NewSealer(cfg)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DB, cfg.SQLitePath())
	if err != nil {
		return nil, err
	}
	a := &auth.Service{Store: st, Clock: time.Now}
	svc := &admin.Service{Store: st, Auth: a, Clock: time.Now, Registry: app.NewRegistry(st, sealer, time.Now)}
	l := &localAdmin{svc: svc, st: st}
	if key, err := app.ReadSigningKey(cfg); err == nil {
		svc.WebhookSecret = func(id string) string { return app.WebhookSecret(key, id) }
		l.tencentKey = tencent.KeyFromSigningKey(key)
	}
	return l, nil
}

const cliActor = "cli"

type localAdmin struct {
	svc        *admin.Service
	st         store.Store
	tencentKey []byte // nil: no signing key readable
}

func (l *localAdmin) Close() error { return l.st.Close() }
func (l *localAdmin) CreateApp(ctx context.Context, name string, qps int) (auth.NewApp, error) {
	return l.svc.CreateApp(ctx, cliActor, name, qps)
}
func (l *localAdmin) ListApps(ctx context.Context) ([]admin.AppView, error) {
	return l.svc.ListApps(ctx)
}
func (l *localAdmin) ShowApp(ctx context.Context, id string) (admin.AppView, error) {
	return l.svc.ShowApp(ctx, id)
}
func (l *localAdmin) RotateSecret(ctx context.Context, id string) (auth.NewApp, error) {
	return l.svc.RotateSecret(ctx, cliActor, id)
}
func (l *localAdmin) SetDisabled(ctx context.Context, id string, d bool) (admin.AppView, error) {
	return l.svc.SetDisabled(ctx, cliActor, id, d)
}
func (l *localAdmin) WebhookSecret(ctx context.Context, id string) (map[string]string, error) {
	return l.svc.AppWebhookSecret(ctx, id)
}
func (l *localAdmin) TencentCredentials(ctx context.Context, id string) (map[string]string, error) {
	if l.tencentKey == nil {
		return nil, errors.New("tencent credentials unavailable: the signing key is not readable (run where the server's data dir or FACEPRINT_SIGNING_KEY is)")
	}
	a, err := l.st.GetApp(ctx, id)
	if err != nil {
		return nil, err
	}
	return api.TencentCredentials(l.tencentKey, a), nil
}
func (l *localAdmin) CreatePlan(ctx context.Context, appID, name string, o plan.Options) (*plan.Plan, error) {
	return l.svc.CreatePlan(ctx, cliActor, appID, name, o)
}
func (l *localAdmin) UpdatePlan(ctx context.Context, id, name string, disabled *bool, options []byte) (*plan.Plan, error) {
	return l.svc.UpdatePlanFields(ctx, cliActor, id, name, disabled, options)
}
func (l *localAdmin) ListPlans(ctx context.Context, appID string) ([]plan.Plan, error) {
	return l.svc.ListPlans(ctx, appID)
}
func (l *localAdmin) ShowPlan(ctx context.Context, id string) (*plan.Plan, error) {
	return l.svc.ShowPlan(ctx, id)
}
func (l *localAdmin) Enrol(ctx context.Context, appID, name, idNumber string, photo []byte) error {
	return l.svc.Enrol(ctx, cliActor, appID, name, idNumber, photo)
}
func (l *localAdmin) ListRegistry(ctx context.Context, appID string) ([]admin.RegistryView, error) {
	return l.svc.ListRegistry(ctx, appID)
}
func (l *localAdmin) Unenrol(ctx context.Context, appID, idNumber string) error {
	return l.svc.Unenrol(ctx, cliActor, appID, idNumber)
}

type remoteAdmin struct {
	base, token string
	hc          *http.Client
}

func (r *remoteAdmin) Close() error { return nil }

func (r *remoteAdmin) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin API: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		var e struct{ Error string }
		_ = json.Unmarshal(data, &e)
		return fmt.Errorf("admin API %s %s: %d %s", method, path, resp.StatusCode, e.Error)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (r *remoteAdmin) CreateApp(ctx context.Context, name string, qps int) (n auth.NewApp, err error) {
	err = r.do(ctx, "POST", "/admin/api/apps", map[string]any{"name": name, "qps": qps}, &n)
	return n, err
}
func (r *remoteAdmin) ListApps(ctx context.Context) (v []admin.AppView, err error) {
	err = r.do(ctx, "GET", "/admin/api/apps", nil, &v)
	return v, err
}
func (r *remoteAdmin) ShowApp(ctx context.Context, id string) (v admin.AppView, err error) {
	err = r.do(ctx, "GET", "/admin/api/apps/"+id, nil, &v)
	return v, err
}
func (r *remoteAdmin) RotateSecret(ctx context.Context, id string) (n auth.NewApp, err error) {
	err = r.do(ctx, "POST", "/admin/api/apps/"+id+"/rotate-secret", nil, &n)
	return n, err
}
func (r *remoteAdmin) SetDisabled(ctx context.Context, id string, d bool) (v admin.AppView, err error) {
	action := "enable"
	if d {
		action = "disable"
	}
	err = r.do(ctx, "POST", "/admin/api/apps/"+id+"/"+action, nil, &v)
	return v, err
}
func (r *remoteAdmin) WebhookSecret(ctx context.Context, id string) (v map[string]string, err error) {
	err = r.do(ctx, "GET", "/admin/api/apps/"+id+"/webhook-secret", nil, &v)
	return v, err
}
func (r *remoteAdmin) TencentCredentials(ctx context.Context, id string) (v map[string]string, err error) {
	err = r.do(ctx, "GET", "/admin/api/apps/"+id+"/tencent-credentials", nil, &v)
	return v, err
}
func (r *remoteAdmin) CreatePlan(ctx context.Context, appID, name string, o plan.Options) (p *plan.Plan, err error) {
	err = r.do(ctx, "POST", "/admin/api/plans", map[string]any{"app_id": appID, "name": name, "options": o}, &p)
	return p, err
}
func (r *remoteAdmin) UpdatePlan(ctx context.Context, id, name string, disabled *bool, options []byte) (p *plan.Plan, err error) {
	in := map[string]any{"name": name, "disabled": disabled}
	if len(options) > 0 {
		// Send the file as JSON so the server applies it over the current version.
		var m map[string]any
		if err := yamlToMap(options, &m); err != nil {
			return nil, err
		}
		in["options"] = m
	}
	err = r.do(ctx, "POST", "/admin/api/plans/"+id, in, &p)
	return p, err
}
func (r *remoteAdmin) ListPlans(ctx context.Context, appID string) (v []plan.Plan, err error) {
	err = r.do(ctx, "GET", "/admin/api/plans?app="+appID, nil, &v)
	return v, err
}
func (r *remoteAdmin) ShowPlan(ctx context.Context, id string) (p *plan.Plan, err error) {
	err = r.do(ctx, "GET", "/admin/api/plans/"+id, nil, &p)
	return p, err
}
func (r *remoteAdmin) Enrol(ctx context.Context, appID, name, idNumber string, photo []byte) error {
	return r.do(ctx, "POST", "/admin/api/registry", map[string]any{"app_id": appID, "name": name, "id_number": idNumber, "photo": photo}, nil)
}
func (r *remoteAdmin) ListRegistry(ctx context.Context, appID string) (v []admin.RegistryView, err error) {
	err = r.do(ctx, "GET", "/admin/api/registry?app="+appID, nil, &v)
	return v, err
}
func (r *remoteAdmin) Unenrol(ctx context.Context, appID, idNumber string) error {
	return r.do(ctx, "POST", "/admin/api/registry/delete", map[string]string{"app_id": appID, "id_number": idNumber}, nil)
}
