// Package idcard reads Chinese resident ID cards: card finding and
// rectification, field extraction, GB 11643 validation, quality and risk.
//
// The reader runs the general PP-OCR pipeline once on the photo, orients the
// text, finds the printed labels (姓名, 公民身份号码, 签发机关 …), maps them to
// their known places on the card to recover the card's perspective, and then
// assigns each recognised value to its field by label and by position.
package idcard

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/faceprint/faceprint/internal/idnumber"
	"image"
	"image/jpeg"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/faceprint/faceprint/internal/idcard/glyph"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// Reader reads ID card photos. Safe for concurrent use. A photo without a
// card is a successful reading (image_status non_idcard); errors are for bad
// input (vision intake errors, see vision.IntakeCode) and engine failures.
type Reader struct {
	ocr    *ocr.Engine
	gate   *vision.Gate
	glyphs *glyph.Matcher // nil: no CJK fonts installed, recogniser only
}

// SetGate makes every reading wait for a slot of g (shared with the other
// engines so that inference never oversubscribes the CPUs); a full queue
// yields vision.ErrBusy.
func (r *Reader) SetGate(g *vision.Gate) { r.gate = g }

// NewReader wraps an OCR engine; the reader takes ownership of it.
func NewReader(e *ocr.Engine) *Reader { return &Reader{ocr: e, glyphs: openGlyphs()} }

// Open loads the OCR models from <modelsDir>/ocr.
func Open(rt *vision.Runtime, modelsDir string, cfg ocr.Config) (*Reader, error) {
	e, err := ocr.Open(rt, filepath.Join(modelsDir, "ocr"), cfg)
	if err != nil {
		return nil, fmt.Errorf("idcard: %w", err)
	}
	return &Reader{ocr: e, glyphs: openGlyphs()}, nil
}

// SetGlyphs replaces (nil: disables) the glyph check of unsure characters;
// the reader takes ownership of m and closes the matcher it had.
func (r *Reader) SetGlyphs(m *glyph.Matcher) {
	if r.glyphs != m {
		_ = r.glyphs.Close()
	}
	r.glyphs = m
}

// Close releases the OCR models.
func (r *Reader) Close() error {
	if r == nil || r.ocr == nil {
		return nil
	}
	return errors.Join(r.ocr.Close(), r.glyphs.Close())
}

// ModelInfo names the models behind the reader.
func (r *Reader) ModelInfo() string {
	g := "none"
	if r.glyphs != nil {
		g = strings.Join(r.glyphs.Fonts(), ",")
	}
	return "faceprint-idcard/1 " + r.ocr.ModelInfo() + " glyphs=" + g
}

// Options are the request switches of /rest/2.0/ocr/v1/idcard.
type Options struct {
	Side            string // "front" or "back" (required by the API)
	DetectDirection bool
	DetectRisk      bool
	DetectQuality   bool
	DetectPhoto     bool
	DetectCard      bool
	Now             time.Time // for expiry and birth-date checks (injected clock)
}

// ReadBytes decodes an encoded image (JPEG, PNG, BMP, WebP; EXIF applied)
// within the limits and reads it. Intake failures are vision errors
// (vision.IntakeCode maps them to Baidu codes).
func (r *Reader) ReadBytes(ctx context.Context, data []byte, lim vision.Limits, opt Options) (*Reading, error) {
	img, err := vision.Decode(data, lim)
	if err != nil {
		return nil, err
	}
	return r.Read(ctx, img, opt)
}

// Read reads one side of a card from a decoded photo.
func (r *Reader) Read(ctx context.Context, img image.Image, opt Options) (*Reading, error) {
	if r.gate == nil {
		return r.read(ctx, img, opt)
	}
	var rd *Reading
	err := r.gate.Do(ctx, func(ctx context.Context) error {
		var err error
		rd, err = r.read(ctx, img, opt)
		return err
	})
	return rd, err
}

