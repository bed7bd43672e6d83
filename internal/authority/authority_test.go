package authority

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
)

// withCheck completes 17 digits with their check character.
func withCheck(d17 string) string {
	w := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	s := 0
	for i := range 17 {
		s += int(d17[i]-'0') * w[i]
	}
	return d17 + string("10X98765432"[s%11])
}

var (
	idA = withCheck("11010119900307803")
	idB = withCheck("44030419851216002")
)

func TestValidIDNumber(t *testing.T) {
	if !ValidIDNumber(idA) || !ValidIDNumber(idB) {
		t.Fatalf("valid numbers rejected: %s %s", idA, idB)
	}
	bad := []byte(idA)
	bad[5]++
	for _, s := range []string{string(bad), idA[:17], "abc", idA + "1", "11010119900307803Y"} {
		if ValidIDNumber(s) {
			t.Errorf("%q accepted", s)
		}
	}
	if CheckIdentity("张三", idA) != 0 || CheckIdentity("", idA) != CodeNameFormat || CheckIdentity("张3", idA) != CodeNameFormat || CheckIdentity("张三", "123") != CodeNumberFormat {
		t.Error("CheckIdentity codes wrong")
	}
	if NormalizeName(" 阿依古丽•买买提 ") != "阿依古丽·买买提" {
		t.Errorf("middle dot not normalised: %q", NormalizeName(" 阿依古丽•买买提 "))
	}
}

func TestRegistry(t *testing.T) {
	ctx := WithAppID(context.Background(), "1001")
	reg := &Registry{Store: NewMemoryStore(), Clock: func() time.Time { return time.Unix(1700000000, 0) }}
	photo := []byte{0xff, 0xd8, 0xff, 1, 2, 3}
	if _, err := reg.Enrol(ctx, "1001", "张三", idA, photo); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Enrol(ctx, "1001", "张三", "123", photo); err == nil {
		t.Error("bad number enrolled")
	}
	_ = reg.Store.Put(ctx, Entry{AppID: "1001", IDNumber: idB, Name: "李四"}) // no photo
	r := &Resolver{Registry: reg}
	cases := []struct {
		ctx      context.Context
		name, id string
		code     int
	}{
		{ctx, "张三", idA, 0},
		{ctx, "张三", idA[:17] + "x", 0}, // lower-case check character (when it is X) or same number
		{ctx, "李四", idA, CodeMismatch},
		{ctx, "王五", withCheck("11010119900307804"), CodeMismatch},
		{ctx, "李四", idB, CodeNoPhotoOnFile},
		{WithAppID(context.Background(), "1002"), "张三", idA, CodeMismatch}, // other app
		{ctx, "张三", "110101199003078030", CodeNumberFormat},
	}
	for i, c := range cases {
		if i == 1 && idA[17] != 'X' {
			continue
		}
		ref, err := r.Reference(c.ctx, verify.ReferenceRequest{Source: plan.CompareRegistry, Name: c.name, IDNumber: c.id})
		if err != nil {
			t.Fatal(err)
		}
		if ref.ErrorCode != c.code {
			t.Errorf("case %d: code %d, want %d", i, ref.ErrorCode, c.code)
		}
		if c.code == 0 && string(ref.Photo) != string(photo) {
			t.Errorf("case %d: photo not returned", i)
		}
	}
	l, _ := reg.Store.List(ctx, "1001", 10)
	if len(l) != 2 {
		t.Errorf("list: %d entries", len(l))
	}
	_ = reg.Store.Delete(ctx, "1001", idA)
	if _, ok, _ := reg.Store.Get(ctx, "1001", idA); ok {
		t.Error("delete did not delete")
	}
}

