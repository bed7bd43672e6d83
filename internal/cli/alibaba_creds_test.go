package cli

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/faceprint/faceprint/internal/api/alibaba"
	"github.com/faceprint/faceprint/internal/testenv"
)

// `app alibaba-credentials` shows the pair the server verifies (from the
// data dir's signing key) and the SceneId of each plan.
func TestAlibabaCredentialsCommand(t *testing.T) {
	e := testenv.Start(t, testenv.Options{NoEngines: true})
	a, err := e.App.Store.GetApp(context.Background(), e.AppID)
	if err != nil {
		t.Fatal(err)
	}
	id, secret := alibaba.Keyring{Key: e.App.API.AlibabaKey}.Credentials(a.ID, a.Generation)
	out, err := run(t, "app", "alibaba-credentials", "--data-dir", e.DataDir, "--output", "json", e.AppID)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		AccessKeyID     string   `json:"access_key_id"`
		AccessKeySecret string   `json:"access_key_secret"`
		SceneIDs        []string `json:"scene_ids"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%s", out)
	}
	if got.AccessKeyID != id || got.AccessKeySecret != secret || !slices.Contains(got.SceneIDs, e.PlanID) {
		t.Errorf("got %+v, want %s %s and the plan's SceneId", got, id, secret)
	}
	if _, err := run(t, "app", "alibaba-credentials", "--data-dir", e.DataDir, "nosuchapp"); err == nil {
		t.Error("an unknown app was answered")
	}
	if _, err := run(t, "app", "alibaba-credentials", "--server", e.URL, e.AppID); err == nil {
		t.Error("--server was accepted")
	}
}