func (r *Reader) read(ctx context.Context, img image.Image, opt Options) (*Reading, error) {
	start := time.Now()
	if opt.Now.IsZero() {
		return nil, errors.New("idcard: Options.Now is required")
	}
	if opt.Side != "front" && opt.Side != "back" {
		return nil, fmt.Errorf("idcard: side %q, want front or back", opt.Side)
	}
	src := ocr.ToRGBA(img)
	// Small photos: enlarge so that glyphs reach the detector's working size.
	up := 1.0
	if l := max(src.Rect.Dx(), src.Rect.Dy()); l < 640 && l >= 15 {
		up = math.Min(4, 960/float64(l))
		w, h := int(float64(src.Rect.Dx())*up), int(float64(src.Rect.Dy())*up)
		src = ocr.Warp(src, ocr.Homography{1 / up, 0, 0, 0, 1 / up, 0, 0, 0, 1}, w, h)
	}
	res, err := r.ocr.Read(ctx, src, ocr.Options{Uniform: true})
	if err != nil {
		return nil, fmt.Errorf("idcard: %w", err)
	}
	a := analyse(ctx, r.ocr, r.glyphs, res, src, opt)
	a.rescale(1 / up)
	rd := a.reading(opt)
	rd.Millis = time.Since(start).Milliseconds()
	rd.Timing = res.Timing
	return rd, nil
}

// analysis is the intermediate state of one reading.
type analysis struct {
	ctx        context.Context
	eng        *ocr.Engine
	glyphs     *glyph.Matcher
	labelAt    map[string]labelPos // where each label was read
	src        *image.RGBA
	res        *ocr.Result
	side       string
	anchors    int
	toCard     ocr.Homography // image → normalised card
	toImage    ocr.Homography // normalised card → image
	hasCard    bool
	segs       []segment
	other      bool // text of another kind of card
	temporary  bool
	fields     map[string]string
	locs       map[string]Location
	corr       *Correction
	glyphFixes []GlyphChoice
	numType    int
	measures   Measures
	cardImg    *image.RGBA
	portrait   *image.RGBA
	cardQuad   ocr.Quad
	scale      float64
}

