// Package ocr runs the PP-OCRv4 pipeline in Go: DB text detection with its
// post-processing, 180° line direction classification and CTC recognition.
// It reads any document image; ID-card logic lives in internal/idcard.
package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/vision"
)

// Model file names under <models>/ocr (scripts/fetch-models.sh).
const (
	DetFile  = "ch_PP-OCRv4_det_infer.onnx"
	RecFile  = "ch_PP-OCRv4_rec_infer.onnx"
	ClsFile  = "ch_ppocr_mobile_v2.0_cls_infer.onnx"
	DictFile = "ppocr_keys_v1.txt"
)

var debugRec = os.Getenv("FACEPRINT_OCR_DEBUG") != ""

// Files lists the files the engine needs, relative to the OCR model directory.
func Files() []string { return []string{DetFile, RecFile, ClsFile, DictFile} }

// Config tunes the engine.
type Config struct {
	DetMaxSide int      // longest side fed to the detector (default 960)
	DB         DBParams // zero value → DefaultDBParams
	MinScore   float32  // lines whose recognition score is lower are dropped (default 0.5)
	Threads    int      // intra-op threads per model (default 2)
	RecBatch   int      // lines per recogniser batch (default 8)
}

func (c Config) withDefaults() Config {
	if c.DetMaxSide <= 0 {
		c.DetMaxSide = 960
	}
	if c.DB == (DBParams{}) {
		c.DB = DefaultDBParams()
	}
	if c.MinScore == 0 {
		c.MinScore = 0.5
	}
	if c.Threads <= 0 {
		c.Threads = 2
	}
	if c.RecBatch <= 0 {
		c.RecBatch = 8
	}
	return c
}

// Engine holds the three PP-OCR models. Safe for concurrent use.
type Engine struct {
	cfg  Config
	det  *vision.Model
	cls  *vision.Model
	rec  *vision.Model
	dict *Dict
}

