package ocr

import (
	"context"
	"fmt"
	"image"
	"math"

	"github.com/faceprint/faceprint/internal/vision"
)

// classOf returns the recogniser class of a one-character string.
func (d *Dict) classOf(s string) (int, bool) {
	d.once.Do(func() {
		d.index = make(map[string]int, len(d.chars))
		for i, c := range d.chars {
			if _, dup := d.index[c]; !dup {
				d.index[c] = i + 1
			}
		}
	})
	c, ok := d.index[s]
	return c, ok
}

// Choice is a candidate text with its CTC log-likelihood and its share of
// the likelihood over all candidates.
type Choice struct {
	Text      string
	LogProb   float64
	Posterior float64
}

// ReadAs recognises the text in box q of img as one of cands (a closed
// vocabulary such as the 56 ethnic group names): it runs the recogniser on
// the crop and scores every candidate with the CTC forward algorithm. It
// returns the most likely candidate; the caller decides whether its
// posterior is high enough to use.
func (e *Engine) ReadAs(ctx context.Context, img image.Image, q Quad, cands []string) (Choice, error) {
	src := ToRGBA(img)
	line := lineImage(src, q, 48*40)
	W := max(48*4, line.Rect.Dx())
	W = (W + 7) / 8 * 8
	data := make([]float32, 3*48*W)
	fillRec(data, line, W)
	out, err := e.rec.Run(ctx, vision.Tensor{Shape: []int64{1, 3, 48, int64(W)}, Data: data})
	if err != nil {
		return Choice{}, fmt.Errorf("ocr: recognise: %w", err)
	}
	steps, classes := int(out[0].Shape[1]), int(out[0].Shape[2])
	probs := out[0].Data[:steps*classes]
	var best Choice
	best.LogProb = math.Inf(-1)
	var logs []float64
	for _, c := range cands {
		var labels []int
		ok := true
		for _, r := range c {
			k, found := e.dict.classOf(string(r))
			if !found {
				ok = false
				break
			}
			labels = append(labels, k)
		}
		if !ok || len(labels) == 0 {
			continue
		}
		lp := ctcLogLikelihood(probs, steps, classes, labels)
		logs = append(logs, lp)
		if lp > best.LogProb {
			best = Choice{Text: c, LogProb: lp}
		}
	}
	if math.IsInf(best.LogProb, -1) {
		return Choice{}, nil
	}
	var z float64
	for _, l := range logs {
		z += math.Exp(l - best.LogProb)
	}
	best.Posterior = 1 / z
	return best, nil
}

// ctcLogLikelihood is log P(labels | probs) under CTC (blank = class 0),
// computed with the forward algorithm in log space.
func ctcLogLikelihood(probs []float32, steps, classes int, labels []int) float64 {
	S := 2*len(labels) + 1
	ext := make([]int, S)
	for i, l := range labels {
		ext[2*i+1] = l
	}
	neg := math.Inf(-1)
	lp := func(t, c int) float64 { return math.Log(math.Max(float64(probs[t*classes+c]), 1e-30)) }
	alpha := make([]float64, S)
	next := make([]float64, S)
	for s := range alpha {
		alpha[s] = neg
	}
	alpha[0] = lp(0, ext[0])
	if S > 1 {
		alpha[1] = lp(0, ext[1])
	}
	for t := 1; t < steps; t++ {
		for s := 0; s < S; s++ {
			a := alpha[s]
			if s >= 1 {
				a = logAdd(a, alpha[s-1])
			}
			if s >= 2 && ext[s] != 0 && ext[s] != ext[s-2] {
				a = logAdd(a, alpha[s-2])
			}
			next[s] = a + lp(t, ext[s])
		}
		alpha, next = next, alpha
	}
	if S == 1 {
		return alpha[0]
	}
	return logAdd(alpha[S-1], alpha[S-2])
}

func logAdd(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// ReadQuads recognises the text in each box of img as it is (no detection,
// no orientation): a caller re-reads a region it has located, such as the
// place of a character the line's reading dropped.
func (e *Engine) ReadQuads(ctx context.Context, img image.Image, qs []Quad) ([]Line, error) {
	return e.recognize(ctx, ToRGBA(img), qs)
}
