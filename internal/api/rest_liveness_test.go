package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/authority"
	"github.com/faceprint/faceprint/internal/liveness"
	"github.com/faceprint/faceprint/internal/liveness/fixtures"
	"github.com/faceprint/faceprint/internal/livesession"
)

var (
	liveOnce sync.Once
	liveEng  *liveness.Engine
	liveErr  error
)

// livenessServer is faceServer plus the liveness engine and a registry.
func livenessServer(t *testing.T) (*Server, *authority.Registry) {
	t.Helper()
	s := faceServer(t)
	liveOnce.Do(func() { liveEng, liveErr = liveness.New(s.Engines.Face, liveness.Options{}) })
	if liveErr != nil {
		t.Fatal(liveErr)
	}
	reg := &authority.Registry{Store: authority.NewMemoryStore(), Clock: s.Clock}
	s.Engines.Liveness = liveEng
	s.Engines.References = &authority.Resolver{Registry: reg}
	return s, reg
}

var testApp = &auth.App{ID: "1001"}

// callApp runs a handler for testApp.
func callApp(t *testing.T, s *Server, h RESTHandler, body string) faceReply {
	t.Helper()
	return callAs(t, h, testApp, body)
}

func clipB64(t *testing.T, name string) string {
	t.Helper()
	root := filepath.Join("..", "..")
	videos := filepath.Join(root, "testdata", "fetched", "videos")
	faceTestNeed(t, filepath.Join(videos, "franck.mp4"))
	for _, c := range fixtures.Clips {
		if c.Name == name {
			p := fixtures.ClipPath(filepath.Join(root, "testdata", "generated", "liveness"), c)
			if err := fixtures.Cut(context.Background(), filepath.Join(videos, c.Source), c.Start, c.End, p); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			return base64.StdEncoding.EncodeToString(b)
		}
	}
	t.Fatalf("no clip %s", name)
	return ""
}

func TestSessionCode(t *testing.T) {
	s := &Server{Clock: func() time.Time { return time.Unix(1700000000, 0) }}
	seen := map[string]bool{}
	for range 20 {
		rep := callApp(t, s, s.handleSessionCode, `{}`)
		var res struct {
			SessionID string `json:"session_id"`
			Code      string `json:"code"`
		}
		if rep.ErrorCode != 0 || json.Unmarshal(rep.Result, &res) != nil {
			t.Fatalf("sessioncode: %+v", rep)
		}
		if len(res.Code) != 2 || strings.Trim(res.Code, "02345") != "" || res.Code[0] == res.Code[1] {
			t.Errorf("action code %q", res.Code)
		}
		if seen[res.SessionID] {
			t.Error("session id repeated")
		}
		seen[res.SessionID] = true
	}
	rep := callApp(t, s, s.handleSessionCode, `{"type":"0","min_code_length":"4","max_code_length":"6"}`)
	var res struct {
		SessionID string `json:"session_id"`
		Code      string `json:"code"`
	}
	_ = json.Unmarshal(rep.Result, &res)
	if rep.ErrorCode != 0 || len(res.Code) < 4 || len(res.Code) > 6 {
		t.Errorf("voice code: %+v %q", rep, res.Code)
	}
	for _, body := range []string{`{"type":"7"}`, `{"min_code_length":"0"}`, `{"min_code_length":"5","max_code_length":"3"}`} {
		if rep := callApp(t, s, s.handleSessionCode, body); rep.ErrorCode != CodeInvalidParam {
			t.Errorf("%s: %+v", body, rep)
		}
	}
	// the id opens once, for its app (signing details: internal/livesession)
	var sc struct {
		SessionID string `json:"session_id"`
	}
	_ = json.Unmarshal(callApp(t, s, s.handleSessionCode, `{}`).Result, &sc)
	if _, err := s.liveSessions().Open(sc.SessionID, "1002", s.now()); err == nil {
		t.Error("other app accepted")
	}
	if _, err := s.liveSessions().Open(sc.SessionID, "1001", s.now()); err != nil {
		t.Errorf("own app refused: %v", err)
	}
}

