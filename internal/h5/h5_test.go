package h5_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/faceprint/faceprint/internal/testenv/testclock"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/h5"
	"github.com/faceprint/faceprint/internal/h5/h5test"
	"github.com/faceprint/faceprint/internal/verify"
)

type rig struct {
	t     *testing.T
	srv   *httptest.Server
	fake  *h5test.Fake
	clock *testclock.Clock
	h     *h5.Handler
}

func newRig(t *testing.T, lim h5.Limits) *rig {
	t.Helper()
	// Wall-clock based: the test HTTP client drops cookies that expired in real time.
	c := testclock.New(time.Now().UTC().Truncate(time.Second))
	f := h5test.New(c.Now)
	h := h5.New(h5.Config{Verify: f, Clock: c.Now, Limits: lim})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &rig{t: t, srv: srv, fake: f, clock: c, h: h}
}

// browser is a client with its own cookie jar, like one phone.
type browser struct {
	r     *rig
	c     *http.Client
	token string
	csrf  string
}

func (r *rig) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{r: r, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`<meta name="fp-csrf" content="([^"]*)">`)

// open loads the entry page and remembers the CSRF value.
func (b *browser) open(query string) (*http.Response, string) {
	b.r.t.Helper()
	res, err := b.c.Get(b.r.srv.URL + "/face/print/?" + query)
	if err != nil {
		b.r.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := csrfRe.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	if q, err := url.ParseQuery(query); err == nil {
		b.token = q.Get("token")
	}
	return res, string(body)
}

func (b *browser) do(method, path string, body io.Reader, ctype string, hdr ...string) (int, map[string]any) {
	b.r.t.Helper()
	req, _ := http.NewRequest(method, b.r.srv.URL+"/face/print/api/"+path, body)
	req.Header.Set("X-FP-Token", b.token)
	req.Header.Set("X-FP-CSRF", b.csrf)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.r.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (b *browser) json(method, path string, v any) (int, map[string]any) {
	var body io.Reader
	if v != nil {
		j, _ := json.Marshal(v)
		body = bytes.NewReader(j)
	}
	return b.do(method, path, body, "application/json")
}

func jpegBytes(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func step(v map[string]any) string {
	view, _ := v["view"].(map[string]any)
	s, _ := view["step"].(string)
	return s
}

func TestEntrySetsSecurityHeadersCookieAndCSRF(t *testing.T) {
	r := newRig(t, h5.Limits{})
	r.fake.Add("tok1", h5test.Session{})
	b := r.browser()
	res, body := b.open("token=tok1")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(body, "<script>") {
		t.Error("inline script allowed or present")
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers: %v", res.Header)
	}
	var ck *http.Cookie
	for _, c := range res.Cookies() {
		if strings.HasPrefix(c.Name, "fp_") {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/face/print/" {
		t.Fatalf("session cookie: %+v", ck)
	}
	if b.csrf == "" || strings.Contains(ck.Value, b.csrf) {
		t.Fatalf("csrf %q must be set and not equal to the cookie", b.csrf)
	}
	if !strings.Contains(body, `<html lang="zh-CN">`) || !regexp.MustCompile(`/face/print/static/[0-9a-f]{12}/app\.js`).MatchString(body) {
		t.Errorf("page shell: %s", body)
	}
	if code, v := b.json("GET", "state", nil); code != 200 || step(v) != "consent" {
		t.Fatalf("state: %d %v", code, v)
	}
}

func TestEntryLanguage(t *testing.T) {
	r := newRig(t, h5.Limits{})
	r.fake.Add("zh", h5test.Session{})
	s := h5test.Session{}
	r.fake.Add("en", s)
	_, body := r.browser().open("token=en&lang=en")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "<title>Identity verification</title>") {
		t.Errorf("English page: %s", body)
	}
}

func TestEntryRejectsUnknownAndExpiredTokens(t *testing.T) {
	r := newRig(t, h5.Limits{})
	res, body := r.browser().open("token=nope")
	if res.StatusCode != http.StatusGone || !strings.Contains(body, `content="token_invalid"`) || len(res.Cookies()) != 0 {
		t.Fatalf("unknown token: %d %v %s", res.StatusCode, res.Cookies(), body)
	}
	r.fake.Add("old", h5test.Session{ExpiresAt: r.clock.Now().Add(time.Minute), FailedURL: "https://shop.example/failed"})
	r.clock.Add(2 * time.Minute)
	res, body = r.browser().open("token=old")
	if res.StatusCode != http.StatusGone || !strings.Contains(body, `<meta name="fp-exit" content="https://shop.example/failed">`) {
		t.Fatalf("expired token: %d %s", res.StatusCode, body)
	}
	res, _ = r.browser().open("")
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("no token: %d", res.StatusCode)
	}
}

func TestEntryRefusesForeignRedirect(t *testing.T) {
	r := newRig(t, h5.Limits{})
	r.fake.Add("tok", h5test.Session{})
	for _, q := range []string{
		"token=tok&successUrl=" + url.QueryEscape("https://evil.example/x"),
		"token=tok&failedUrl=" + url.QueryEscape("javascript:alert(1)"),
		"token=tok&successUrl=" + url.QueryEscape("//evil.example/"),
	} {
		res, body := r.browser().open(q)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `content="redirect_refused"`) || len(res.Cookies()) != 0 {
			t.Errorf("%s: %d cookies=%v", q, res.StatusCode, res.Cookies())
		}
	}
}

func TestAPIRequiresCookieAndCSRF(t *testing.T) {
	r := newRig(t, h5.Limits{})
	r.fake.Add("tok", h5test.Session{})
	b := r.browser()
	b.open("token=tok")
	good := b.csrf

	b.csrf = "forged"
	if code, _ := b.json("POST", "start", nil); code != http.StatusForbidden {
		t.Errorf("wrong CSRF: %d", code)
	}
	b.csrf = good
	if code, _ := b.do("POST", "start", nil, "", "Sec-Fetch-Site", "cross-site"); code != http.StatusForbidden {
		t.Errorf("cross-site fetch: %d", code)
	}
	other := r.browser() // a second device with the link and the CSRF value but no cookie
	other.token, other.csrf = "tok", good
	if code, _ := other.json("POST", "start", nil); code != http.StatusForbidden {
		t.Errorf("no cookie: %d", code)
	}
	if s, _ := r.fake.Session("tok"); s.Step != "consent" {
		t.Fatalf("a refused call changed the session: %s", s.Step)
	}
	if code, v := b.json("POST", "start", nil); code != 200 || step(v) != "card_front" {
		t.Fatalf("start: %d %v", code, v)
	}
	// Once started, the link alone no longer opens the session elsewhere.
	res, body := r.browser().open("token=tok")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, `content="session_elsewhere"`) {
		t.Fatalf("other device after start: %d", res.StatusCode)
	}
	// The same browser may reload.
	if res, _ := b.open("token=tok"); res.StatusCode != 200 {
		t.Fatalf("reload: %d", res.StatusCode)
	}
}

