package verify_test

import (
	"context"
	"errors"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/store"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/verify/verifytest"
)

type fixture struct {
	svc   *verify.Service
	st    store.Store
	clk   *testclock.Clock
	appID string
	blobs string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "fp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	clk := testclock.New(time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC))
	a := &auth.Service{Store: st, Clock: clk.Now}
	n, err := a.CreateApp(context.Background(), "t", 0)
	if err != nil {
		t.Fatal(err)
	}
	svc := &verify.Service{Store: st, Blobs: bl, Clock: clk.Now,
		Cards:    &verifytest.Card{Front: verifytest.SpecimenFront, Back: verifytest.SpecimenBack},
		Liveness: &verifytest.Liveness{}, Matcher: &verifytest.Matcher{Score: 93.7835}}
	return &fixture{svc: svc, st: st, clk: clk, appID: n.AppID, blobs: filepath.Join(dir, "blobs")}
}

func (f *fixture) plan(t *testing.T, mut func(*plan.Options)) string {
	t.Helper()
	o := plan.Defaults()
	if mut != nil {
		mut(&o)
	}
	o.Normalize()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{ID: auth.RandomDigits(10), AppID: f.appID, Name: "p", Version: 1, CreatedAt: f.clk.Now(), Options: o}
	if err := f.st.CreatePlan(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

var jpeg = []byte("\xff\xd8\xff\xe0 fake jpeg bytes for the fake engines \xff\xd9")

func capture() verify.Capture {
	return verify.Capture{Frames: []verify.Frame{{AtMillis: 0, Image: jpeg}, {AtMillis: 100, Image: jpeg}}}
}

// confirmed starts a manual-entry session and confirms 张三's identity; it returns the verify token.
func confirmed(t *testing.T, f *fixture, pid, failedURL string) string {
	t.Helper()
	ctx := context.Background()
	tok, err := f.svc.Generate(ctx, f.appID, pid, "", failedURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Start(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmIdentity(ctx, tok, "张三", "11010119900307803X"); err != nil {
		t.Fatal(err)
	}
	return tok
}

// liveness drives the challenge + capture step.
func liveness(t *testing.T, f *fixture, tok string) verify.Decision {
	t.Helper()
	ch, _, err := f.svc.IssueChallenge(context.Background(), tok, false)
	if err != nil {
		t.Fatalf("challenge: %v", err)
	}
	dec, _, err := f.svc.SubmitCapture(context.Background(), tok, ch.ID, capture())
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	return dec
}

func TestOCRPlanPassesAndResultsHaveSeedContent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) { o.CardSides = plan.SidesFrontBack })
	tok, err := f.svc.Generate(ctx, f.appID, pid, "https://biz.example/ok", "https://biz.example/fail")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Detail(ctx, f.appID, tok); !errors.Is(err, verify.ErrNotFinished) {
		t.Fatalf("detail before finish: %v, want ErrNotFinished", err)
	}
	v, err := f.svc.Start(ctx, tok)
	if err != nil || v.Step != "card_front" {
		t.Fatalf("start: %v %+v", err, v)
	}
	res, v, err := f.svc.SubmitCard(ctx, tok, verify.SideFront, jpeg)
	if err != nil || !res.Accepted || res.IDNumber != verifytest.SpecimenFront.IDCardNumber || v.Step != "card_back" {
		t.Fatalf("front: %v %+v %+v", err, res, v)
	}
	if _, v, err = f.svc.SubmitCard(ctx, tok, verify.SideBack, jpeg); err != nil || v.Step != "confirm" {
		t.Fatalf("back: %v %+v", err, v)
	}
	if _, err := f.svc.ConfirmIdentity(ctx, tok, "柴小明", "370211199602165826"); !errors.Is(err, verify.ErrInvalidIdentity) {
		t.Fatalf("bad checksum accepted: %v", err)
	}
	if v, err = f.svc.ConfirmIdentity(ctx, tok, "柴小明", "370211199602165828"); err != nil || v.Step != "liveness" {
		t.Fatalf("confirm: %v %+v", err, v)
	}
	dec := liveness(t, f, tok)
	if !dec.Passed || !dec.Final {
		t.Fatalf("decision %+v", dec)
	}
	d, err := f.svc.Detail(ctx, f.appID, tok)
	if err != nil {
		t.Fatal(err)
	}
	if d.VerifyResult.Score != 93.7835 || d.VerifyResult.LivenessScore != 0.9673 {
		t.Errorf("verify_result %+v", d.VerifyResult)
	}
	if d.IDCardOCRResult == nil || *d.IDCardOCRResult != (verify.IDCardFields{Name: "柴小明", Gender: "女", Nation: "汉", Birthday: "19960216", Address: "山东省青岛市黄岛区长江路1号",
		IDCardNumber: "370211199602165828", IssueAuthority: "胶南市公安局", IssueTime: "20121103", ExpireTime: "20321103"}) {
		t.Errorf("ocr %+v", d.IDCardOCRResult)
	}
	if d.IDCardImages == nil || d.IDCardImages.FrontBase64 == "" || d.IDCardImages.BackBase64 == "" {
		t.Errorf("images missing")
	}
	if d.IDCardConfirm.Name != "柴小明" || d.IDCardConfirm.IDCardNumber != "370211199602165828" {
		t.Errorf("confirm %+v", d.IDCardConfirm)
	}
	st, err := f.svc.Stat(ctx, f.appID, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.IDCard) != 1 || st.IDCard[0] != (verify.StatRow{ErrorCode: 0, Count: 2}) || len(st.Liveness) != 1 || len(st.Verify) != 1 {
		t.Errorf("stat %+v", st)
	}
	simple, err := f.svc.Simple(ctx, f.appID, tok, func(k string) string { return "u:" + k })
	if err != nil || simple.Image == "" {
		t.Errorf("simple %+v %v", simple, err)
	}
	// The token is single use after success.
	if _, err := f.svc.Open(ctx, tok); !errors.Is(err, verify.ErrTokenInvalid) {
		t.Errorf("open after success: %v", err)
	}
	// Another app cannot read it.
	if _, err := f.svc.Detail(ctx, "other", tok); !errors.Is(err, verify.ErrTokenInvalid) {
		t.Errorf("foreign app: %v", err)
	}
}

func TestRetriesThenFailure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) {
		o.IdentityInput, o.CompareSource, o.MaxAttempts = plan.InputManual, plan.CompareUploaded, 2
	})
	tok, _ := f.svc.Generate(ctx, f.appID, pid, "", "")
	if err := f.svc.UploadMatchImage(ctx, f.appID, tok, jpeg); err != nil {
		t.Fatal(err)
	}
	m := &verifytest.Matcher{Score: 41}
	f.svc.Matcher = m
	if _, err := f.svc.Start(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmIdentity(ctx, tok, "张三", "11010119900307803X"); err != nil {
		t.Fatal(err)
	}
	dec := liveness(t, f, tok)
	if dec.Passed || dec.Final || dec.AttemptsLeft != 1 || dec.Reason != "face_mismatch" {
		t.Fatalf("first attempt %+v", dec)
	}
	// The comparison used the capture's frames as a template (FrameMatcher).
	if n := m.Frames.Load(); n < 1 {
		t.Errorf("MatchFrames not used: %d frames", n)
	}
	if _, err := f.svc.Detail(ctx, f.appID, tok); !errors.Is(err, verify.ErrNotFinished) {
		t.Fatalf("detail mid-retry: %v", err)
	}
	dec = liveness(t, f, tok)
	if dec.Passed || !dec.Final || dec.AttemptsLeft != 0 {
		t.Fatalf("second attempt %+v", dec)
	}
	if _, err := f.svc.Simple(ctx, f.appID, tok, func(string) string { return "" }); !errors.Is(err, verify.ErrVerifyFailed) {
		t.Errorf("simple after failure: %v", err)
	}
	g, err := f.svc.GetAll(ctx, f.appID, tok, func(k string) string { return k })
	if err != nil || g.VerifyCount != 2 || g.VerifyResult[1].Code != "222356" || g.VerifyResult[0].VerifyDetail["score"] != 41.0 {
		t.Fatalf("getall %+v %v", g, err)
	}
}