func analyse(ctx context.Context, eng *ocr.Engine, glyphs *glyph.Matcher, res *ocr.Result, src *image.RGBA, opt Options) *analysis {
	a := &analysis{ctx: ctx, eng: eng, glyphs: glyphs, src: src, res: res, scale: 1, fields: map[string]string{}, locs: map[string]Location{}, labelAt: map[string]labelPos{}}
	// Labels per line.
	var srcPts, dstPts []ocr.Point
	seen := map[string]bool{}
	front, back := 0, 0
	numberEvidence := false
	var allText strings.Builder
	for i := range res.Lines {
		l := &res.Lines[i]
		allText.WriteString(l.Text)
		if isSpecimenMark(l.Text) {
			continue
		}
		rs := []rune(l.Text)
		fs := findLabels(rs)
		for _, f := range fs {
			if seen[f.Spec.Text] {
				continue
			}
			seen[f.Spec.Text] = true
			a.labelAt[f.Spec.Text] = labelPos{line: l, f: f}
			if f.Spec.Front {
				front++
			} else {
				back++
			}
			if len(l.Chars) != len(rs) || !f.Aligned {
				continue
			}
			n := f.End - f.Start
			an := f.Spec.Anchor
			step := 0.0
			if n > 1 {
				step = (an.W - an.H) / float64(n-1)
			}
			for _, k := range []int{0, n - 1} {
				srcPts = append(srcPts, l.CharBox(f.Start+k, f.Start+k).Center())
				dstPts = append(dstPts, ocr.Point{X: an.X + an.H/2 + float64(k)*step, Y: an.Y + an.H/2})
				if n == 1 {
					break
				}
			}
		}
		// An 18-character number anchors the geometry by its first and last
		// digit, and a checksum-valid one is evidence of a front side.
		if len(l.Chars) == len(rs) && !seen["number-digits"] {
			if loc := reNumber.FindStringIndex(l.Text); loc != nil {
				run := strings.ToUpper(l.Text[loc[0]:loc[1]])
				w := validWindow(run, opt.Now)
				if len(w) != 18 {
					w = run[:18]
				}
				i := len([]rune(l.Text[:loc[0]])) + strings.Index(run, w)
				n := string(rs[i : i+18])
				seen["number-digits"] = true
				if _, err := idnumber.ValidateNumber(strings.ToUpper(n), opt.Now); err == nil {
					numberEvidence = true
				}
				srcPts = append(srcPts, l.CharBox(i, i).Center(), l.CharBox(i+17, i+17).Center())
				dstPts = append(dstPts, ocr.Point{X: NumberFirstX, Y: NumberMidY}, ocr.Point{X: NumberFirstX + 17*NumberPitch, Y: NumberMidY})
			}
		}
		a.segs = append(a.segs, splitLine(l, fs)...)
	}
	a.measures.WholeLuma, a.measures.WholeSaturated, a.measures.WholeSharpness = wholeImage(src)
	a.measures.TextBoxes = res.Detected
	text := allText.String()
	a.temporary = strings.Contains(text, "临时")
	for _, k := range []string{"银行", "银联", "UnionPay", "信用卡", "储蓄卡", "借记卡", "驾驶证", "护照", "社会保障", "通行证", "居住证", "VISA", "工作证", "学生证"} {
		if strings.Contains(text, k) {
			a.other = true
		}
	}
	if !a.other && front+back == 0 {
		// A long, clearly read number but no ID labels: bank or membership card.
		for _, l := range res.Lines {
			run := reDigits.FindString(strings.ReplaceAll(l.Text, " ", ""))
			if l.Score >= 0.85 && len(run) >= 13 && !looksLikeIDNumber(run) {
				a.other = true
			}
		}
	}
	a.anchors = front + back
	if numberEvidence && front == 0 {
		front = 1
	}
	switch {
	case front >= 2 && front >= back, front == 1 && back == 0:
		a.side = "front"
	case back >= 1:
		a.side = "back"
	}
	if a.other && a.anchors <= 1 {
		// One label-like word on a card that names itself a bank or other
		// card (有效期 on a bank card looks like 有效期限).
		a.side = ""
	}
	if a.side == "" {
		return a
	}
	if h, ok := fitTransform(srcPts, dstPts); ok {
		if inv, ok := h.Inverse(); ok {
			a.toCard, a.toImage, a.hasCard = h, inv, true
		}
	}
	if a.hasCard {
		a.cardQuad = ocr.Quad{
			a.toImage.Apply(ocr.Point{X: 0, Y: 0}), a.toImage.Apply(ocr.Point{X: CardW, Y: 0}),
			a.toImage.Apply(ocr.Point{X: CardW, Y: CardH}), a.toImage.Apply(ocr.Point{X: 0, Y: CardH}),
		}
		a.cardImg = ocr.Warp(src, a.toImage, CardW, CardH)
		if a.side == "front" {
			pb := PortraitBox
			q := ocr.Quad{
				a.toImage.Apply(ocr.Point{X: pb.X0, Y: pb.Y0}), a.toImage.Apply(ocr.Point{X: pb.X1, Y: pb.Y0}),
				a.toImage.Apply(ocr.Point{X: pb.X1, Y: pb.Y1}), a.toImage.Apply(ocr.Point{X: pb.X0, Y: pb.Y1}),
			}
			a.portrait = ocr.WarpQuad(src, q, int(pb.X1-pb.X0), int(pb.Y1-pb.Y0))
		}
	}
	// The screen spectrum (the costliest measure, only for risk) needs only
	// the card's place: it runs while the fields are read.
	var peak chan float64
	if opt.DetectRisk && a.hasCard {
		peak = make(chan float64, 1)
		go func() { peak <- screenPeak(src, a.toImage) }()
	}
	a.measure() // before the fields: the glyph check heeds exposure
	a.extract(opt)
	if peak != nil {
		a.measures.ScreenPeak = <-peak
	}
	return a
}

// looksLikeIDNumber reports a digit run shaped like a citizen number (17 or
// 18 digits, a province prefix and a birth date), checksum aside.
func looksLikeIDNumber(run string) bool {
	if len(run) != 17 && len(run) != 18 {
		return false
	}
	if !idnumber.KnownRegion(run) {
		return false
	}
	_, err := idnumber.ParseDate(run[6:14])
	return err == nil
}

// validWindow returns the only 18-character window of a longer digit run
// that passes idnumber.ValidateNumber, or the run unchanged when none or several do.
func validWindow(run string, now time.Time) string {
	found := ""
	for i := 0; i+18 <= len(run); i++ {
		if _, err := idnumber.ValidateNumber(run[i:i+18], now); err == nil {
			if found != "" {
				return run
			}
			found = run[i : i+18]
		}
	}
	if found == "" {
		return run
	}
	return found
}

// reNumber finds a run of at least 18 number characters inside a line.
var reNumber = regexp.MustCompile(`[0-9]{17,}[0-9Xx]`)

