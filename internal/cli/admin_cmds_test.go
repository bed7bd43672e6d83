package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/testenv"
)

// run executes the CLI with args and returns what it printed on stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root, out := newRootTo()
	root.SetArgs(args)
	root.SetErr(&bytes.Buffer{})
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestAppAndPlanCommandsLocal(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "app", "create", "--data-dir", dir, "--name", "shop", "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]string
	_ = json.Unmarshal([]byte(out), &raw)
	if len(raw) != 3 || raw["app_id"] == "" || len(raw["api_key"]) != 24 || len(raw["secret_key"]) != 32 {
		t.Fatalf("app create output: %s", out)
	}
	// The secret is stored hashed: it appears nowhere in the database file.
	db, _ := os.ReadFile(filepath.Join(dir, "faceprint.db"))
	wal, _ := os.ReadFile(filepath.Join(dir, "faceprint.db-wal"))
	if bytes.Contains(db, []byte(raw["secret_key"])) || bytes.Contains(wal, []byte(raw["secret_key"])) {
		t.Fatal("secret stored in clear")
	}
	out, err = run(t, "plan", "create", "--data-dir", dir, "--app", raw["app_id"], "--name", "kyc", "--file", filepath.Join("..", "..", "docs", "plan.example.yaml"), "--threshold", "85", "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil || p["plan_id"] == "" {
		t.Fatalf("plan create: %s %v", out, err)
	}
	out, err = run(t, "plan", "show", "--data-dir", dir, p["plan_id"])
	if err != nil || !strings.Contains(out, `"similarity_threshold": 85`) || !strings.Contains(out, `"card_sides": "front_back"`) {
		t.Fatalf("plan show: %s %v", out, err)
	}
	if _, err := run(t, "plan", "update", "--data-dir", dir, p["plan_id"], "--liveness", "telepathy"); err == nil || !strings.Contains(err.Error(), "liveness.mode") {
		t.Fatalf("invalid update accepted: %v", err)
	}
	out, err = run(t, "plan", "update", "--data-dir", dir, p["plan_id"], "--liveness", "silent", "--output", "json")
	if err != nil || !strings.Contains(out, `"version": 2`) || !strings.Contains(out, `"mode": "silent"`) {
		t.Fatalf("plan update: %s %v", out, err)
	}
	if _, err := run(t, "app", "disable", "--data-dir", dir, raw["app_id"]); err != nil {
		t.Fatal(err)
	}
	out, _ = run(t, "app", "list", "--data-dir", dir)
	if !strings.Contains(out, "true") {
		t.Fatalf("disabled app: %s", out)
	}
}

func TestAdminCommandsAgainstServer(t *testing.T) {
	e := testenv.Start(t, testenv.Options{NoEngines: true, Config: func(c *config.Config) { c.AdminToken = "s3cret-admin-token-for-tests" }})
	out, err := run(t, "app", "create", "--server", e.URL, "--admin-token", "s3cret-admin-token-for-tests", "--name", "remote", "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]string
	if err := json.Unmarshal([]byte(out), &raw); err != nil || raw["secret_key"] == "" {
		t.Fatalf("%s %v", out, err)
	}
	if _, err := run(t, "plan", "create", "--server", e.URL, "--admin-token", "s3cret-admin-token-for-tests", "--app", raw["app_id"], "--name", "p", "--identity-input", "manual", "--compare-source", "none"); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "plan", "list", "--server", e.URL, "--admin-token", "s3cret-admin-token-for-tests", "--app", raw["app_id"], "--output", "json")
	if err != nil || !strings.Contains(out, `"identity_input": "manual"`) {
		t.Fatalf("%s %v", out, err)
	}
	if _, err := run(t, "app", "list", "--server", e.URL, "--admin-token", "wrong"); err == nil {
		t.Fatal("wrong admin token accepted")
	}
	// The app created through the server is usable for OAuth at once.
	if _, err := e.App.Auth.IssueToken(context.Background(), raw["api_key"], raw["secret_key"]); err != nil {
		t.Fatal(err)
	}
}

func TestConfigExampleLoads(t *testing.T) {
	c := config.Defaults()
	if err := c.LoadFile(filepath.Join("..", "..", "docs", "config.example.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.PublicURL != "https://verify.example.com" {
		t.Fatalf("%v %+v", err, c)
	}
}

func TestRegistryCommandsLocalAndRemote(t *testing.T) {
	photo := filepath.Join(t.TempDir(), "p.jpg")
	if err := os.WriteFile(photo, append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 300)...), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv("FACEPRINT_PII_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	out, err := run(t, "app", "create", "--data-dir", dir, "--name", "school", "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var a map[string]string
	json.Unmarshal([]byte(out), &a)
	if _, err := run(t, "registry", "enrol", "--data-dir", dir, "--app", a["app_id"], "--name", "张三", "--id-number", "11010119900307803X", "--photo", photo); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "registry", "list", "--data-dir", dir, "--app", a["app_id"])
	if err != nil || !strings.Contains(out, "110***********803X") || !strings.Contains(out, "张*") {
		t.Fatalf("list: %s %v", out, err)
	}
	db, _ := os.ReadFile(filepath.Join(dir, "faceprint.db"))
	wal, _ := os.ReadFile(filepath.Join(dir, "faceprint.db-wal"))
	if bytes.Contains(append(db, wal...), []byte("11010119900307803X")) || bytes.Contains(append(db, wal...), []byte("张三")) {
		t.Fatal("registry identity stored in clear despite the PII key")
	}
	if _, err := run(t, "registry", "delete", "--data-dir", dir, "--app", a["app_id"], "11010119900307803X"); err != nil {
		t.Fatal(err)
	}
	if out, _ = run(t, "registry", "list", "--data-dir", dir, "--app", a["app_id"]); strings.Contains(out, "803X") {
		t.Fatalf("not deleted: %s", out)
	}

	e := testenv.Start(t, testenv.Options{NoEngines: true, Config: func(c *config.Config) { c.AdminToken = "s3cret-admin-token-for-tests" }})
	remote := []string{"--server", e.URL, "--admin-token", "s3cret-admin-token-for-tests"}
	if _, err := run(t, append([]string{"registry", "enrol", "--app", e.AppID, "--name", "李四", "--id-number", "11010119900307803X", "--photo", photo}, remote...)...); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, append([]string{"registry", "delete", "--app", e.AppID, "11010119900307803X"}, remote...)...); err != nil {
		t.Fatal(err)
	}
}