func TestLivenessVerifyREST(t *testing.T) {
	s, _ := livenessServer(t)
	now := s.now()
	session := func(code string) string {
		return livesession.Default.Sign(livesession.Session{App: "1001", Type: 1, Code: code, Nonce: faceToken(), Expires: now.Add(time.Minute).Unix()})
	}
	video := clipB64(t, "turn-franck")
	// the clip turns to the subject's left: code 3 passes, code 2 (right) fails
	rep := callApp(t, s, s.handleLivenessVerify, jsonBody(map[string]any{"video_base64": video, "session_id": session("3"), "type_identify": "action"}))
	var res livenessResult
	if rep.ErrorCode != 0 || json.Unmarshal(rep.Result, &res) != nil {
		t.Fatalf("verify: %+v", rep)
	}
	if res.Score < 0.9 || res.ActionVerify != "pass" || res.Code.Identify != "3" || res.BestImage == nil || res.Thresholds["frr_1e-4"] != 0.05 {
		t.Errorf("genuine left turn: %+v", res)
	}
	if pic, err := base64.StdEncoding.DecodeString(res.BestImage.Pic); err != nil || len(pic) < 1000 {
		t.Error("best image is not a JPEG")
	} else if _, err := jpeg.Decode(bytes.NewReader(pic)); err != nil {
		t.Errorf("best image: %v", err)
	}
	rep = callApp(t, s, s.handleLivenessVerify, jsonBody(map[string]any{"video_base64": video, "session_id": session("2")}))
	_ = json.Unmarshal(rep.Result, &res)
	if rep.ErrorCode != 0 || res.Score >= 0.05 || res.ActionVerify != "fail" || !strings.Contains(res.Reason, "action_missing:right") {
		t.Errorf("wrong action passed: %+v %+v", rep, res)
	}
	used := session("3")
	_ = callApp(t, s, s.handleLivenessVerify, jsonBody(map[string]any{"video_base64": video, "session_id": used}))
	cases := []struct {
		name string
		body map[string]any
		code int
	}{
		{"used session", map[string]any{"video_base64": video, "session_id": used}, CodeInvalidParam},
		{"voice", map[string]any{"video_base64": video, "session_id": session("3"), "type_identify": "voice"}, CodeServiceNotSupp},
		{"no video", map[string]any{"session_id": session("3")}, CodeNotEnoughParam},
		{"bad base64", map[string]any{"video_base64": "%%%", "session_id": session("3")}, CodeImageBase64},
		{"no session", map[string]any{"video_base64": video}, CodeNotEnoughParam},
		{"forged session", map[string]any{"video_base64": video, "session_id": "e30.AAAA"}, CodeInvalidParam},
		{"not a video", map[string]any{"video_base64": base64.StdEncoding.EncodeToString([]byte("this is not a video at all")), "session_id": session("3")}, 216201},
	}
	for _, c := range cases {
		if rep := callApp(t, s, s.handleLivenessVerify, jsonBody(c.body)); rep.ErrorCode != c.code {
			t.Errorf("%s: %d %s, want %d", c.name, rep.ErrorCode, rep.ErrorMsg, c.code)
		}
	}
	s2 := &Server{Clock: s.Clock}
	if rep := callApp(t, s2, s2.handleLivenessVerify, jsonBody(map[string]any{"video_base64": video, "session_id": session("3")})); rep.ErrorCode != CodeUnavailable {
		t.Errorf("no engine: %+v", rep)
	}
}