// fitTransform maps image points to card points: a homography from 4 or
// more anchors (8+ points) when it fits well, else affine, else a
// similarity from the two points farthest apart.
func fitTransform(src, dst []ocr.Point) (ocr.Homography, bool) {
	if len(src) >= 8 {
		if h, ok := ocr.FitHomography(src, dst); ok && rms(h, src, dst) < 12 && plausible(h) {
			return h, true
		}
	}
	if len(src) >= 4 && !collinear(src) {
		if h, ok := ocr.AffineHomography(src, dst); ok && rms(h, src, dst) < 20 && plausible(h) {
			return h, true
		}
	}
	if len(src) >= 2 {
		i, j, best := 0, 1, 0.0
		for a := range src {
			for b := a + 1; b < len(src); b++ {
				if d := math.Hypot(src[a].X-src[b].X, src[a].Y-src[b].Y); d > best {
					i, j, best = a, b, d
				}
			}
		}
		if best < 2 {
			return ocr.Homography{}, false
		}
		// z' = c·z + t with complex c.
		sx, sy := src[j].X-src[i].X, src[j].Y-src[i].Y
		dx, dy := dst[j].X-dst[i].X, dst[j].Y-dst[i].Y
		den := sx*sx + sy*sy
		cr, ci := (dx*sx+dy*sy)/den, (dy*sx-dx*sy)/den
		tx := dst[i].X - (cr*src[i].X - ci*src[i].Y)
		ty := dst[i].Y - (ci*src[i].X + cr*src[i].Y)
		return ocr.Homography{cr, -ci, tx, ci, cr, ty, 0, 0, 1}, true
	}
	return ocr.Homography{}, false
}

func rms(h ocr.Homography, src, dst []ocr.Point) float64 {
	var s float64
	for i := range src {
		p := h.Apply(src[i])
		s += (p.X-dst[i].X)*(p.X-dst[i].X) + (p.Y-dst[i].Y)*(p.Y-dst[i].Y)
	}
	return math.Sqrt(s / float64(len(src)))
}

// plausible rejects transforms that fold the card (sign change of the
// Jacobian across the card) or squash it.
func plausible(h ocr.Homography) bool {
	inv, ok := h.Inverse()
	if !ok {
		return false
	}
	c := []ocr.Point{inv.Apply(ocr.Point{X: 0, Y: 0}), inv.Apply(ocr.Point{X: CardW, Y: 0}), inv.Apply(ocr.Point{X: CardW, Y: CardH}), inv.Apply(ocr.Point{X: 0, Y: CardH})}
	sign := 0.0
	for i := 0; i < 4; i++ {
		a, b, d := c[i], c[(i+1)%4], c[(i+2)%4]
		cr := (b.X-a.X)*(d.Y-b.Y) - (b.Y-a.Y)*(d.X-b.X)
		if sign == 0 {
			sign = cr
		} else if sign*cr <= 0 {
			return false
		}
	}
	w := math.Hypot(c[1].X-c[0].X, c[1].Y-c[0].Y)
	hh := math.Hypot(c[3].X-c[0].X, c[3].Y-c[0].Y)
	if w == 0 || hh == 0 {
		return false
	}
	ratio := (w / hh) / (float64(CardW) / CardH)
	return ratio > 0.4 && ratio < 2.5
}

func collinear(pts []ocr.Point) bool {
	// Spread across the best-fit line, relative to the extent along it.
	var mx, my float64
	for _, p := range pts {
		mx += p.X
		my += p.Y
	}
	mx /= float64(len(pts))
	my /= float64(len(pts))
	var sxx, syy, sxy float64
	for _, p := range pts {
		sxx += (p.X - mx) * (p.X - mx)
		syy += (p.Y - my) * (p.Y - my)
		sxy += (p.X - mx) * (p.Y - my)
	}
	tr, det := sxx+syy, sxx*syy-sxy*sxy
	l1 := tr/2 + math.Sqrt(math.Max(0, tr*tr/4-det))
	l2 := tr/2 - math.Sqrt(math.Max(0, tr*tr/4-det))
	return l1 == 0 || l2/l1 < 0.01
}

