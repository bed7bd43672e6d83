package api

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/idcard"
	"github.com/faceprint/faceprint/internal/idcard/cardgen"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/ocr"
)

var (
	idcardOnce   sync.Once
	idcardReader *idcard.Reader
	idcardErr    error
)

var idcardNow = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

// idcardServer is a Server with the real ID card reader (nil reader when
// withEngine is false) and a fixed clock.
func idcardServer(t *testing.T, withEngine bool) *Server {
	t.Helper()
	s := &Server{
		Clock: func() time.Time { return idcardNow },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if !withEngine {
		return s
	}
	models := filepath.Join("..", "..", "models")
	faceTestNeed(t, vision.LibPath(models))
	faceTestNeed(t, filepath.Join(models, "ocr", ocr.RecFile))
	idcardOnce.Do(func() {
		rt, err := vision.OpenRuntime(vision.LibPath(models))
		if err != nil {
			idcardErr = err
			return
		}
		idcardReader, idcardErr = idcard.Open(rt, models, ocr.Config{})
	})
	if idcardErr != nil {
		t.Fatal(idcardErr)
	}
	s.Engines.IDCard = idcardReader
	return s
}

// idcardCall posts a urlencoded form the way handleREST would after auth and
// returns the decoded JSON object.
func idcardCall(t *testing.T, s *Server, form url.Values) map[string]any {
	t.Helper()
	body := form.Encode()
	b, err := ParseBody([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/rest/2.0/ocr/v1/idcard", strings.NewReader(body))
	s.handleIDCard(w, r, nil, b)
	var rep map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatalf("reply %q: %v", w.Body.String(), err)
	}
	return rep
}

func errCode(rep map[string]any) int {
	v, _ := rep["error_code"].(float64)
	return int(v)
}

func TestIDCardRESTParamErrors(t *testing.T) {
	s := idcardServer(t, false)
	tiny := base64.StdEncoding.EncodeToString([]byte("not an image"))
	cases := []struct {
		name string
		form url.Values
		code int
	}{
		{"no image", url.Values{"id_card_side": {"front"}}, CodeNotEnoughParam},
		{"empty image", url.Values{"image": {""}, "id_card_side": {"front"}}, CodeEmptyImage},
		{"url only", url.Values{"url": {"http://example.com/a.jpg"}, "id_card_side": {"front"}}, CodeURLFormat},
		{"no side", url.Values{"image": {tiny}}, CodeMissingParam},
		{"bad side", url.Values{"image": {tiny}, "id_card_side": {"left"}}, CodeInvalidParam},
		{"bad flag", url.Values{"image": {tiny}, "id_card_side": {"front"}, "detect_risk": {"maybe"}}, CodeInvalidParam},
		{"too large", url.Values{"image": {strings.Repeat("A", idcardImageMaxBase64+4)}, "id_card_side": {"front"}}, CodeImageSize},
		{"no engine", url.Values{"image": {tiny}, "id_card_side": {"front"}}, CodeUnavailable},
	}
	for _, c := range cases {
		rep := idcardCall(t, s, c.form)
		if got := errCode(rep); got != c.code {
			t.Errorf("%s: error_code %d (%v), want %d", c.name, got, rep["error_msg"], c.code)
		}
		if _, ok := rep["log_id"].(float64); !ok {
			t.Errorf("%s: log_id missing or not a number: %v", c.name, rep)
		}
	}
	rep := idcardCall(t, s, url.Values{"image": {tiny}, "id_card_side": {"front"}})
	if msg, _ := rep["error_msg"].(string); !strings.Contains(msg, ocr.RecFile) || !strings.Contains(msg, "fetch-models.sh") {
		t.Errorf("missing-engine message does not name the models: %q", msg)
	}
}

func TestIDCardRESTBadImages(t *testing.T) {
	s := idcardServer(t, true)
	f, err := cardgen.LoadFonts()
	if err != nil {
		faceTestNeed(t, cardgen.SansPath)
	}
	g := cardgen.New(f, nil)
	sample, err := g.Generate(5, 0, idcardNow, cardgen.Mix{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		image string
		code  int
	}{
		{"bad base64", "!!!notbase64!!!", CodeImageBase64},
		{"not an image", base64.StdEncoding.EncodeToString([]byte("GIF89a but not really an image at all")), CodeImageFormat},
		{"truncated jpeg", base64.StdEncoding.EncodeToString(sample.JPEG[:len(sample.JPEG)/3]), CodeImageFormat},
	}
	for _, c := range cases {
		rep := idcardCall(t, s, url.Values{"image": {c.image}, "id_card_side": {"front"}})
		if got := errCode(rep); got != c.code {
			t.Errorf("%s: error_code %d (%v), want %d", c.name, got, rep["error_msg"], c.code)
		}
	}
}

func TestIDCardRESTReadsGeneratedCard(t *testing.T) {
	s := idcardServer(t, true)
	f, err := cardgen.LoadFonts()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	g := cardgen.New(f, cardgen.LoadPortraits(filepath.Join("..", "..", "testdata", "fetched"), 4))
	var sample cardgen.Sample
	for i := 0; ; i++ { // first clean front
		sample, err = g.Generate(11, i, idcardNow, cardgen.Mix{})
		if err != nil {
			t.Fatal(err)
		}
		if sample.Truth.Side == "front" {
			break
		}
	}
	rep := idcardCall(t, s, url.Values{
		"image": {base64.StdEncoding.EncodeToString(sample.JPEG)}, "id_card_side": {"front"},
		"detect_risk": {"true"}, "detect_photo": {"true"}, "detect_direction": {"true"}, "detect_quality": {"true"},
	})
	if _, has := rep["error_code"]; has {
		t.Fatalf("OCR success must not carry error_code: %v", rep["error_code"])
	}
	if _, ok := rep["log_id"].(float64); !ok {
		t.Errorf("log_id not a number")
	}
	if rep["image_status"] != "normal" || rep["risk_type"] != "normal" {
		t.Errorf("image_status %v risk_type %v", rep["image_status"], rep["risk_type"])
	}
	words, _ := rep["words_result"].(map[string]any)
	// Field accuracy is measured by `faceprint eval idcards`; here every
	// field must be present with a location, the number exact, and at most
	// one other field misread (rare characters such as 佘/余 exist).
	wrong := 0
	for k, want := range sample.Truth.Fields {
		w, _ := words[k].(map[string]any)
		if w == nil {
			t.Errorf("%s: missing", k)
			continue
		}
		if w["words"] != want {
			t.Logf("%s: got %v, want %q", k, w["words"], want)
			wrong++
			if k == idcard.KeyNumber {
				t.Errorf("id number misread")
			}
		}
		loc, _ := w["location"].(map[string]any)
		if loc == nil || loc["width"].(float64) <= 0 || loc["height"].(float64) <= 0 {
			t.Errorf("%s: bad location %v", k, w["location"])
		}
	}
	if wrong > 1 {
		t.Errorf("%d fields misread", wrong)
	}
	if int(rep["words_result_num"].(float64)) != len(words) {
		t.Errorf("words_result_num %v, %d fields", rep["words_result_num"], len(words))
	}
	if nt, _ := rep["idcard_number_type"].(float64); int(nt) != sample.Truth.NumberType {
		t.Errorf("idcard_number_type %v, want %d", rep["idcard_number_type"], sample.Truth.NumberType)
	}
	if p, _ := rep["photo"].(string); len(p) < 1000 || rep["photo_location"] == nil {
		t.Errorf("photo missing (%d chars) or no photo_location", len(p))
	}
	if q, _ := rep["card_quality"].(map[string]any); q == nil || q["IsClear_propobility"] == nil {
		t.Errorf("card_quality missing: %v", rep["card_quality"])
	}
	// The same card asked as the back side is reversed.
	rep = idcardCall(t, s, url.Values{"image": {base64.StdEncoding.EncodeToString(sample.JPEG)}, "id_card_side": {"back"}})
	if rep["image_status"] != "reversed_side" {
		t.Errorf("back of a front: image_status %v", rep["image_status"])
	}
}