// Open loads the models from dir (…/models/ocr).
func Open(rt *vision.Runtime, dir string, cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	f, err := os.Open(filepath.Join(dir, DictFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", vision.ErrNotInstalled, err)
	}
	dict, err := ReadDict(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, dict: dict}
	if e.det, err = rt.Load(filepath.Join(dir, DetFile), vision.ModelSpec{
		Inputs:  []vision.IO{{Name: "x", Shape: []int64{-1, 3, -1, -1}}},
		Outputs: []vision.IO{{Name: "sigmoid_0.tmp_0", Shape: []int64{-1, 1, -1, -1}}},
		Threads: cfg.Threads,
	}); err != nil {
		return nil, fmt.Errorf("ocr: detector: %w", err)
	}
	if e.cls, err = rt.Load(filepath.Join(dir, ClsFile), vision.ModelSpec{
		Inputs:  []vision.IO{{Name: "x", Shape: []int64{-1, 3, -1, -1}}},
		Outputs: []vision.IO{{Name: "softmax_0.tmp_0", Shape: []int64{-1, 2}}},
		Threads: cfg.Threads,
	}); err != nil {
		e.Close()
		return nil, fmt.Errorf("ocr: direction classifier: %w", err)
	}
	if e.rec, err = rt.Load(filepath.Join(dir, RecFile), vision.ModelSpec{
		Inputs:  []vision.IO{{Name: "x", Shape: []int64{-1, 3, 48, -1}}},
		Outputs: []vision.IO{{Name: "softmax_11.tmp_0", Shape: []int64{-1, -1, int64(dict.Classes())}}},
		Threads: cfg.Threads,
	}); err != nil {
		e.Close()
		return nil, fmt.Errorf("ocr: recogniser: %w", err)
	}
	return e, nil
}

// Close releases the models.
func (e *Engine) Close() error {
	if e == nil {
		return nil
	}
	var errs []error
	for _, m := range []*vision.Model{e.det, e.cls, e.rec} {
		if m != nil {
			errs = append(errs, m.Close())
		}
	}
	return errors.Join(errs...)
}

// ModelInfo names the models, for results and logs.
func (e *Engine) ModelInfo() string {
	return "PP-OCRv4 det+rec, ppocr mobile v2.0 cls"
}

// Line is one recognised text line. Box runs in the reading direction:
// Box[0] is the top-left corner of the first character as read.
type Line struct {
	Box      Quad
	Text     string
	Score    float32 // mean character confidence
	DetScore float32 // detector box score
	Chars    []Char  // per-character confidence and position along Box
	Flipped  bool    // the box was read upside down relative to its detected orientation
}

// CharBox returns the part of the line's box that holds characters i..j (inclusive).
func (l Line) CharBox(i, j int) Quad {
	if len(l.Chars) == 0 || i < 0 || j >= len(l.Chars) || i > j {
		return l.Box
	}
	return l.Box.Sub(l.Chars[i].Start, l.Chars[j].End)
}

// Result is the text found in an image.
type Result struct {
	Lines  []Line
	Width  int
	Height int
	// Detected counts the text boxes found before recognition (lines that
	// then failed recognition included).
	Detected int
	// Timing is how long each stage took.
	Timing Timing
	// Angle is the dominant reading direction in radians (0 = upright,
	// π/2 = text runs downwards, i.e. the page is turned 90° clockwise).
	Angle float64
}

// Timing is the time spent per pipeline stage.
type Timing struct {
	Detect, Classify, Recognize time.Duration
}

// Options adjust one call.
type Options struct {
	// Uniform forces all lines to share the dominant reading direction
	// (documents: cards, pages), which fixes short lines the classifier
	// cannot orient on their own.
	Uniform bool
}

// Detect returns the text boxes in img (image coordinates), unoriented.
func (e *Engine) Detect(ctx context.Context, img *image.RGBA) ([]Quad, []float32, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w < 8 || h < 8 {
		return nil, nil, nil
	}
	src := img
	scale := float64(e.cfg.DetMaxSide) / float64(max(w, h))
	if scale > 1 {
		scale = 1
	}
	// Box-shrink large reductions first (bilinear alone aliases).
	if f := int(1 / scale / 1.5); f >= 2 {
		src = Shrink(img, f)
	}
	rw := max(32, int(math.Round(float64(w)*scale/32))*32)
	rh := max(32, int(math.Round(float64(h)*scale/32))*32)
	sx, sy := float64(src.Rect.Dx())/float64(rw), float64(src.Rect.Dy())/float64(rh)
	resized := Warp(src, Homography{sx, 0, 0, 0, sy, 0, 0, 0, 1}, rw, rh)
	data := make([]float32, 3*rw*rh)
	lut := detNormTable()
	plane := rw * rh
	for y := 0; y < rh; y++ {
		for x := 0; x < rw; x++ {
			o := y*resized.Stride + x*4
			i := y*rw + x
			// BGR order
			data[i] = lut[0][resized.Pix[o+2]]
			data[plane+i] = lut[1][resized.Pix[o+1]]
			data[2*plane+i] = lut[2][resized.Pix[o]]
		}
	}
	out, err := e.det.Run(ctx, vision.Tensor{Shape: []int64{1, 3, int64(rh), int64(rw)}, Data: data})
	if err != nil {
		return nil, nil, fmt.Errorf("ocr: detect: %w", err)
	}
	mh, mw := int(out[0].Shape[2]), int(out[0].Shape[3])
	boxes := dbBoxes(out[0].Data, mw, mh, e.cfg.DB)
	kx, ky := float64(w)/float64(mw), float64(h)/float64(mh)
	quads := make([]Quad, 0, len(boxes))
	scores := make([]float32, 0, len(boxes))
	for _, b := range boxes {
		var q Quad
		for i, p := range b.Quad {
			q[i] = Point{clamp(p.X*kx, 0, float64(w)), clamp(p.Y*ky, 0, float64(h))}
		}
		if q.Width() < 4 || q.Height() < 4 {
			continue
		}
		quads = append(quads, q)
		scores = append(scores, b.Score)
	}
	return quads, scores, nil
}

// detNormTable maps a byte of the B, G and R planes to the detector's
// input: ImageNet statistics applied in BGR order, as PaddleOCR does.
var detNormTable = sync.OnceValue(func() *[3][256]float32 {
	mean := [3]float32{0.485, 0.456, 0.406}
	std := [3]float32{0.229, 0.224, 0.225}
	var t [3][256]float32
	for c := range 3 {
		for v := range 256 {
			t[c][v] = (float32(v)/255 - mean[c]) / std[c]
		}
	}
	return &t
})

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// Read detects, orients and recognises the text lines of img.
func (e *Engine) Read(ctx context.Context, img image.Image, opt Options) (*Result, error) {
	src := ToRGBA(img)
	res := &Result{Width: src.Rect.Dx(), Height: src.Rect.Dy()}
	t0 := time.Now()
	quads, dscores, err := e.Detect(ctx, src)
	if err != nil {
		return nil, err
	}
	res.Timing.Detect = time.Since(t0)
	res.Detected = len(quads)
	if len(quads) == 0 {
		return res, nil
	}
	t1 := time.Now()
	flips, err := e.classify(ctx, src, quads)
	if err != nil {
		return nil, err
	}
	res.Timing.Classify = time.Since(t1)
	oriented := make([]Quad, len(quads))
	for i, q := range quads {
		if flips[i] {
			q = q.Flip()
		}
		oriented[i] = q
	}
	res.Angle = dominantAngle(oriented)
	if opt.Uniform {
		for i, q := range quads {
			// Of the readings of the box (two for a line; four for a
			// near-square box, whose long side is arbitrary), keep the one
			// nearest the dominant direction.
			cands := []Quad{q, q.Flip()}
			if q.Width() < 1.5*q.Height() {
				cands = append(cands, Quad{q[1], q[2], q[3], q[0]}, Quad{q[3], q[0], q[1], q[2]})
			}
			best := 0
			for k, c := range cands {
				if angDiff(c.Angle(), res.Angle) < angDiff(cands[best].Angle(), res.Angle) {
					best = k
				}
			}
			oriented[i] = cands[best]
			flips[i] = best == 1
		}
	}
	t2 := time.Now()
	lines, err := e.recognize(ctx, src, oriented)
	if err != nil {
		return nil, err
	}
	res.Timing.Recognize = time.Since(t2)
	for i := range lines {
		lines[i].DetScore = dscores[i]
		lines[i].Flipped = flips[i]
		if lines[i].Text == "" || lines[i].Score < e.cfg.MinScore {
			if debugRec {
				fmt.Fprintf(os.Stderr, "dropped line %q score %.2f box %.0f\n", lines[i].Text, lines[i].Score, lines[i].Box)
			}
			continue
		}
		res.Lines = append(res.Lines, lines[i])
	}
	return res, nil
}

// dominantAngle is the length-weighted mean reading direction of the
// longer lines (width ≥ 2× height), falling back to all lines.
func dominantAngle(qs []Quad) float64 {
	var sx, sy float64
	for pass := 0; pass < 2 && sx == 0 && sy == 0; pass++ {
		for _, q := range qs {
			if pass == 0 && q.Width() < 2*q.Height() {
				continue
			}
			a := q.Angle()
			w := q.Width()
			sx += w * math.Cos(a)
			sy += w * math.Sin(a)
		}
	}
	if sx == 0 && sy == 0 {
		return 0
	}
	return math.Atan2(sy, sx)
}

func angDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 2*math.Pi)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}