func TestFullOCRFlowWithFrames(t *testing.T) {
	r := newRig(t, h5.Limits{})
	r.fake.Add("tok", h5test.Session{SuccessURL: "https://shop.example/ok", FailedURL: "https://shop.example/fail"})
	b := r.browser()
	b.open("token=tok")
	b.json("POST", "start", nil)
	if code, v := b.json("POST", "diagnostics", map[string]any{"reason": "ok", "camera": "granted", "get_user_media": true, "width": 1280, "height": 720, "fps": 30}); code != 200 {
		t.Fatalf("diagnostics: %d %v", code, v)
	}
	if code, _ := b.do("POST", "card?side=front", strings.NewReader("not an image"), "image/jpeg"); code != http.StatusUnsupportedMediaType {
		t.Errorf("non-image card: %d", code)
	}
	code, v := b.do("POST", "card?side=front", bytes.NewReader(jpegBytes(t, 320, 200)), "image/jpeg")
	if code != 200 || v["accepted"] != true || step(v) != "confirm" {
		t.Fatalf("card: %d %v", code, v)
	}
	view := v["view"].(map[string]any)
	if view["name"] != "张三" || view["id_number"] != "110101199003078515" {
		t.Errorf("confirm prefill: %v", view)
	}
	if code, v := b.json("POST", "confirm", map[string]string{"name": "张三", "id_number": "110101199003078514"}); code != http.StatusUnprocessableEntity || v["error"] != "invalid_identity" {
		t.Errorf("bad checksum: %d %v", code, v)
	}
	if code, v := b.json("POST", "confirm", map[string]string{"name": "张三", "id_number": "110101199003078515"}); code != 200 || step(v) != "liveness" {
		t.Fatalf("confirm: %d %v", code, v)
	}
	code, v = b.json("POST", "challenge", map[string]bool{"no_flash": false})
	if code != 200 {
		t.Fatalf("challenge: %d %v", code, v)
	}
	id := v["challenge"].(map[string]any)["id"].(string)
	frame := jpegBytes(t, 64, 48)
	for i := 0; i < 6; i++ {
		if code, v := b.do("PUT", fmt.Sprintf("frame?challenge=%s&index=%d&at=%d", id, i, i*125), bytes.NewReader(frame), "image/jpeg"); code != 200 {
			t.Fatalf("frame %d: %d %v", i, code, v)
		}
	}
	// A resent frame replaces the first copy.
	if code, _ := b.do("PUT", fmt.Sprintf("frame?challenge=%s&index=2&at=250", id), bytes.NewReader(frame), "image/jpeg"); code != 200 {
		t.Fatal("resend")
	}
	r.clock.Add(2 * time.Second)
	code, v = b.json("POST", "capture", map[string]any{"challenge": id, "frames": 6})
	if code != 200 {
		t.Fatalf("capture: %d %v", code, v)
	}
	dec := v["decision"].(map[string]any)
	view = v["view"].(map[string]any)
	if dec["passed"] != true || view["redirect"] != "https://shop.example/ok" || view["step"] != "done" {
		t.Fatalf("result: %v", v)
	}
	if got := r.fake.Captures[0].Frames; len(got) != 6 || got[5].AtMillis != 625 || !bytes.Equal(got[0].Image, frame) {
		t.Errorf("frames given to the service: %d", len(got))
	}
	if d := r.fake.Diagnostics[0]; d.Width != 1280 || d.Reason != "ok" || d.UserAgent == "" {
		t.Errorf("diagnostics: %+v", d)
	}
	// The result stays visible to this browser after the token is used.
	if code, v := b.json("GET", "state", nil); code != 200 || step(v) != "done" {
		t.Errorf("state after done: %d %v", code, v)
	}
}