// shiftFixes moves the positions of a field's glyph changes after cut
// characters were trimmed from the front of its value (dropping changes
// made in what was cut).
func (a *analysis) shiftFixes(field string, cut int) {
	if cut == 0 {
		return
	}
	kept := a.glyphFixes[:0]
	for _, g := range a.glyphFixes {
		if g.Field == field {
			g.Position -= cut
			if g.Position < 0 {
				continue
			}
		}
		kept = append(kept, g)
	}
	a.glyphFixes = kept
}

// cardBox is the image quad of n characters of size em whose first one has
// its top left at (x, y) on the normalised card.
func (a *analysis) cardBox(x, y, em float64, n int) ocr.Quad {
	w := em * float64(n)
	return ocr.Quad{
		a.toImage.Apply(ocr.Point{X: x, Y: y}), a.toImage.Apply(ocr.Point{X: x + w, Y: y}),
		a.toImage.Apply(ocr.Point{X: x + w, Y: y + em}), a.toImage.Apply(ocr.Point{X: x, Y: y + em}),
	}
}

// cardPos maps an image point to the normalised card.
func (a *analysis) cardPos(p ocr.Point) ocr.Point {
	if !a.hasCard {
		return ocr.Point{X: -1, Y: -1}
	}
	return a.toCard.Apply(p)
}

// slot decides the field of an unlabelled segment from its card position.
func slot(side string, p ocr.Point) string {
	if p.X < 0 || p.Y < 0 || p.X > CardW || p.Y > CardH {
		return ""
	}
	if side == "front" {
		switch {
		case p.Y >= 420 && p.Y < 520 && p.X > 120:
			return KeyNumber
		case p.X < 130 || p.X > PortraitBox.X0-5:
			return ""
		case p.Y >= 40 && p.Y < 110:
			return KeyName
		case p.Y >= 110 && p.Y < 168 && p.X < AnchorNation.X:
			return KeySex
		case p.Y >= 110 && p.Y < 168:
			return KeyNation
		case p.Y >= 168 && p.Y < 230:
			return KeyBirth
		case p.Y >= 230 && p.Y < 400:
			return KeyAddress
		}
		return ""
	}
	switch {
	case p.X < BackValueX-30:
		return ""
	case p.Y >= 370 && p.Y < 435:
		return KeyAuthority
	case p.Y >= 435 && p.Y < 515:
		return "validity"
	}
	return ""
}