// authorityServer is a real HTTP gateway that checks signatures and
// answers from a table; fail makes the first n calls answer 503.
func authorityServer(t *testing.T, secret []byte, fail int32, delay time.Duration) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	nonces := &NonceCache{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if err := Verify(r, body, func(k string) ([]byte, bool) { return secret, k == "k1" }, nonces, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if n <= fail {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		time.Sleep(delay)
		var req GatewayRequest
		if err := json.Unmarshal(body, &req); err != nil || r.URL.Path != GatewayPath {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		resp := GatewayResponse{RequestID: req.RequestID}
		switch {
		case req.IDNumber == idA && req.Name == "张三" && req.LiveImage != "":
			s := 91.5
			resp.Result, resp.Score = ResultOK, &s
		case req.IDNumber == idA && req.Name == "张三":
			resp.Result, resp.Photo = ResultOK, base64.StdEncoding.EncodeToString([]byte("JPEGDATA"))
		case req.IDNumber == idA:
			resp.Result = ResultMismatch
		case req.IDNumber == idB:
			resp.Result = ResultNoPhoto
		default:
			resp.Result = ResultNotFound
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func noSleep(context.Context, time.Duration) error { return nil }

func TestGateway(t *testing.T) {
	secret := []byte("s3cret")
	srv, calls := authorityServer(t, secret, 0, 0)
	g := &Gateway{Name: "gov", BaseURL: srv.URL, KeyID: "k1", Secret: secret, Sleep: noSleep}
	r := &Resolver{Authorities: map[string]Authority{"gov": g}}
	ask := func(name, id string) verify.Reference {
		t.Helper()
		ref, err := r.Reference(context.Background(), verify.ReferenceRequest{Source: plan.CompareAuthority, Authority: "gov", Name: name, IDNumber: id, Live: []byte("live")})
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	if ref := ask("张三", idA); ref.ErrorCode != 0 || string(ref.Photo) != "JPEGDATA" || ref.Source != "gov" {
		t.Errorf("photo lookup: %+v", ref)
	}
	if ref := ask("李四", idA); ref.ErrorCode != CodeMismatch {
		t.Errorf("mismatch: %+v", ref)
	}
	if ref := ask("李四", idB); ref.ErrorCode != CodeNoPhotoOnFile {
		t.Errorf("no photo: %+v", ref)
	}
	if ref := ask("王五", withCheck("11010119900307804")); ref.ErrorCode != CodeMismatch {
		t.Errorf("not found: %+v", ref)
	}
	g.SendLive = true
	if ref := ask("张三", idA); !ref.Scored || ref.Score != 91.5 {
		t.Errorf("gateway-side score: %+v", ref)
	}
	if c := calls.Load(); c != 5 {
		t.Errorf("%d calls, want 5 (no retries on answers)", c)
	}
	// wrong secret: 401, not retried, unavailable
	bad := &Gateway{Name: "gov", BaseURL: srv.URL, KeyID: "k1", Secret: []byte("nope"), Sleep: noSleep}
	ref, _ := bad.Reference(context.Background(), verify.ReferenceRequest{Name: "张三", IDNumber: idA})
	if ref.ErrorCode != CodeUnavailable || calls.Load() != 6 {
		t.Errorf("bad signature: %+v after %d calls", ref, calls.Load())
	}
	if _, err := r.Reference(context.Background(), verify.ReferenceRequest{Source: plan.CompareAuthority, Authority: "other", Name: "张三", IDNumber: idA}); err == nil {
		t.Error("unknown authority: no error")
	}
}

func TestGatewayRetriesAndTimeout(t *testing.T) {
	secret := []byte("s3cret")
	srv, calls := authorityServer(t, secret, 2, 0)
	var slept []time.Duration
	g := &Gateway{Name: "gov", BaseURL: srv.URL, KeyID: "k1", Secret: secret, Retries: 2,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	ref, _ := g.Reference(context.Background(), verify.ReferenceRequest{Name: "张三", IDNumber: idA})
	if ref.ErrorCode != 0 || calls.Load() != 3 {
		t.Fatalf("after two 503s: %+v, %d calls", ref, calls.Load())
	}
	if len(slept) != 2 || slept[1] <= slept[0] {
		t.Errorf("backoff not increasing: %v", slept)
	}
	// always busy → 222361 after 1+2 attempts
	srv2, calls2 := authorityServer(t, secret, 100, 0)
	g.BaseURL = srv2.URL
	if ref, _ := g.Reference(context.Background(), verify.ReferenceRequest{Name: "张三", IDNumber: idA}); ref.ErrorCode != CodeUnavailable || calls2.Load() != 3 {
		t.Errorf("always busy: %+v, %d calls", ref, calls2.Load())
	}
	// slow → per-attempt timeout → 222361
	srv3, _ := authorityServer(t, secret, 0, 300*time.Millisecond)
	g3 := &Gateway{Name: "gov", BaseURL: srv3.URL, KeyID: "k1", Secret: secret, Timeout: 50 * time.Millisecond, Retries: -1}
	start := time.Now()
	if ref, _ := g3.Reference(context.Background(), verify.ReferenceRequest{Name: "张三", IDNumber: idA}); ref.ErrorCode != CodeUnavailable {
		t.Errorf("slow gateway: %+v", ref)
	}
	if time.Since(start) > 250*time.Millisecond {
		t.Errorf("timeout not applied: %v", time.Since(start))
	}
	// nobody listening
	g4 := &Gateway{Name: "gov", BaseURL: "http://127.0.0.1:1", KeyID: "k1", Secret: secret, Sleep: noSleep}
	if ref, _ := g4.Reference(context.Background(), verify.ReferenceRequest{Name: "张三", IDNumber: idA}); ref.ErrorCode != CodeUnavailable {
		t.Errorf("unreachable: %+v", ref)
	}
}

func TestVerifyRejectsReplayAndSkew(t *testing.T) {
	secret := []byte("k")
	body := []byte(`{"a":1}`)
	now := time.Unix(1700000000, 0)
	r := httptest.NewRequest(http.MethodPost, GatewayPath, nil)
	if err := Sign(r, body, "k1", secret, now); err != nil {
		t.Fatal(err)
	}
	keys := func(k string) ([]byte, bool) { return secret, k == "k1" }
	nc := &NonceCache{}
	if err := Verify(r, body, keys, nc, now.Add(time.Minute)); err != nil {
		t.Fatalf("valid request rejected: %v", err)
	}
	if err := Verify(r, body, keys, nc, now.Add(time.Minute)); err == nil {
		t.Error("replayed nonce accepted")
	}
	if err := Verify(r, body, keys, &NonceCache{}, now.Add(10*time.Minute)); err == nil {
		t.Error("stale timestamp accepted")
	}
	if err := Verify(r, []byte(`{"a":2}`), keys, &NonceCache{}, now); err == nil {
		t.Error("tampered body accepted")
	}
}

// upstreamServer emulates a Baidu-compatible server (or a second faceprint):
// OAuth token endpoint and person/verify.
func upstreamServer(t *testing.T) (*httptest.Server, *atomic.Int32, *atomic.Int32) {
	var tokens, verifies atomic.Int32
	valid := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth/2.0/token":
			if r.URL.Query().Get("client_id") != "ak" || r.URL.Query().Get("client_secret") != "sk" {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"error":"invalid_client","error_description":"unknown client id"}`)
				return
			}
			n := tokens.Add(1)
			tok := fmt.Sprintf("24.tok%d", n)
			valid[tok] = true
			fmt.Fprintf(w, `{"access_token":%q,"expires_in":2592000,"scope":"public brain_all_scope"}`, tok)
		case "/rest/2.0/face/v3/person/verify":
			verifies.Add(1)
			tok := r.URL.Query().Get("access_token")
			if !valid[tok] {
				fmt.Fprint(w, `{"error_code":110,"error_msg":"Access token invalid or no longer valid"}`)
				return
			}
			var body map[string]string
			_ = json.NewDecoder(r.Body).Decode(&body)
			if body["image_type"] != "BASE64" || body["image"] == "" {
				fmt.Fprint(w, `{"error_code":222001,"error_msg":"param[] is null"}`)
				return
			}
			switch body["id_card_number"] {
			case idA:
				if body["name"] != "张三" {
					fmt.Fprint(w, `{"error_code":222351,"error_msg":"id number and name not match","log_id":1,"timestamp":1,"cached":0,"result":null}`)
					return
				}
				fmt.Fprint(w, `{"error_code":0,"error_msg":"SUCCESS","log_id":1,"timestamp":1,"cached":0,"result":{"score":88.5}}`)
			case idB:
				w.WriteHeader(http.StatusBadGateway)
			default:
				fmt.Fprint(w, `{"error_code":222355,"error_msg":"no photo","result":null}`)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &tokens, &verifies
}

func TestUpstream(t *testing.T) {
	srv, tokens, verifies := upstreamServer(t)
	u := &Upstream{Name: "baidu", BaseURL: srv.URL, APIKey: "ak", SecretKey: "sk"}
	req := verify.ReferenceRequest{Name: "张三", IDNumber: idA, Live: []byte("jpeg")}
	for range 3 {
		ref, err := u.Reference(context.Background(), req)
		if err != nil || ref.ErrorCode != 0 || !ref.Scored || ref.Score != 88.5 {
			t.Fatalf("verify: %+v %v", ref, err)
		}
	}
	if tokens.Load() != 1 {
		t.Errorf("token fetched %d times, want 1 (cached)", tokens.Load())
	}
	// the upstream forgets the token: 110 → refresh once → success
	u.mu.Lock()
	u.token = "24.revoked"
	u.mu.Unlock()
	if ref, _ := u.Reference(context.Background(), req); ref.ErrorCode != 0 || tokens.Load() != 2 {
		t.Errorf("after revoked token: %+v, %d token fetches", ref, tokens.Load())
	}
	if ref, _ := u.Reference(context.Background(), verify.ReferenceRequest{Name: "李四", IDNumber: idA, Live: []byte("x")}); ref.ErrorCode != CodeMismatch {
		t.Errorf("mismatch: %+v", ref)
	}
	if ref, _ := u.Reference(context.Background(), verify.ReferenceRequest{Name: "李四", IDNumber: withCheck("11010119900307804"), Live: []byte("x")}); ref.ErrorCode != CodeNoPhotoOnFile {
		t.Errorf("no photo: %+v", ref)
	}
	if ref, _ := u.Reference(context.Background(), verify.ReferenceRequest{Name: "李四", IDNumber: idB, Live: []byte("x")}); ref.ErrorCode != CodeUnavailable {
		t.Errorf("502: %+v", ref)
	}
	badKey := &Upstream{Name: "baidu", BaseURL: srv.URL, APIKey: "ak", SecretKey: "wrong"}
	if ref, _ := badKey.Reference(context.Background(), req); ref.ErrorCode != CodeUnavailable {
		t.Errorf("bad secret key: %+v", ref)
	}
	_ = verifies
}

// An empty app id must not erase the one an outer layer put in the context
// (internal/app re-wraps the context from ReferenceRequest.AppID).
func TestWithAppIDKeepsOuterApp(t *testing.T) {
	ctx := WithAppID(WithAppID(context.Background(), "1001"), "")
	if got := AppID(ctx); got != "1001" {
		t.Fatalf("AppID after WithAppID(ctx, \"\") = %q, want 1001", got)
	}
	reg := &Registry{Store: NewMemoryStore()}
	if _, err := reg.Enrol(ctx, "1001", "张三", idA, []byte{0xff, 0xd8, 0xff, 1}); err != nil {
		t.Fatal(err)
	}
	ref, err := (&Resolver{Registry: reg}).Reference(ctx, verify.ReferenceRequest{Source: plan.CompareAuthority, Name: "张三", IDNumber: idA})
	if err != nil || ref.ErrorCode != 0 || len(ref.Photo) == 0 {
		t.Fatalf("registry lookup through the default authority: %+v %v", ref, err)
	}
}