func TestCaptureUploadsAreBounded(t *testing.T) {
	r := newRig(t, h5.Limits{FrameBytes: 4000, Frames: 10})
	r.fake.Add("tok", h5test.Session{Step: "liveness"})
	b := r.browser()
	// Entry after start is allowed for a fresh session only; bind at consent then move on.
	r.fake.Add("tok", h5test.Session{})
	b.open("token=tok")
	r.fake.Add("tok", h5test.Session{Step: "liveness"})
	_, v := b.json("POST", "challenge", map[string]bool{})
	id := v["challenge"].(map[string]any)["id"].(string)
	small := jpegBytes(t, 16, 16)
	cases := []struct {
		name string
		q    string
		body []byte
		want int
	}{
		{"too large", "index=0&at=0", append(jpegBytes(t, 16, 16), make([]byte, 5000)...), http.StatusRequestEntityTooLarge},
		{"not an image", "index=0&at=0", []byte("GIF89a...."), http.StatusUnsupportedMediaType},
		{"index past max", "index=10&at=0", small, http.StatusBadRequest},
		{"negative index", "index=-1&at=0", small, http.StatusBadRequest},
		{"time past max_ms", "index=1&at=99999", small, http.StatusBadRequest},
		{"other challenge", "index=1&at=0&challenge=zzz", small, http.StatusConflict},
	}
	for _, c := range cases {
		q := "challenge=" + id + "&" + c.q
		if strings.Contains(c.q, "challenge=") {
			q = c.q
		}
		if code, _ := b.do("PUT", "frame?"+q, bytes.NewReader(c.body), "image/jpeg"); code != c.want {
			t.Errorf("%s: %d, want %d", c.name, code, c.want)
		}
	}
	for _, i := range []int{0, 1, 3} {
		b.do("PUT", fmt.Sprintf("frame?challenge=%s&index=%d&at=%d", id, i, i*2000), bytes.NewReader(small), "image/jpeg")
	}
	code, v := b.json("POST", "capture", map[string]any{"challenge": id, "frames": 4})
	if code != http.StatusConflict || fmt.Sprint(v["missing"]) != "[2]" {
		t.Fatalf("missing frame: %d %v", code, v)
	}
	b.do("PUT", fmt.Sprintf("frame?challenge=%s&index=2&at=4000", id), bytes.NewReader(small), "image/jpeg")
	// Frames claim 6 s but the server saw the challenge issued a moment ago.
	if code, v := b.json("POST", "capture", map[string]any{"challenge": id, "frames": 4}); code != http.StatusBadRequest || v["error"] != "bad_timing" {
		t.Fatalf("timing: %d %v", code, v)
	}
	if len(r.fake.Captures) != 0 {
		t.Fatal("a refused capture reached the service")
	}
	r.clock.Add(10 * time.Second)
	if code, v := b.json("POST", "capture", map[string]any{"challenge": id, "frames": 4}); code != 200 {
		t.Fatalf("capture: %d %v", code, v)
	}
}