func TestLivenessFailureInvalidates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) {
		o.IdentityInput, o.CompareSource, o.InvalidateOnFailure = plan.InputManual, plan.CompareNone, true
	})
	f.svc.Liveness = &verifytest.Liveness{Fail: true, Reason: "static_image"}
	tok := confirmed(t, f, pid, "https://biz.example/fail")
	dec := liveness(t, f, tok)
	if dec.Passed || !dec.Final || dec.Reason != "static_image" {
		t.Fatalf("%+v", dec)
	}
	var te *verify.TokenError
	if _, err := f.svc.Open(ctx, tok); !errors.As(err, &te) || te.FailedURL != "https://biz.example/fail" {
		t.Fatalf("open after failure: %v", err)
	}
	d, err := f.svc.Detail(ctx, f.appID, tok)
	if err != nil || d.Reason != "static_image" || d.VerifyResult.Score != 0 {
		t.Fatalf("detail %+v %v", d, err)
	}
	st, _ := f.svc.Stat(ctx, f.appID, tok)
	if len(st.Liveness) != 1 || st.Liveness[0].ErrorCode != 216434 {
		t.Fatalf("stat %+v", st)
	}
}

func TestSubmittedPlanSkipsConfirmAndRegistryReference(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) { o.IdentityInput, o.CompareSource = plan.InputSubmitted, plan.CompareNone })
	tok, _ := f.svc.Generate(ctx, f.appID, pid, "", "")
	if _, err := f.svc.Start(ctx, tok); !errors.Is(err, verify.ErrNotReady) {
		t.Fatalf("start before submit: %v", err)
	}
	if err := f.svc.SubmitIdentity(ctx, f.appID, tok, "张三", "11010119900307803X", 0); err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.Start(ctx, tok)
	if err != nil || v.Step != "liveness" || v.Name != "张三" {
		t.Fatalf("%v %+v", err, v)
	}
	if _, err := f.svc.ConfirmIdentity(ctx, tok, "李四", "11010119900307803X"); !errors.Is(err, verify.ErrWrongState) {
		t.Fatalf("confirm on submitted plan: %v", err)
	}
	if dec := liveness(t, f, tok); !dec.Passed {
		t.Fatalf("%+v", dec)
	}
	d, _ := f.svc.Detail(ctx, f.appID, tok)
	if d.IDCardOCRResult != nil || d.IDCardConfirm.Name != "张三" {
		t.Fatalf("%+v", d)
	}
}

