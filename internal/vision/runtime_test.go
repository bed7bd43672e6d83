package vision

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// testModelsDir finds models/ (FACEPRINT_MODELS_DIR, else the repo's). It
// skips when the runtime is not installed, unless CI is set.
func testModelsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("FACEPRINT_MODELS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "models")
	}
	if _, err := os.Stat(LibPath(dir)); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ONNX Runtime missing under %s (scripts/fetch-models.sh): %v", dir, err)
		}
		t.Skipf("ONNX Runtime not installed under %s: run scripts/fetch-models.sh", dir)
	}
	return dir
}

func TestRuntimeLoadChecksSpecAndRunsDynamicShapes(t *testing.T) {
	dir := testModelsDir(t)
	rt, err := OpenRuntime(LibPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	rt2, err := OpenRuntime(LibPath(dir))
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	rt2.Close()
	rt2.Close() // idempotent

	det := filepath.Join(dir, "face", "fr_detect.onnx")
	if _, err := rt.Load(det, ModelSpec{Inputs: []IO{{"input", []int64{1, 3, 120, 160}}}, Outputs: []IO{{"scores", nil}}}); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("wrong shape accepted: %v", err)
	}
	if _, err := rt.Load(det, ModelSpec{Inputs: []IO{{"image", nil}}, Outputs: []IO{{"scores", nil}}}); err == nil {
		t.Error("wrong input name accepted")
	}
	if _, err := rt.Load(filepath.Join(dir, "face", "nope.onnx"), ModelSpec{}); err == nil {
		t.Error("missing file accepted")
	}

	ocr := filepath.Join(dir, "ocr", "ch_PP-OCRv4_det_infer.onnx")
	if _, err := os.Stat(ocr); err != nil {
		t.Skip("OCR models not installed")
	}
	m, err := rt.Load(ocr, ModelSpec{Inputs: []IO{{"x", []int64{-1, 3, -1, -1}}}, Outputs: []IO{{"sigmoid_0.tmp_0", []int64{-1, 1, -1, -1}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var wg sync.WaitGroup
	for _, hw := range [][2]int64{{32, 64}, {64, 96}, {96, 32}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := Tensor{Shape: []int64{1, 3, hw[0], hw[1]}, Data: make([]float32, 3*hw[0]*hw[1])}
			out, err := m.Run(context.Background(), in)
			if err != nil {
				t.Error(err)
				return
			}
			if s := out[0].Shape; len(s) != 4 || s[2] != hw[0] || s[3] != hw[1] || len(out[0].Data) != int(hw[0]*hw[1]) {
				t.Errorf("input %v: output shape %v", hw, s)
			}
		}()
	}
	wg.Wait()
	if _, err := m.Run(context.Background(), Tensor{Shape: []int64{1, 3, 4, 4}, Data: make([]float32, 10)}); err == nil {
		t.Error("short data accepted")
	}
	m.Close()
	if _, err := m.Run(context.Background(), Tensor{Shape: []int64{1, 3, 32, 32}, Data: make([]float32, 3*32*32)}); err == nil {
		t.Error("run after close accepted")
	}
}