// lineImage crops q into a height-48 strip, width following the aspect ratio.
func lineImage(src *image.RGBA, q Quad, maxW int) *image.RGBA {
	h := 48
	w := int(math.Ceil(48 * q.Width() / math.Max(1, q.Height())))
	w = max(8, min(w, maxW))
	return WarpQuad(src, q, w, h)
}

// fillRec writes img normalised ((x/255−0.5)/0.5, BGR) into a 3×48×W slot,
// leaving the padding at 0.
func fillRec(dst []float32, img *image.RGBA, W int) {
	h, w := img.Rect.Dy(), img.Rect.Dx()
	plane := 48 * W
	for y := 0; y < h && y < 48; y++ {
		for x := 0; x < w && x < W; x++ {
			o := y*img.Stride + x*4
			i := y*W + x
			dst[i] = float32(img.Pix[o+2])/127.5 - 1
			dst[plane+i] = float32(img.Pix[o+1])/127.5 - 1
			dst[2*plane+i] = float32(img.Pix[o])/127.5 - 1
		}
	}
}

// classify runs the 180° classifier; true means the line is upside down.
func (e *Engine) classify(ctx context.Context, src *image.RGBA, qs []Quad) ([]bool, error) {
	flips := make([]bool, len(qs))
	const W, batch = 192, 16
	for s := 0; s < len(qs); s += batch {
		n := min(batch, len(qs)-s)
		data := make([]float32, n*3*48*W)
		for k := 0; k < n; k++ {
			fillRec(data[k*3*48*W:(k+1)*3*48*W], lineImage(src, qs[s+k], W), W)
		}
		out, err := e.cls.Run(ctx, vision.Tensor{Shape: []int64{int64(n), 3, 48, W}, Data: data})
		if err != nil {
			return nil, fmt.Errorf("ocr: classify: %w", err)
		}
		for k := 0; k < n; k++ {
			p := out[0].Data[k*2 : k*2+2]
			flips[s+k] = p[1] > p[0] && p[1] > 0.9
		}
	}
	return flips, nil
}