func TestExpiryAndRetentionPurge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) {
		o.IdentityInput, o.CompareSource, o.MaskPII = plan.InputManual, plan.CompareNone, true
	})
	done, _ := f.svc.Generate(ctx, f.appID, pid, "", "")
	f.svc.Start(ctx, done)
	f.svc.ConfirmIdentity(ctx, done, "张三丰", "11010119900307803X")
	liveness(t, f, done)
	d, _ := f.svc.Detail(ctx, f.appID, done)
	if d.IDCardConfirm.Name != "张**" || d.IDCardConfirm.IDCardNumber != "110***********803X" {
		t.Fatalf("masking: %+v", d.IDCardConfirm)
	}
	idle, _ := f.svc.Generate(ctx, f.appID, pid, "", "")

	f.clk.Add(2*time.Hour + time.Second)
	if _, err := f.svc.Open(ctx, idle); !errors.Is(err, verify.ErrTokenInvalid) {
		t.Fatalf("expired token opened: %v", err)
	}
	if _, err := f.svc.Detail(ctx, f.appID, idle); !errors.Is(err, verify.ErrTokenInvalid) {
		t.Fatalf("expired unfinished detail: %v", err)
	}
	if _, err := f.svc.Detail(ctx, f.appID, done); err != nil {
		t.Fatalf("finished result readable within 3 days: %v", err)
	}
	f.clk.Add(72 * time.Hour)
	if _, err := f.svc.Detail(ctx, f.appID, done); !errors.Is(err, verify.ErrResultExpired) {
		t.Fatalf("after window: %v", err)
	}
	n, err := f.svc.PurgeExpired(ctx, 100)
	if err != nil || n != 2 {
		t.Fatalf("purge: %d %v", n, err)
	}
	// Personal data is gone, counts stay.
	rec, _ := f.st.GetSessionByToken(ctx, auth.Hash(done))
	if !rec.Purged || containsAny(string(rec.Data), "张三丰", "11010119900307803X") {
		t.Fatalf("purged data still holds PII: %s", rec.Data)
	}
	stats, _ := f.st.Stats(ctx, rec.ID)
	if len(stats) == 0 {
		t.Fatal("stats were deleted by the purge")
	}
	if _, err := f.svc.Stat(ctx, f.appID, done); !errors.Is(err, verify.ErrResultExpired) {
		t.Fatalf("stat after purge: %v", err)
	}
	if n, _ := f.svc.PurgeExpired(ctx, 100); n != 0 {
		t.Fatalf("second purge found %d", n)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if len(x) > 0 && len(s) >= len(x) && (func() bool {
			for i := 0; i+len(x) <= len(s); i++ {
				if s[i:i+len(x)] == x {
					return true
				}
			}
			return false
		})() {
			return true
		}
	}
	return false
}