// extract assigns segments to fields and cleans their values.
func (a *analysis) extract(opt Options) {
	type part struct {
		seg segment
		pos ocr.Point
	}
	byKey := map[string][]part{}
	for _, s := range a.segs {
		if s.Key == "-" {
			continue
		}
		if isSpecimenMark(s.Text) {
			continue
		}
		pos := a.cardPos(s.box().Center())
		key := s.Key
		if key == "" {
			key = slot(a.side, pos)
			// A value box can overlap its label: drop leading characters
			// that sit in the label column (fragments of the label glyphs).
			if key != "" && key != KeyNumber {
				s = a.trimLabelColumn(s, key)
				if s.End <= s.Start {
					continue
				}
			}
		}
		if key == "" {
			continue
		}
		// A labelled front field read on the back (or the reverse) is noise.
		if (a.side == "front") != isFrontKey(key) {
			continue
		}
		byKey[key] = append(byKey[key], part{s, pos})
	}
	pickBest := func(ps []part) part {
		// Prefer a labelled segment, then the most confident.
		best := ps[0]
		for _, p := range ps[1:] {
			if (p.seg.Key != "") != (best.seg.Key != "") {
				if p.seg.Key != "" {
					best = p
				}
				continue
			}
			if p.seg.Line.Score > best.seg.Line.Score {
				best = p
			}
		}
		return best
	}
	set := func(key, val string, qs ...ocr.Quad) {
		if val == "" {
			return
		}
		a.fields[key] = val
		a.locs[key] = locationOf(qs...)
	}
	if a.side == "front" {
		if ps := byKey[KeyName]; len(ps) > 0 {
			p := pickBest(ps)
			name := cleanName(stripSpecimen(a.glyphCheck(KeyName, p.seg, NameEm)))
			t := trimNameLabel(name)
			a.shiftFixes(KeyName, utf8.RuneCountInString(name)-utf8.RuneCountInString(t))
			set(KeyName, t, p.seg.box())
		}
		if ps := byKey[KeySex]; len(ps) > 0 {
			p := pickBest(ps)
			for _, r := range p.seg.Text {
				if r == '男' || r == '女' {
					set(KeySex, string(r), p.seg.box())
					break
				}
			}
		}
		if _, ok := a.fields[KeySex]; !ok {
			if v, q := a.valueAfterLabel("性别", []string{"男", "女"}); v != "" {
				set(KeySex, v, q)
			} else if v := a.readByGlyphs(FrontValueX, AnchorSex.Y-1, ValueEm, []string{"男", "女"}); v != "" {
				set(KeySex, v, a.cardBox(FrontValueX, AnchorSex.Y-1, ValueEm, 1))
			}
		}
		if ps := byKey[KeyNation]; len(ps) > 0 {
			p := pickBest(ps)
			set(KeyNation, a.readNation(p.seg), p.seg.box())
		}
		if _, ok := a.fields[KeyNation]; !ok {
			if v, q := a.valueAfterLabel("民族", nations); v != "" {
				set(KeyNation, v, q)
			} else if v := a.readByGlyphs(NationValueX, AnchorNation.Y-1, ValueEm, nations); v != "" {
				set(KeyNation, v, a.cardBox(NationValueX, AnchorNation.Y-1, ValueEm, len([]rune(v))))
			}
		}
		if ps := byKey[KeyBirth]; len(ps) > 0 {
			p := pickBest(ps)
			set(KeyBirth, normBirth(p.seg.Text), p.seg.box())
		}
		if ps := byKey[KeyAddress]; len(ps) > 0 {
			// Lines top to bottom; the labelled line first when positions are unknown.
			sort.SliceStable(ps, func(i, j int) bool {
				if a.hasCard {
					return ps[i].pos.Y < ps[j].pos.Y-10 || (math.Abs(ps[i].pos.Y-ps[j].pos.Y) <= 10 && ps[i].pos.X < ps[j].pos.X)
				}
				return ps[i].seg.Key != "" && ps[j].seg.Key == ""
			})
			var b strings.Builder
			var qs []ocr.Quad
			for _, p := range ps {
				n0, off := len(a.glyphFixes), utf8.RuneCountInString(b.String())
				b.WriteString(cleanText(stripSpecimen(a.glyphCheck(KeyAddress, p.seg, AddressEm))))
				for k := n0; k < len(a.glyphFixes); k++ {
					a.glyphFixes[k].Position += off // positions in the joined address
				}
				qs = append(qs, p.seg.box())
			}
			addr := b.String()
			t := trimAddressStart(addr)
			a.shiftFixes(KeyAddress, utf8.RuneCountInString(addr)-utf8.RuneCountInString(t))
			set(KeyAddress, t, qs...)
		}
		if ps := byKey[KeyNumber]; len(ps) > 0 {
			// Longest digit run wins (the number may be split from its label).
			best, bestN := ps[0], ""
			for _, p := range ps {
				n, _ := normNumber(p.seg.Text, p.seg.confs(), 0.9)
				if len(n) > len(bestN) || (len(n) == len(bestN) && p.seg.Key != "") {
					best, bestN = p, n
				}
			}
			if len(bestN) > 18 {
				// A stray character from the label or the edge: keep the one
				// 18-character window that is a valid number.
				bestN = validWindow(bestN, opt.Now)
			}
			if len(bestN) == 18 {
				fixed, corr, ok := CorrectAmong(bestN, numberCandidates(best.seg, 0.9), opt.Now)
				if ok {
					bestN, a.corr = fixed, corr
				}
			}
			a.numType = ClassifyNumber(bestN, a.fields[KeySex], a.fields[KeyBirth], len(a.fields) > 0, opt.Now)
			if a.numType != NumberTypeInvalid && bestN != "" {
				set(KeyNumber, bestN, best.seg.box())
			}
		} else {
			a.numType = ClassifyNumber("", a.fields[KeySex], a.fields[KeyBirth], len(a.fields) > 0, opt.Now)
		}
		return
	}
	if ps := byKey[KeyAuthority]; len(ps) > 0 {
		p := pickBest(ps)
		set(KeyAuthority, cleanText(stripSpecimen(p.seg.Text)), p.seg.box())
	}
	if ps := byKey["validity"]; len(ps) > 0 {
		p := pickBest(ps)
		issue, expire := parseValidity(p.seg.Text)
		q := p.seg.box()
		// Locations: the first and second half of the validity text.
		set(KeyIssue, issue, q.Sub(0, 0.5))
		set(KeyExpire, expire, q.Sub(0.5, 1))
	}
}