func TestVideoFallbackChunks(t *testing.T) {
	r := newRig(t, h5.Limits{VideoBytes: 3000, VideoChunk: 1000})
	r.fake.Add("tok", h5test.Session{})
	b := r.browser()
	b.open("token=tok")
	r.fake.Add("tok", h5test.Session{Step: "liveness"})
	_, v := b.json("POST", "challenge", map[string]bool{"no_flash": true})
	id := v["challenge"].(map[string]any)["id"].(string)
	chunk := bytes.Repeat([]byte{7}, 1000)
	put := func(off int, body []byte) (int, map[string]any) {
		return b.do("PUT", fmt.Sprintf("video?challenge=%s&offset=%d", id, off), bytes.NewReader(body), "application/octet-stream")
	}
	if code, v := put(1000, chunk); code != http.StatusConflict || v["error"] != "gap" {
		t.Errorf("gap: %d %v", code, v)
	}
	put(0, chunk)
	put(0, chunk) // resend
	if code, v := put(1000, chunk); code != 200 || v["received"] != float64(2000) {
		t.Errorf("second chunk: %d %v", code, v)
	}
	if code, _ := put(2000, append(chunk, 1)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunk over limit: %d", code)
	}
	put(2000, chunk)
	if code, _ := put(3000, []byte{1}); code != http.StatusRequestEntityTooLarge {
		t.Errorf("video over limit: %d", code)
	}
	if code, _ := b.json("POST", "capture", map[string]any{"challenge": id, "video_type": "video/webm", "video_bytes": 2999}); code != http.StatusBadRequest {
		t.Errorf("length mismatch: %d", code)
	}
	if code, v := b.json("POST", "capture", map[string]any{"challenge": id, "video_type": "video/webm", "video_bytes": 3000}); code != 200 {
		t.Fatalf("capture: %d %v", code, v)
	}
	if c := r.fake.Captures[0]; len(c.Video) != 3000 || c.VideoType != "video/webm" || len(c.Frames) != 0 {
		t.Errorf("capture given to the service: %d %s", len(c.Video), c.VideoType)
	}
}