// recognize reads each oriented box, batching lines of similar width.
func (e *Engine) recognize(ctx context.Context, src *image.RGBA, qs []Quad) ([]Line, error) {
	lines := make([]Line, len(qs))
	imgs := make([]*image.RGBA, len(qs))
	order := make([]int, len(qs))
	for i, q := range qs {
		imgs[i] = lineImage(src, q, 48*40)
		order[i] = i
		lines[i].Box = q
	}
	sort.Slice(order, func(a, b int) bool { return imgs[order[a]].Rect.Dx() < imgs[order[b]].Rect.Dx() })
	classes := e.dict.Classes()
	const minW = 48 * 4 // narrower inputs confuse the recogniser
	width := func(i int) int { return max(minW, imgs[i].Rect.Dx()) }
	// Group lines of similar width (ascending) so that padding wastes
	// little: a batch closes when padding would exceed a quarter of it.
	var batches [][]int
	for s := 0; s < len(order); {
		e2, sum := s, 0
		for e2 < len(order) && e2-s < e.cfg.RecBatch {
			w := width(order[e2])
			if e2 > s && (e2-s+1)*w > (sum+w)*5/4 {
				break
			}
			sum += w
			e2++
		}
		batches = append(batches, order[s:e2])
		s = e2
	}
	for _, idx := range batches {
		W := 0
		for _, i := range idx {
			W = max(W, width(i))
		}
		W = (W + 7) / 8 * 8
		n := len(idx)
		data := make([]float32, n*3*48*W)
		for k, i := range idx {
			fillRec(data[k*3*48*W:(k+1)*3*48*W], imgs[i], W)
		}
		tb := time.Now()
		out, err := e.rec.Run(ctx, vision.Tensor{Shape: []int64{int64(n), 3, 48, int64(W)}, Data: data})
		if debugRec {
			fmt.Fprintf(os.Stderr, "rec batch n=%d W=%d %v\n", n, W, time.Since(tb))
		}
		if err != nil {
			return nil, fmt.Errorf("ocr: recognise: %w", err)
		}
		steps, c := int(out[0].Shape[1]), int(out[0].Shape[2])
		if c != classes {
			return nil, fmt.Errorf("ocr: recogniser has %d classes, dictionary implies %d", c, classes)
		}
		for k, i := range idx {
			text, score, chars := decodeCTC(out[0].Data[k*steps*c:(k+1)*steps*c], steps, c, e.dict)
			// Positions are fractions of the padded width: rescale to the line.
			f := float64(W) / float64(imgs[i].Rect.Dx())
			for j := range chars {
				chars[j].Start = math.Min(1, chars[j].Start*f)
				chars[j].End = math.Min(1, chars[j].End*f)
			}
			lines[i].Text, lines[i].Score, lines[i].Chars = text, score, chars
		}
	}
	return lines, nil
}