// labelPos is a label read in a line.
type labelPos struct {
	line *ocr.Line
	f    found
}

// valueAfterLabel reads a closed-vocabulary value that the detector missed
// (a lone character such as 汉 or 男 beside its label): it crops the
// stretch right after the label, about four characters long, and scores the
// candidates there. The label must end its line (otherwise the value was
// read and simply not valid).
func (a *analysis) valueAfterLabel(label string, cands []string) (string, ocr.Quad) {
	lp, ok := a.labelAt[label]
	if !ok || a.eng == nil || len(lp.line.Chars) != len([]rune(lp.line.Text)) || lp.f.End != len(lp.line.Chars) {
		return "", ocr.Quad{}
	}
	q := lp.line.Box
	w, h := q.Width(), q.Height()
	if w <= 0 {
		return "", ocr.Quad{}
	}
	end := lp.line.Chars[lp.f.End-1].End
	crop := q.Sub(end, end+4*h/w)
	ch, err := a.eng.ReadAs(a.ctx, a.src, crop, cands)
	if err != nil || ch.Posterior < NationPosterior || ch.LogProb < -8 {
		return "", ocr.Quad{}
	}
	return ch.Text, crop
}

// NationPosterior is how sure the closed-vocabulary reading of the nation
// must be (its share of the likelihood over the 56 names) to be used.
var NationPosterior = 0.8

// readNation reads the nation as one of the 56 names: the text itself when
// valid, else the recogniser's candidates, else a CTC-scored re-read of the
// value's box restricted to the 56 names. Nothing convincing → "".
func (a *analysis) readNation(s segment) string {
	if n := readNation(s); n != "" || a.eng == nil {
		return n
	}
	// The value's full extent: from the end of the character before it to
	// the start of the one after it (CTC places each character near its
	// centre, so the characters' own spans are too narrow to crop).
	q := s.Line.Box
	if len(s.Line.Chars) == len([]rune(s.Line.Text)) {
		f0, f1 := 0.0, 1.0
		if s.Start > 0 {
			f0 = s.Line.Chars[s.Start-1].End
		}
		if s.End < len(s.Line.Chars) {
			f1 = s.Line.Chars[s.End].Start
		}
		q = q.Sub(f0, f1)
	}
	ch, err := a.eng.ReadAs(a.ctx, a.src, q, nations)
	if err != nil || ch.Posterior < NationPosterior {
		return ""
	}
	return ch.Text
}

// trimLabelColumn drops a segment's leading characters whose centres lie
// left of where values start on the card.
func (a *analysis) trimLabelColumn(s segment, key string) segment {
	if !a.hasCard || len(s.Line.Chars) != len([]rune(s.Line.Text)) {
		return s
	}
	minX := FrontValueX - 6
	switch {
	case a.side == "back":
		minX = BackValueX - 6
	case key == KeyNation:
		minX = AnchorNation.X + AnchorNation.W + 4
	}
	rs := []rune(s.Line.Text)
	for s.Start < s.End && a.cardPos(s.Line.CharBox(s.Start, s.Start).Center()).X < minX {
		s.Start++
	}
	s.Text = string(rs[s.Start:s.End])
	return s
}

func isFrontKey(k string) bool {
	switch k {
	case KeyName, KeySex, KeyNation, KeyBirth, KeyAddress, KeyNumber:
		return true
	}
	return false
}

// rescale maps image positions back to the submitted image when it was enlarged.
func (a *analysis) rescale(f float64) {
	if f == 1 {
		return
	}
	a.scale = f
	for k, l := range a.locs {
		a.locs[k] = Location{Left: int(float64(l.Left) * f), Top: int(float64(l.Top) * f), Width: int(math.Ceil(float64(l.Width) * f)), Height: int(math.Ceil(float64(l.Height) * f))}
	}
	for i := range a.cardQuad {
		a.cardQuad[i].X *= f
		a.cardQuad[i].Y *= f
	}
}

// direction converts the text angle to Baidu's direction (counter-clockwise
// quarter turns of the image content).
func direction(angle float64) int {
	deg := angle * 180 / math.Pi
	q := int(math.Round(deg/90)) % 4
	if q < 0 {
		q += 4
	}
	// Text running downwards (+90°) means the card was turned clockwise,
	// i.e. 270° counter-clockwise.
	return [4]int{0, 3, 2, 1}[q]
}

