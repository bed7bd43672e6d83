package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/receipt"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/verify/verifytest"
)

func blobFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestDeletionReceipts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.svc.Receipts, f.svc.IDHashKey = receipt.NewSigner("signing-key-for-the-test-0123456"), []byte("id-hash-key")
	ocr := f.plan(t, func(o *plan.Options) { o.CardSides = plan.SidesFrontBack })
	manual := f.plan(t, func(o *plan.Options) { o.IdentityInput, o.CompareSource = plan.InputManual, plan.CompareNone })

	// An OCR session with card images and a collected face.
	tok, _ := f.svc.Generate(ctx, f.appID, ocr, "https://biz.example/ok", "")
	f.svc.Start(ctx, tok)
	f.svc.SubmitCard(ctx, tok, verify.SideFront, jpeg)
	f.svc.SubmitCard(ctx, tok, verify.SideBack, jpeg)
	if _, err := f.svc.ConfirmIdentity(ctx, tok, verifytest.SpecimenFront.Name, verifytest.SpecimenFront.IDCardNumber); err != nil {
		t.Fatal(err)
	}
	if dec := liveness(t, f, tok); !dec.Passed {
		t.Fatalf("%+v", dec)
	}
	// Two sessions of 张三 and one of someone else, to delete by ID number.
	a1, a2 := confirmed(t, f, manual, ""), confirmed(t, f, manual, "")
	other, _ := f.svc.Generate(ctx, f.appID, manual, "", "")
	f.svc.Start(ctx, other)
	f.svc.ConfirmIdentity(ctx, other, "李四", "11010519491231002X")

	rec, _ := f.st.GetSessionByToken(ctx, auth.Hash(tok))
	before := blobFiles(t, filepath.Join(f.blobs, "s", rec.ID))
	if before < 3 {
		t.Fatalf("only %d blobs before the deletion", before)
	}
	r, err := f.svc.DeleteByToken(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(r)
	got, err := receipt.Verify(raw, f.svc.Receipts.PublicKey())
	if err != nil || got.Counts.Sessions != 1 || got.Sessions[0].SessionID != rec.ID || got.Sessions[0].Blobs < 3 || got.Sessions[0].Already {
		t.Fatalf("receipt: %+v %v", got, err)
	}
	if bytes.Contains(raw, []byte(verifytest.SpecimenFront.IDCardNumber)) || bytes.Contains(raw, []byte(tok)) {
		t.Fatal("the receipt holds the ID number or the token")
	}
	tampered := bytes.Replace(raw, []byte(`"sessions":1`), []byte(`"sessions":2`), 1)
	if _, err := receipt.Verify(tampered, f.svc.Receipts.PublicKey()); !errors.Is(err, receipt.ErrInvalid) {
		t.Fatalf("tampered receipt: %v", err)
	}
	if n := blobFiles(t, filepath.Join(f.blobs, "s", rec.ID)); n != 0 {
		t.Fatalf("%d blobs left after the deletion", n)
	}
	if _, err := f.svc.Detail(ctx, f.appID, tok); !errors.Is(err, verify.ErrResultExpired) {
		t.Fatalf("detail after deletion: %v", err)
	}
	if _, err := f.svc.GetAll(ctx, f.appID, tok, noURL); !errors.Is(err, verify.ErrResultExpired) {
		t.Fatalf("getall after deletion: %v", err)
	}
	rec, _ = f.st.GetSessionByToken(ctx, auth.Hash(tok))
	if !rec.Purged || rec.IDHash != "" || bytes.Contains(rec.Data, []byte(verifytest.SpecimenFront.Name)) {
		t.Fatalf("record after deletion: purged %v hash %q data %s", rec.Purged, rec.IDHash, rec.Data)
	}
	// Deleting again is idempotent and says so.
	r, err = f.svc.DeleteByToken(ctx, tok)
	if err != nil || !r.Sessions[0].Already || r.Counts.Blobs != 0 {
		t.Fatalf("second deletion: %+v %v", r, err)
	}

	// By ID number: every session of that person, none of another's.
	h := f.svc.IDHash("11010119900307803x") // case does not matter
	r, err = f.svc.DeleteByIDHash(ctx, h)
	if err != nil || r.Counts.Sessions != 2 || r.IDHash != h || r.Scope != "id_hash" {
		t.Fatalf("by id hash: %+v %v", r, err)
	}
	raw, _ = json.Marshal(r)
	if _, err := receipt.Verify(raw, f.svc.Receipts.PublicKey()); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{a1, a2} {
		if _, err := f.svc.GetAll(ctx, f.appID, tk, noURL); !errors.Is(err, verify.ErrResultExpired) {
			t.Errorf("a deleted session answers: %v", err)
		}
	}
	if v, err := f.svc.View(ctx, other); err != nil || v.State != string(verify.StateIdentityConfirmed) {
		t.Fatalf("another person's session was touched: %+v %v", v, err)
	}
	if _, err := f.svc.DeleteByIDHash(ctx, "not-a-hash"); !errors.Is(err, verify.ErrInvalidInput) {
		t.Fatalf("bad hash: %v", err)
	}
}