func TestPersonVerifyREST(t *testing.T) {
	s, reg := livenessServer(t)
	stills := filepath.Join("..", "..", "testdata", "fetched", "videos", "stills")
	faceTestNeed(t, filepath.Join(stills, "franck_01829.jpg"))
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(stills, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	id := "11010119900307803" + "X"
	if !authority.ValidIDNumber(id) {
		id = "110101199003078037"
		for c := '0'; c <= '9'; c++ {
			if authority.ValidIDNumber(id[:17] + string(c)) {
				id = id[:17] + string(c)
			}
		}
	}
	if _, err := reg.Enrol(context.Background(), "1001", "张三", id, read("franck_02159.jpg")); err != nil {
		t.Fatal(err)
	}
	b64 := func(name string) string { return base64.StdEncoding.EncodeToString(read(name)) }
	verifyScore := func(img, name, number string, extra map[string]any) (faceReply, float64) {
		body := map[string]any{"image": img, "image_type": "BASE64", "name": name, "id_card_number": number}
		for k, v := range extra {
			body[k] = v
		}
		rep := callApp(t, s, s.handlePersonVerify, jsonBody(body))
		var res struct{ Score float64 }
		_ = json.Unmarshal(rep.Result, &res)
		return rep, res.Score
	}
	if rep, sc := verifyScore(b64("franck_04117.jpg"), "张三", id, map[string]any{"quality_control": "NORMAL", "liveness_control": "LOW"}); rep.ErrorCode != 0 || sc < 80 {
		t.Errorf("same person: %+v score %.1f", rep, sc)
	}
	if rep, sc := verifyScore(b64("cage.jpg"), "张三", id, nil); rep.ErrorCode != 0 || sc >= 70 {
		t.Errorf("other person: %+v score %.1f", rep, sc)
	}
	if rep, _ := verifyScore(b64("franck_04117.jpg"), "李四", id, nil); rep.ErrorCode != authority.CodeMismatch {
		t.Errorf("name mismatch: %+v", rep)
	}
	if rep, _ := verifyScore(b64("franck_04117.jpg"), "张三", id[:17]+"0", nil); rep.ErrorCode != authority.CodeNumberFormat && id[17] != '0' {
		t.Errorf("bad number: %+v", rep)
	}
	if rep, _ := verifyScore(b64("franck_04117.jpg"), "张三", id, map[string]any{"spoofing_control": "MAX"}); rep.ErrorCode != CodeInvalidParam {
		t.Errorf("bad spoofing_control: %+v", rep)
	}
	if rep, _ := verifyScore(b64("franck_04117.jpg"), "张三", "", nil); rep.ErrorCode != CodeFaceParamNull {
		t.Errorf("missing number: %+v", rep)
	}
	var blank bytes.Buffer
	_ = jpeg.Encode(&blank, image.NewGray(image.Rect(0, 0, 200, 200)), nil)
	if rep, _ := verifyScore(base64.StdEncoding.EncodeToString(blank.Bytes()), "张三", id, nil); rep.ErrorCode != CodeFaceNoFace {
		t.Errorf("no face: %+v", rep)
	}
	// quality first: a 40-px face fails HIGH quality before any identity check
	small := downscale(t, read("franck_04117.jpg"), 6)
	if rep, _ := verifyScore(base64.StdEncoding.EncodeToString(small), "李四", id, map[string]any{"quality_control": "HIGH"}); rep.ErrorCode < 223113 || rep.ErrorCode > 223127 {
		t.Errorf("quality before identity: %+v", rep)
	}
	s.Engines.References = nil
	if rep, _ := verifyScore(b64("franck_04117.jpg"), "张三", id, nil); rep.ErrorCode != CodeUnavailable {
		t.Errorf("no authority: %+v", rep)
	}
}

func downscale(t *testing.T, jpg []byte, k int) []byte {
	t.Helper()
	src, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx()/k, b.Dy()/k))
	for y := range dst.Bounds().Dy() {
		for x := range dst.Bounds().Dx() {
			dst.Set(x, y, src.At(b.Min.X+x*k, b.Min.Y+y*k))
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, dst, nil)
	return buf.Bytes()
}