// reading builds the Baidu response and the typed reading.
func (a *analysis) reading(opt Options) *Reading {
	rd := &Reading{Side: a.side, Fields: map[string]string{}, Correction: a.corr, Glyphs: a.glyphFixes, Measures: a.measures}
	resp := &rd.Response
	resp.WordsResult = map[string]Word{}
	if opt.DetectDirection {
		d := direction(a.res.Angle)
		if len(a.res.Lines) == 0 {
			d = -1
		}
		resp.Direction = &d
	}
	status := StatusNormal
	switch {
	case a.side == "" && wholeImageStatus(a.measures) != "":
		status = wholeImageStatus(a.measures) // too dark, bright or blurred to tell
	case a.side == "" && a.other:
		status = StatusOtherType
	case a.side == "":
		status = StatusNonIDCard
	case a.side != opt.Side:
		status = StatusReversedSide
	case !a.hasCard:
		status = StatusUnknown // labels read, but too few to locate the card and judge its quality
	default:
		status = qualityStatus(a.measures)
	}
	resp.ImageStatus = status
	if a.side == opt.Side {
		keys := FrontKeys
		if opt.Side == "back" {
			keys = BackKeys
		}
		for _, k := range keys {
			if v, ok := a.fields[k]; ok {
				resp.WordsResult[k] = Word{Location: a.locs[k], Words: v}
				rd.Fields[k] = v
			}
		}
		if opt.Side == "back" {
			if e := a.fields[KeyExpire]; e != "" && e != "长期" {
				if t, err := idnumber.ParseDate(e); err == nil && t.AddDate(0, 0, 1).Before(opt.Now) {
					rd.Expired = true
				}
			}
		}
	}
	if opt.Side == "front" {
		nt := NumberTypeEmpty
		if a.side == "front" {
			nt = a.numType
		}
		resp.IDCardNumberType = &nt
	}
	resp.WordsResultNum = len(resp.WordsResult)
	if a.corr != nil && resp.WordsResult[KeyNumber].Words != "" {
		resp.NumberCorrected = &NumberCorrection{Position: a.corr.Position, Read: string(a.corr.From), Written: string(a.corr.To)}
	}
	for _, g := range a.glyphFixes {
		if _, ok := resp.WordsResult[g.Field]; ok {
			resp.GlyphCorrected = append(resp.GlyphCorrected, GlyphCorrection{Field: g.Field, Position: g.Position, Read: g.Read, Written: g.Written})
		}
	}
	if opt.DetectRisk {
		resp.RiskType = riskType(a)
		empty := ""
		resp.EditTool = &empty
	}
	if opt.DetectQuality {
		resp.CardQuality = cardQuality(a)
	}
	if a.portrait != nil && a.side == "front" && opt.Side == "front" {
		if b, err := encodeJPEG(a.portrait, 90); err == nil {
			rd.Portrait = b
			if opt.DetectPhoto {
				resp.Photo = base64.StdEncoding.EncodeToString(b)
				pb := PortraitBox
				q := ocr.Quad{
					a.toImage.Apply(ocr.Point{X: pb.X0, Y: pb.Y0}), a.toImage.Apply(ocr.Point{X: pb.X1, Y: pb.Y0}),
					a.toImage.Apply(ocr.Point{X: pb.X1, Y: pb.Y1}), a.toImage.Apply(ocr.Point{X: pb.X0, Y: pb.Y1}),
				}
				for i := range q {
					q[i].X *= a.scale
					q[i].Y *= a.scale
				}
				l := locationOf(q)
				resp.PhotoLocation = &l
			}
		}
	}
	if opt.DetectCard && a.cardImg != nil {
		if b, err := encodeJPEG(a.cardImg, 90); err == nil {
			resp.CardImage = base64.StdEncoding.EncodeToString(b)
			l := locationOf(a.cardQuad)
			resp.CardLocation = &l
		}
	}
	return rd
}

func encodeJPEG(img image.Image, q int) ([]byte, error) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("idcard: encode: %w", err)
	}
	return b.Bytes(), nil
}

// OCR exposes the underlying engine (evaluation, debugging).
func (r *Reader) OCR() *ocr.Engine { return r.ocr }