func TestConcurrentReadsDuringPurgeAndStepsRace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) { o.IdentityInput, o.CompareSource = plan.InputManual, plan.CompareNone })
	var toks []string
	for range 10 {
		tok := confirmed(t, f, pid, "")
		liveness(t, f, tok)
		toks = append(toks, tok)
	}
	f.clk.Add(80 * time.Hour)
	var wg sync.WaitGroup
	for _, tok := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				_, err := f.svc.Detail(ctx, f.appID, tok)
				if err != nil && !errors.Is(err, verify.ErrResultExpired) {
					t.Errorf("detail during purge: %v", err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := f.svc.PurgeExpired(ctx, 100); err != nil {
			t.Errorf("purge: %v", err)
		}
	}()
	wg.Wait()
	// Concurrent diagnostics on one live session never lose updates.
	tok, _ := f.svc.Generate(ctx, f.appID, pid, "", "")
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.svc.RecordDiagnostics(ctx, tok, verify.Diagnostics{Reason: "ok", Width: i}); err != nil && !errors.Is(err, verify.ErrBusy) {
				t.Errorf("diagnostics: %v", err)
			}
		}()
	}
	wg.Wait()
}

func TestValidIDNumber(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{{"11010119900307803X", true}, {"11010119900307803x", true}, {"370211199602165828", true}, {"370211199602165827", false},
		{"11010119901307803X", false}, {"1101011990030780", false}, {"01010119900307803X", false}} {
		if got := verify.ValidIDNumber(c.s); got != c.ok {
			t.Errorf("%s: %v", c.s, got)
		}
	}
}

func TestOverloadDoesNotCostAnAttempt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) {
		o.IdentityInput, o.CompareSource, o.MaxAttempts = plan.InputManual, plan.CompareNone, 1
	})
	tok := confirmed(t, f, pid, "")
	f.svc.Liveness = &verifytest.Liveness{Busy: true}
	ch, _, _ := f.svc.IssueChallenge(ctx, tok, false)
	if _, _, err := f.svc.SubmitCapture(ctx, tok, ch.ID, capture()); !errors.Is(err, verify.ErrBusy) {
		t.Fatalf("busy engine: %v", err)
	}
	f.svc.Liveness = &verifytest.Liveness{}
	if _, _, err := f.svc.SubmitCapture(ctx, tok, ch.ID, capture()); !errors.Is(err, verify.ErrWrongState) {
		t.Fatalf("a claimed challenge was reusable: %v", err)
	}
	if dec := liveness(t, f, tok); !dec.Passed {
		t.Fatalf("after overload the single attempt was already used: %+v", dec)
	}
}

// cancelling wraps a liveness engine and cancels the request context while analysing,
// as a phone dropping the connection would.
type cancelling struct {
	verify.Liveness
	cancel context.CancelFunc
}

func (c cancelling) Analyze(ctx context.Context, ch verify.Challenge, o plan.LivenessOptions, cap verify.Capture) (verify.LivenessOutcome, error) {
	c.cancel()
	return c.Liveness.Analyze(ctx, ch, o, cap)
}

func TestDisconnectDuringDecisionStillDecides(t *testing.T) {
	f := newFixture(t)
	bg := context.Background()
	pid := f.plan(t, func(o *plan.Options) { o.IdentityInput, o.CompareSource = plan.InputManual, plan.CompareNone })
	tok, _ := f.svc.Generate(bg, f.appID, pid, "", "")
	f.svc.Start(bg, tok)
	f.svc.ConfirmIdentity(bg, tok, "张三", "11010119900307803X")
	ch, _, _ := f.svc.IssueChallenge(bg, tok, false)
	ctx, cancel := context.WithCancel(bg)
	f.svc.Liveness = cancelling{Liveness: &verifytest.Liveness{}, cancel: cancel}
	dec, _, err := f.svc.SubmitCapture(ctx, tok, ch.ID, capture())
	if err != nil || !dec.Passed {
		t.Fatalf("decision lost with the connection: %+v %v", dec, err)
	}
}

func TestAbandonedDecisionIsGivenBack(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) { o.IdentityInput, o.CompareSource = plan.InputManual, plan.CompareNone })
	tok := confirmed(t, f, pid, "")
	f.svc.IssueChallenge(ctx, tok, false)
	// Simulate a crash mid-decision: the stored state is "deciding".
	rec, _ := f.st.GetSessionByToken(ctx, auth.Hash(tok))
	rec.State = string(verify.StateDeciding)
	rec.Data = []byte(`{"deciding_since":"` + f.clk.Now().Format(time.RFC3339Nano) + `"}`)
	if err := f.st.UpdateSession(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.IssueChallenge(ctx, tok, false); !errors.Is(err, verify.ErrWrongState) {
		t.Fatalf("challenge while deciding: %v", err)
	}
	f.clk.Add(5 * time.Minute)
	if dec := liveness(t, f, tok); !dec.Passed || dec.AttemptsLeft != 0 {
		t.Fatalf("after the abandoned decision: %+v", dec)
	}
}

