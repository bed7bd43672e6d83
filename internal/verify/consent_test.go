package verify_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

func TestConsentIsRecordedAndReturned(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pid := f.plan(t, func(o *plan.Options) {
		o.IdentityInput, o.CompareSource, o.ConsentText, o.Language = plan.InputManual, plan.CompareNone, "I agree, v7.", "en"
	})
	tok, _ := f.svc.Generate(ctx, f.appID, pid, "", "")
	shown := sha256.Sum256([]byte("I agree, v7."))
	at := f.clk.Now()
	if _, err := f.svc.StartWithConsent(ctx, tok, verify.Consent{
		PagePath: "https://id.example/face/print/?token=" + tok + "&successUrl=x#frag", ShownSHA256: hex.EncodeToString(shown[:]),
	}); err != nil {
		t.Fatal(err)
	}
	// A second start does not overwrite the record.
	f.clk.Add(time.Minute)
	f.svc.StartWithConsent(ctx, tok, verify.Consent{PagePath: "/other", Language: "zh"})
	if _, err := f.svc.ConfirmIdentity(ctx, tok, "张三", "11010119900307803X"); err != nil {
		t.Fatal(err)
	}
	liveness(t, f, tok)
	g, err := f.svc.GetAll(ctx, f.appID, tok, noURL)
	if err != nil {
		t.Fatal(err)
	}
	c := g.Consent
	want := hex.EncodeToString(shown[:])
	if c == nil || c.TextSHA256 != want || c.ShownSHA256 != want || c.TextVersion != pid+"@v1" || c.Language != "en" ||
		c.PagePath != "/face/print/" || !c.At.Equal(at) {
		t.Fatalf("consent record: %+v", c)
	}
	sums, _ := f.svc.Summaries(ctx, f.appID, 10)
	if len(sums) != 1 || sums[0].Consent == nil || sums[0].Consent.PagePath != "/face/print/" {
		t.Fatalf("console summary: %+v", sums)
	}
	// The purge keeps the proof of consent (it holds no personal data, and never the token).
	f.clk.Add(100 * time.Hour)
	f.svc.PurgeExpired(ctx, 10)
	sums, _ = f.svc.Summaries(ctx, f.appID, 10)
	if !sums[0].Purged || sums[0].Consent == nil || sums[0].Consent.TextSHA256 != want {
		t.Fatalf("after purge: %+v", sums[0])
	}
	if strings.Contains(sums[0].Consent.PagePath, tok) {
		t.Fatal("the consent record holds the token")
	}
}