func TestFailedAttemptsAndFinalRedirect(t *testing.T) {
	r := newRig(t, h5.Limits{})
	r.fake.Decide = func(verify.Capture) (bool, string) { return false, "liveness_failed" }
	r.fake.Add("tok", h5test.Session{MaxAttempts: 2, FailedURL: "https://shop.example/fail"})
	b := r.browser()
	b.open("token=tok")
	r.fake.Add("tok", h5test.Session{Step: "liveness", MaxAttempts: 2, FailedURL: "https://shop.example/fail"})
	small := jpegBytes(t, 16, 16)
	var v map[string]any
	for attempt := 1; attempt <= 2; attempt++ {
		_, cv := b.json("POST", "challenge", map[string]bool{})
		id := cv["challenge"].(map[string]any)["id"].(string)
		b.do("PUT", "frame?challenge="+id+"&index=0&at=0", bytes.NewReader(small), "image/jpeg")
		_, v = b.json("POST", "capture", map[string]any{"challenge": id, "frames": 1})
		dec := v["decision"].(map[string]any)
		if attempt == 1 && (dec["final"] != false || dec["attempts_left"] != float64(1) || step(v) != "liveness") {
			t.Fatalf("first failure: %v", v)
		}
	}
	view := v["view"].(map[string]any)
	if view["step"] != "done" || view["redirect"] != "https://shop.example/fail" || view["reason"] != "liveness_failed" {
		t.Fatalf("final failure: %v", v)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	r := newRig(t, h5.Limits{TokenRate: 0.001, TokenBurst: 3})
	r.fake.Add("tok", h5test.Session{})
	b := r.browser()
	b.open("token=tok")
	var codes []int
	for i := 0; i < 5; i++ {
		c, _ := b.json("GET", "state", nil)
		codes = append(codes, c)
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Fatalf("codes %v", codes)
	}
}

func TestBadTokenGuessingIsLimited(t *testing.T) {
	r := newRig(t, h5.Limits{BadTokenPerMinute: 3})
	b := r.browser()
	var last int
	for i := 0; i < 5; i++ {
		res, _ := b.open(fmt.Sprintf("token=guess%d", i))
		last = res.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("5th guess: %d", last)
	}
}

func TestStaticAssets(t *testing.T) {
	r := newRig(t, h5.Limits{})
	r.fake.Add("tok", h5test.Session{})
	_, body := r.browser().open("token=tok")
	prefix := regexp.MustCompile(`/face/print/static/[0-9a-f]+/`).FindString(body)
	req, _ := http.NewRequest("GET", r.srv.URL+prefix+"app.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") ||
		res.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("app.js: %d %v", res.StatusCode, res.Header)
	}
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	res2, _ := http.DefaultTransport.RoundTrip(req)
	res2.Body.Close()
	if res2.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d", res2.StatusCode)
	}
	res3, _ := http.Get(r.srv.URL + "/face/print/static/000000000000/app.js")
	res3.Body.Close()
	if res3.StatusCode != 200 || res3.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("old version: %d %q", res3.StatusCode, res3.Header.Get("Cache-Control"))
	}
	if res4, _ := http.Get(r.srv.URL + prefix + "..%2fpage.html"); res4.StatusCode != 404 {
		t.Errorf("path escape: %d", res4.StatusCode)
	}
	total := 0
	for name, n := range r.h.TransferSizes() {
		if strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".css") {
			total += n
		}
	}
	t.Logf("JS+CSS transferred (gzip): %d bytes", total)
	if total > 100*1024 {
		t.Errorf("page assets %d bytes > 100 KB", total)
	}
}

func TestFrameAncestorsFromPlan(t *testing.T) {
	r := newRig(t, h5.Limits{})
	s := h5test.Session{}
	r.fake.Add("tok", s)
	got, _ := r.fake.Session("tok")
	got.Plan.FrameAncestors = []string{"https://app.example.com", "not an origin"}
	r.fake.Add("tok", got)
	res, _ := r.browser().open("token=tok")
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors https://app.example.com;") || res.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("CSP %q, XFO %q", csp, res.Header.Get("X-Frame-Options"))
	}
}

func TestDiagnosticsAreSanitised(t *testing.T) {
	r := newRig(t, h5.Limits{})
	r.fake.Add("tok", h5test.Session{})
	b := r.browser()
	b.open("token=tok")
	code, _ := b.json("POST", "diagnostics", map[string]any{"reason": "<script>", "camera": strings.Repeat("x", 500), "width": 1 << 30, "fps": -3})
	if code != 200 {
		t.Fatalf("diagnostics: %d", code)
	}
	d := r.fake.Diagnostics[0]
	if d.Reason != "other" || len(d.Camera) > 40 || d.Width != 16384 || d.FPS != 0 {
		t.Errorf("diagnostics stored as %+v", d)
	}
	if code, _ := b.json("POST", "diagnostics", map[string]any{"reason": "ok", "score": 1}); code != http.StatusBadRequest {
		t.Errorf("unknown field accepted: %d", code)
	}
}