func TestChallengeFishingEndsTheSession(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) {
		o.IdentityInput, o.CompareSource, o.MaxAttempts = plan.InputManual, plan.CompareNone, 2
	})
	tok := confirmed(t, f, pid, "https://biz.example/fail")
	var err error
	n := 0
	for ; n < 50; n++ {
		if _, _, err = f.svc.IssueChallenge(ctx, tok, false); err != nil {
			break
		}
	}
	var te *verify.TokenError
	if !errors.As(err, &te) || n != 8 || te.FailedURL != "https://biz.example/fail" {
		t.Fatalf("after %d challenges: %v", n, err)
	}
	d, err := f.svc.Detail(ctx, f.appID, tok)
	if err != nil || d.Reason != "challenge_limit" {
		t.Fatalf("%+v %v", d, err)
	}
}

// failingRefs is an authority that is down.
type failingRefs struct{}

func (failingRefs) Reference(context.Context, verify.ReferenceRequest) (verify.Reference, error) {
	return verify.Reference{ErrorCode: 222361}, errors.New("dial tcp: connection refused")
}

func TestAuthorityOutageCostsNoAttempt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) {
		o.IdentityInput, o.CompareSource, o.Authority, o.InvalidateOnFailure = plan.InputManual, plan.CompareAuthority, "gov", true
	})
	f.svc.References = failingRefs{}
	tok := confirmed(t, f, pid, "")
	ch, _, _ := f.svc.IssueChallenge(ctx, tok, false)
	if _, _, err := f.svc.SubmitCapture(ctx, tok, ch.ID, capture()); !errors.Is(err, verify.ErrEngine) {
		t.Fatalf("outage: %v", err)
	}
	v, err := f.svc.View(ctx, tok)
	if err != nil || v.State != string(verify.StateIdentityConfirmed) || v.AttemptsLeft != 3 {
		t.Fatalf("after the outage: %+v %v", v, err)
	}
	st, _ := f.svc.Stat(ctx, f.appID, tok)
	if len(st.Verify) != 1 || st.Verify[0].ErrorCode != 222361 {
		t.Fatalf("stat %+v", st)
	}
}

func TestUnreadableRowDoesNotBlockThePurge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) { o.IdentityInput, o.CompareSource = plan.InputManual, plan.CompareNone })
	bad, _ := f.svc.Generate(ctx, f.appID, pid, "", "")
	rec, _ := f.st.GetSessionByToken(ctx, auth.Hash(bad))
	rec.Data = []byte("fp1:sealed-with-a-key-we-lost")
	f.st.UpdateSession(ctx, rec)
	f.clk.Add(time.Minute)
	good, _ := f.svc.Generate(ctx, f.appID, pid, "", "")
	f.clk.Add(100 * time.Hour)
	n, err := f.svc.PurgeExpired(ctx, 10)
	if n != 2 || err != nil {
		t.Fatalf("purged %d: %v", n, err)
	}
	for _, tok := range []string{bad, good} {
		if r, _ := f.st.GetSessionByToken(ctx, auth.Hash(tok)); !r.Purged {
			t.Errorf("%s not purged", tok)
		}
	}
}

// TestCompareRefusedForQuality: a reference the matcher cannot compare
// reliably fails with its quality code and reason "face_quality", not as
// "no face" or as a mismatch.
func TestCompareRefusedForQuality(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) {
		o.IdentityInput, o.CompareSource, o.MaxAttempts = plan.InputManual, plan.CompareUploaded, 1
	})
	tok, _ := f.svc.Generate(ctx, f.appID, pid, "", "")
	if err := f.svc.UploadMatchImage(ctx, f.appID, tok, jpeg); err != nil {
		t.Fatal(err)
	}
	f.svc.Matcher = &verifytest.Matcher{RefusedCode: 223114}
	if _, err := f.svc.Start(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmIdentity(ctx, tok, "张三", "11010119900307803X"); err != nil {
		t.Fatal(err)
	}
	dec := liveness(t, f, tok)
	if dec.Passed || dec.Reason != "face_quality" {
		t.Fatalf("decision %+v", dec)
	}
	st, _ := f.svc.Stat(ctx, f.appID, tok)
	if len(st.Verify) != 1 || st.Verify[0].ErrorCode != 223114 {
		t.Fatalf("stat %+v", st)
	}
}
