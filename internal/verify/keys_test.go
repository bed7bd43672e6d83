package verify_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/receipt"
	"github.com/faceprint/faceprint/internal/seal"
)

// A copy of a session's ciphertext taken before the purge (a backup or an
// export of the data column) cannot be opened after it, even with the PII key.
func TestPurgeShredsTheSessionKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	master, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Seal = master
	f.svc.Receipts = receipt.NewSigner("signing-key-for-the-test-0123456")
	pid := f.plan(t, func(o *plan.Options) { o.IdentityInput, o.CompareSource = plan.InputManual, plan.CompareNone })
	purged := confirmed(t, f, pid, "")
	liveness(t, f, purged)
	deleted := confirmed(t, f, pid, "")

	for _, tok := range []string{purged, deleted} {
		rec, _ := f.st.GetSessionByToken(ctx, auth.Hash(tok))
		if rec.DataKey == "" || bytes.Contains(rec.Data, []byte("张三")) {
			t.Fatalf("record not sealed under a session key: key %q", rec.DataKey)
		}
		// The record is not sealed under the PII key itself...
		if _, err := master.Open(rec.Data); err == nil {
			t.Fatal("the session's data opens with the PII key alone")
		}
		// ...but under the key the record carries (the test can fail for the right reason).
		k, err := master.Open([]byte(rec.DataKey))
		if err != nil {
			t.Fatal(err)
		}
		sk, _ := seal.New(k)
		if plain, err := sk.Open(rec.Data); err != nil || !bytes.Contains(plain, []byte("张三")) {
			t.Fatalf("open with the session key: %v", err)
		}
	}
	backup := map[string][]byte{}
	for _, tok := range []string{purged, deleted} {
		rec, _ := f.st.GetSessionByToken(ctx, auth.Hash(tok))
		backup[tok] = append([]byte(nil), rec.Data...)
	}

	if _, err := f.svc.DeleteByToken(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(100 * time.Hour)
	if n, err := f.svc.PurgeExpired(ctx, 10); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	for _, tok := range []string{purged, deleted} {
		rec, _ := f.st.GetSessionByToken(ctx, auth.Hash(tok))
		if !rec.Purged || rec.DataKey != "" {
			t.Fatalf("session key kept after the purge: purged %v key %q", rec.Purged, rec.DataKey)
		}
		// Nothing in the database opens the old ciphertext any more.
		if _, err := master.Open(backup[tok]); err == nil {
			t.Fatal("the pre-purge ciphertext opens with the PII key")
		}
		// Nor with any session key the database still holds.
		recs, _ := f.st.ListSessions(ctx, f.appID, 10)
		for _, r := range recs {
			if r.DataKey == "" {
				continue
			}
			if k, err := master.Open([]byte(r.DataKey)); err == nil {
				if sk, _ := seal.New(k); sk != nil {
					if _, err := sk.Open(backup[tok]); err == nil {
						t.Fatal("the pre-purge ciphertext opens with a key left in the database")
					}
				}
			}
		}
		// What the purge kept is readable (the console still lists the session).
		if _, err := master.Open(rec.Data); err != nil {
			t.Fatalf("kept data: %v", err)
		}
	}
	sums, err := f.svc.Summaries(ctx, f.appID, 10)
	if err != nil || len(sums) != 2 {
		t.Fatalf("summaries after purge: %+v %v", sums, err)
	}
	for _, s := range sums {
		if len(s.Steps) == 0 || s.Consent == nil {
			t.Fatalf("a purged record lost what the purge keeps: %+v", s)
		}
	}
}
