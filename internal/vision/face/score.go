package face

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sync/atomic"
)

// Cosine is the cosine similarity of two embeddings (their dot product,
// since both are L2-normalised).
func Cosine(a, b Embedding) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// Score maps a cosine similarity to Baidu's 0…100 scale. The mapping is
// piecewise linear through calibration anchors (docs/calibration.md): 80 is
// the cosine at FAR 1e-4 and 70 the cosine at FAR 1e-3 on the hardest
// impostor population measured, with a 95 % upper confidence bound.
func Score(cos float64) float64 {
	if math.IsNaN(cos) {
		return 0
	}
	a := *current.Load()
	if cos <= a[0].Cos {
		return a[0].Score
	}
	for i := 1; i < len(a); i++ {
		if cos <= a[i].Cos {
			t := (cos - a[i-1].Cos) / (a[i].Cos - a[i-1].Cos)
			return a[i-1].Score + t*(a[i].Score-a[i-1].Score)
		}
	}
	return a[len(a)-1].Score
}

// CosineForScore is the inverse of Score: the cosine that maps to score
// (clamped to 0…100).
func CosineForScore(score float64) float64 {
	a := *current.Load()
	if score <= a[0].Score {
		return a[0].Cos
	}
	for i := 1; i < len(a); i++ {
		if score <= a[i].Score {
			t := (score - a[i-1].Score) / (a[i].Score - a[i-1].Score)
			return a[i-1].Cos + t*(a[i].Cos-a[i-1].Cos)
		}
	}
	return a[len(a)-1].Cos
}

// Anchor is one calibration point: a cosine and the score it maps to.
type Anchor struct {
	Cos   float64 `json:"cos"`
	Score float64 `json:"score"`
}

// DefaultAnchors are the calibration points of the shipped fr_feature
// weights (docs/calibration.md, "cal-2"). They were derived on 62,280
// East Asian impostor pairs (LFW, 84 people), the hardest population
// measured, with the rule of ConservativeThreshold (95 % one-sided
// Clopper–Pearson upper bound on the FAR ≤ target):
//
//	60: 0.362 (FAR 1e-2: 573 pairs above, upper bound 9.9e-3),
//	70: 0.458 (FAR 1e-3: 48 pairs above, upper bound 9.8e-4),
//	80: 0.549 (FAR 1e-4: 1 pair above, upper bound 7.6e-5),
//	90: 0.700 (a third of the way from 0.549 to 1; no FAR meaning).
//
// The package photos (mostly Western adults) alone gave 0.24/0.31/0.42
// ("cal-1"); 143 East Asian impostor pairs scored ≥ 80 under cal-1.
var DefaultAnchors = []Anchor{
	{-1, 0},
	{0, 30},
	{0.362, 60},
	{0.458, 70},
	{0.549, 80},
	{0.700, 90},
	{1, 100},
}

var current atomic.Pointer[[]Anchor]

func init() {
	a := append([]Anchor(nil), DefaultAnchors...)
	current.Store(&a)
}

// Anchors returns a copy of the anchors in use.
func Anchors() []Anchor { return append([]Anchor(nil), *current.Load()...) }

// SetAnchors replaces the process-wide mapping (operators with their own
// weights load the output of `faceprint eval faces DIR --calibrate`). The
// anchors must start at cosine −1 / score 0, end at 1 / 100 and increase
// strictly in both cosine and score.
func SetAnchors(a []Anchor) error {
	if err := validAnchors(a); err != nil {
		return err
	}
	c := append([]Anchor(nil), a...)
	current.Store(&c)
	return nil
}

// ResetAnchors restores DefaultAnchors.
func ResetAnchors() {
	a := append([]Anchor(nil), DefaultAnchors...)
	current.Store(&a)
}

func validAnchors(a []Anchor) error {
	if len(a) < 2 {
		return errors.New("score anchors: need at least two points")
	}
	if a[0].Cos != -1 || a[0].Score != 0 || a[len(a)-1].Cos != 1 || a[len(a)-1].Score != 100 {
		return errors.New("score anchors: must run from (cos -1, score 0) to (cos 1, score 100)")
	}
	for i := 1; i < len(a); i++ {
		if !(a[i].Cos > a[i-1].Cos) || !(a[i].Score > a[i-1].Score) {
			return fmt.Errorf("score anchors: point %d (cos %g, score %g) does not increase", i, a[i].Cos, a[i].Score)
		}
	}
	return nil
}

// AnchorsFile is the JSON file `faceprint eval faces DIR --calibrate
// --write` produces and Open loads from <models>/face/ when present.
const AnchorsFile = "score_anchors.json"

// anchorsDoc is the file format: the points plus where they came from.
type anchorsDoc struct {
	Anchors []Anchor `json:"anchors"`
	Model   string   `json:"model,omitempty"`  // fr_feature sha256 they were derived for
	Source  string   `json:"source,omitempty"` // data set, pair counts
}

// LoadAnchors reads an anchors file and installs its mapping. featureSHA,
// when not empty, must match the file's model field (anchors are only valid
// for the weights they were measured on).
func LoadAnchors(path, featureSHA string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("score anchors: %w", err)
	}
	var d anchorsDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("score anchors %s: %w", path, err)
	}
	if featureSHA != "" && d.Model != "" && d.Model != featureSHA {
		return fmt.Errorf("score anchors %s were derived for fr_feature %s, installed weights are %s", path, d.Model, featureSHA)
	}
	if err := SetAnchors(d.Anchors); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// WriteAnchors writes anchors in the format LoadAnchors reads.
func WriteAnchors(path string, a []Anchor, featureSHA, source string) error {
	if err := validAnchors(a); err != nil {
		return err
	}
	b, err := json.MarshalIndent(anchorsDoc{Anchors: a, Model: featureSHA, Source: source}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write score anchors: %w", err)
	}
	return nil
}

// DeriveAnchors computes anchors from impostor cosines with
// ConservativeThreshold: 60, 70 and 80 at FAR 1e-2, 1e-3 and 1e-4, 90 a
// third of the way from the 80 cosine to 1 (no FAR meaning: it only keeps
// high scores spread out). Unsupported lists the FARs the pair count cannot
// show (their anchor is put just above the highest impostor pair, which is
// the most the data can say).
func DeriveAnchors(impostor []float64) (a []Anchor, unsupported []float64) {
	a = []Anchor{{-1, 0}, {0, 30}}
	prev := 0.0
	for i, far := range []float64{1e-2, 1e-3, 1e-4} {
		t, _, ok := ConservativeThreshold(impostor, far)
		if !ok {
			unsupported = append(unsupported, far)
		}
		t = math.Max(t, prev+0.01) // keep the mapping strictly increasing
		a = append(a, Anchor{t, float64(60 + 10*i)})
		prev = t
	}
	a = append(a, Anchor{prev + (1-prev)/3, 90}, Anchor{1, 100})
	return a, unsupported
}
