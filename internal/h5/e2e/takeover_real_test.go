package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/h5"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
)

// The take-over rule against the real verify service and store (no engines,
// no browser): the session's recorded activity is what another process
// would see, and it must be a minute old too.
func TestRealTakeOverAfterIdle(t *testing.T) {
	c := testclock.New(time.Now())
	e := testenv.Start(t, testenv.Options{NoEngines: true, Clock: c.Now})
	o := plan.Defaults()
	o.IdentityInput, o.CompareSource, o.Liveness.Mode = plan.InputManual, plan.CompareNone, plan.LivenessSilent
	tok := e.Generate(e.CreatePlan(o))
	open := func(cl *http.Client) (int, string) {
		res, err := cl.Get(e.H5URL(tok))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := csrfMeta.FindSubmatch(b)
		if m == nil {
			return res.StatusCode, ""
		}
		return res.StatusCode, string(m[1])
	}
	client := func() *http.Client { jar, _ := cookiejar.New(nil); return &http.Client{Jar: jar} }
	a := client()
	_, csrf := open(a)
	req, _ := http.NewRequest("POST", e.URL+h5.Base+"api/start", nil)
	req.Header.Set("X-FP-Token", tok)
	req.Header.Set("X-FP-CSRF", csrf)
	res, err := a.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("start: %v %v", err, res)
	}
	res.Body.Close()
	if code, _ := open(client()); code != http.StatusForbidden {
		t.Fatalf("second browser right after the start: %d", code)
	}
	c.Add(h5.IdleTakeover + time.Second)
	if code, _ := open(client()); code != http.StatusOK {
		t.Fatalf("second browser after a minute idle: %d", code)
	}
}
