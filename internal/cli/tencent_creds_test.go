package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/faceprint/faceprint/internal/api"
	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/testenv"
)

// `app tencent-credentials` shows the pair the server verifies, locally
// (from the data dir's signing key) and through the admin API.
func TestTencentCredentialsCommand(t *testing.T) {
	e := testenv.Start(t, testenv.Options{NoEngines: true, Config: func(c *config.Config) { c.AdminToken = "s3cret-admin-token-for-tests" }})
	a, err := e.App.Store.GetApp(context.Background(), e.AppID)
	if err != nil {
		t.Fatal(err)
	}
	want := api.TencentCredentials(e.App.API.TencentKey, a)
	if !strings.HasPrefix(want["secret_id"], "AKIDfp"+e.AppID+"_") || len(want["secret_key"]) != 32 {
		t.Fatalf("credentials %v", want)
	}
	for name, args := range map[string][]string{
		"remote": {"app", "tencent-credentials", "--server", e.URL, "--admin-token", "s3cret-admin-token-for-tests", "--output", "json", e.AppID},
		"local":  {"app", "tencent-credentials", "--data-dir", e.DataDir, "--output", "json", e.AppID},
	} {
		out, err := run(t, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: %s", name, out)
		}
		if got["secret_id"] != want["secret_id"] || got["secret_key"] != want["secret_key"] {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if _, err := run(t, "app", "tencent-credentials", "--data-dir", e.DataDir, "nosuchapp"); err == nil {
		t.Error("unknown app accepted")
	}
}
