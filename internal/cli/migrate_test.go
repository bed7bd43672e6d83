package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/faceprint/faceprint/internal/store"
)

func TestMigrateCommands(t *testing.T) {
	dir := t.TempDir()
	latest := len(store.Migrations())
	out, err := run(t, "migrate", "status", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "schema version 0") || !strings.Contains(out, "pending 0001_initial") {
		t.Fatalf("status of an empty database: %q %v", out, err)
	}
	out, err = run(t, "migrate", "up", "--data-dir", dir)
	if err != nil || strings.Count(out, "applied ") != latest {
		t.Fatalf("up: %q %v", out, err)
	}
	if out, err = run(t, "migrate", "up", "--data-dir", dir); err != nil || strings.TrimSpace(out) != "up to date" {
		t.Fatalf("second up: %q %v", out, err)
	}
	out, err = run(t, "migrate", "status", "--data-dir", dir, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Current, Latest int
		Applied         []struct{ Version int }
		Pending         []int
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Current != latest || st.Latest != latest || len(st.Applied) != latest || len(st.Pending) != 0 {
		t.Fatalf("json status: %s (%v)", out, err)
	}
}
