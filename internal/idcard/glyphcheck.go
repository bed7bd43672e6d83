package idcard

import (
	"image"
	"math"
	"slices"
	"unicode"

	"github.com/faceprint/faceprint/internal/idcard/glyph"
	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// openGlyphs loads the glyph matcher, or nil when no CJK font is installed
// (the reader then trusts the recogniser alone).
func openGlyphs() *glyph.Matcher {
	m, err := glyph.OpenDefault()
	if err != nil {
		return nil
	}
	return m
}

// Glyph check tuning, calibrated on 249 generated fronts (seed 5) and
// checked on another 141 (seed 3); see docs/calibration.md.
var (
	// GlyphMinAlt is the least recogniser probability an alternative needs
	// to be considered at all.
	GlyphMinAlt = 0.005
	// GlyphPriorWeight trades correlation against the recogniser's odds:
	// an alternative wins when its correlation exceeds the first choice's
	// by more than GlyphPriorWeight × ln(p_first / p_alt). It keeps 吴 over
	// 昊 (+0.009 correlation at 60:1 odds) and 鹏 over 鵬 (+0.011 at 140:1)
	// while 旸 beats 肠 (+0.10 at 10:1) and 佘 beats 余 (+0.017 at 2:1).
	GlyphPriorWeight = 0.004
	// GlyphMinCorr is the correlation the winner must reach: below it the
	// picture is not one clean character (a dropped or merged neighbour)
	// and the glyphs prove nothing.
	GlyphMinCorr = 0.8
)

// GlyphChoice is one character the glyph check changed.
type GlyphChoice struct {
	Field    string
	Position int    // rune index in the field's value as read
	Read     string // the recogniser's first choice
	Written  string // the alternative whose glyph matched the card
	Corr     [2]float64
}

// glyphCheck returns the segment's text with each unsure character
// re-decided among the recogniser's candidates by how well their glyphs
// match the card at that place (em: the field's character size on the
// normalised card): a general recogniser leans towards common
// characters (肠 for the name character 旸), the printed shape does not.
func (a *analysis) glyphCheck(field string, s segment, em float64) string {
	line := s.Line
	rs := []rune(line.Text)
	if a.glyphs == nil || !a.hasCard || a.cardImg == nil || len(line.Chars) != len(rs) ||
		s.End > len(rs) || string(rs[s.Start:s.End]) != s.Text {
		return s.Text
	}
	q := line.Box
	out := append([]rune(nil), rs[s.Start:s.End]...)
	centres := make([]ocr.Point, 0, s.End-s.Start)
	for i := s.Start; i < s.End; i++ {
		c := line.Chars[i]
		// One character with a margin: CTC fires near a character's centre.
		ctr := a.toCard.Apply(q.Along((c.Start+c.End)/2, 0.5))
		centres = append(centres, ctr)
		cands := []rune{rs[i]}
		probs := []float64{float64(c.Conf)}
		for _, alt := range c.Alts {
			ar := []rune(alt.Text)
			if len(ar) != 1 || ar[0] == rs[i] || !unicode.Is(unicode.Han, ar[0]) || float64(alt.Prob) < GlyphMinAlt {
				continue
			}
			cands = append(cands, ar[0])
			probs = append(probs, float64(alt.Prob))
		}
		if len(cands) < 2 || !unicode.Is(unicode.Han, rs[i]) || probs[0] <= 0 {
			continue
		}
		pic := grayCrop(a.cardImg, ctr.X-em, ctr.Y-0.85*em, ctr.X+em, ctr.Y+0.85*em)
		if pic == nil || a.inkLost() {
			continue
		}
		sc := a.glyphs.Score(pic, em, cands)
		best, bestV := 0, sc[0]
		for k := 1; k < len(cands); k++ {
			if v := sc[k] - GlyphPriorWeight*math.Log(probs[0]/probs[k]); v > bestV {
				best, bestV = k, v
			}
		}
		if best == 0 || sc[best] < GlyphMinCorr {
			continue
		}
		out[i-s.Start] = cands[best]
		a.glyphFixes = append(a.glyphFixes, GlyphChoice{Field: field, Position: i - s.Start,
			Read: string(rs[i]), Written: string(cands[best]), Corr: [2]float64{sc[0], sc[best]}})
	}
	out = a.recoverDropped(field, s, out, centres, em)
	return string(out)
}

// NameEm and AddressEm are the character sizes on the normalised card (the
// name is printed larger than the labels, the address about as large).
var (
	NameEm    = 1.2 * AnchorName.H
	AddressEm = ValueEm
)

// GlyphMinInsert is the correlation a character found in a gap of the
// reading must reach to be inserted (higher than for a choice between
// candidates: here the alternative is that nothing is there).
var GlyphMinInsert = 0.85

// recoverDropped finds characters the reading skipped: CTC can let a rare
// character fall into blanks (孙琰刚 read as 孙刚), and the detector can box
// a name short (肖文 boxed as 肖). It looks at a gap of about one character
// pitch between two read characters, and at the place after the last one
// while the field has room. The place is re-read on its own and a
// candidate is inserted only when its glyph is clearly printed there.
func (a *analysis) recoverDropped(field string, s segment, out []rune, centres []ocr.Point, em float64) []rune {
	if len(centres) == 0 || len(centres) != len(out) {
		return out
	}
	// A read character's true place and size, from its glyph: CTC positions
	// are rough, and for a one-character box they can be off by half an em.
	locate := func(k int) (ocr.Point, glyph.Match, bool) {
		c := centres[k]
		x0, y0 := c.X-1.4*em, c.Y-0.9*em
		pic := grayCrop(a.cardImg, x0, y0, c.X+1.4*em, c.Y+0.9*em)
		if pic == nil {
			return c, glyph.Match{Em: em}, false
		}
		m := a.glyphs.Match(pic, em, []rune{out[k]})[0]
		x0, y0 = math.Max(0, math.Floor(x0)), math.Max(0, math.Floor(y0))
		return ocr.Point{X: x0 + m.X, Y: y0 + m.Y}, m, m.Corr >= GlyphMinCorr
	}
	// Where a character may be missing: after character k.
	type hole struct {
		after int
		at    ocr.Point
	}
	var holes []hole
	for k := 0; k+1 < len(centres); k++ {
		if dist(centres[k], centres[k+1]) < 1.5*em {
			continue
		}
		p, m1, ok1 := locate(k)
		q, m2, ok2 := locate(k + 1)
		// room for a full-width character between the two ink boxes
		if ok1 && ok2 && q.X-m2.W/2-(p.X+m1.W/2) > 0.8*(m1.Em+m2.Em)/2 {
			holes = append(holes, hole{k, ocr.Point{X: (p.X + m1.W/2 + q.X - m2.W/2) / 2, Y: (p.Y + q.Y) / 2}})
		}
	}
	if s.End == len(s.Line.Chars) { // nothing else follows on the line
		k := len(centres) - 1
		if p, m, ok := locate(k); ok {
			// a full-width character after the last ink (digits are narrower)
			at := ocr.Point{X: p.X + m.W/2 + 0.1*m.Em + m.Em/2, Y: p.Y} // the card is upright
			if at.X+m.Em/2 < PortraitBox.X0 && !a.otherLineAt(s.Line, a.toImage.Apply(at)) {
				holes = append(holes, hole{k, at})
			}
		}
	}
	// Most places are blank paper: only those with ink are re-read, all in
	// one recogniser call.
	holes = slices.DeleteFunc(holes, func(h hole) bool { return a.inkAt(h.at, em) < GlyphMinInk })
	if len(holes) == 0 || a.inkLost() {
		return out
	}
	ats := make([]ocr.Point, len(holes))
	for i, h := range holes {
		ats[i] = h.at
	}
	reads := a.readGaps(ats, em)
	inserted := 0
	for i, h := range holes {
		r, corr, ok := reads[i].r, reads[i].corr, reads[i].ok
		if !ok || corr < GlyphMinInsert {
			continue
		}
		pos := h.after + 1 + inserted
		out = append(out[:pos], append([]rune{r}, out[pos:]...)...)
		inserted++
		a.glyphFixes = append(a.glyphFixes, GlyphChoice{Field: field, Position: pos, Written: string(r), Corr: [2]float64{-1, corr}})
	}
	return out
}

// otherLineAt reports whether a text line other than l covers image point
// p: the text there was read already (a fragment box "住址四" overlapping
// the line "四川省…" must not be continued with 川).
func (a *analysis) otherLineAt(l *ocr.Line, p ocr.Point) bool {
	for i := range a.res.Lines {
		o := &a.res.Lines[i]
		if o != l && inside(o.Box, p) {
			return true
		}
	}
	return false
}

// inside reports whether p lies in the convex quad q.
func inside(q ocr.Quad, p ocr.Point) bool {
	sign := 0.0
	for i := range 4 {
		a, b := q[i], q[(i+1)%4]
		c := (b.X-a.X)*(p.Y-a.Y) - (b.Y-a.Y)*(p.X-a.X)
		if c == 0 {
			continue
		}
		if sign == 0 {
			sign = c
		} else if (c > 0) != (sign > 0) {
			return false
		}
	}
	return true
}

// GlyphMinInk is the share of ink pixels a place needs to be re-read for
// a dropped character; GlyphInkContrast defines ink: darker than the
// place's median by this share of the card's ink contrast (mean − ink
// luma), so that the washed-out ink of a screen re-capture still counts.
// On 1,967 places probed in three generated sets (seeds 3, 5, 7), 99 % of
// the blank ones had ≤ 0.1 % ink and the four dropped characters found
// 18–37 %.
var (
	GlyphMinInk      = 0.02
	GlyphInkContrast = 0.3
)

// inkAt is the share of ink pixels in the one-character place at (card
// coordinates).
func (a *analysis) inkAt(at ocr.Point, em float64) float64 {
	pic := grayCrop(a.cardImg, at.X-0.5*em, at.Y-0.6*em, at.X+0.5*em, at.Y+0.6*em)
	if pic == nil {
		return 0
	}
	var hist [256]int
	for _, v := range pic.Pix {
		hist[v]++
	}
	med, seen := 0, 0
	for ; med < 255 && seen+hist[med] <= len(pic.Pix)/2; med++ {
		seen += hist[med]
	}
	thr := float64(med) - GlyphInkContrast*math.Max(a.measures.MeanLuma-a.measures.InkLuma, 0)
	ink := 0
	for v := 0; v < 256 && float64(v) < thr; v++ {
		ink += hist[v]
	}
	return float64(ink) / float64(len(pic.Pix))
}

// gapRead is the character found at one place by readGaps.
type gapRead struct {
	r    rune
	corr float64
	ok   bool
}

// readGaps re-reads characters' places (card coordinates) in one
// recogniser call and returns, per place, the candidate whose glyph fits
// there best, centred within a third of an em.
func (a *analysis) readGaps(ats []ocr.Point, em float64) []gapRead {
	hw, hh := 0.6*em, 0.75*em
	quads := make([]ocr.Quad, len(ats))
	for i, at := range ats {
		quads[i] = ocr.Quad{
			a.toImage.Apply(ocr.Point{X: at.X - hw, Y: at.Y - hh}), a.toImage.Apply(ocr.Point{X: at.X + hw, Y: at.Y - hh}),
			a.toImage.Apply(ocr.Point{X: at.X + hw, Y: at.Y + hh}), a.toImage.Apply(ocr.Point{X: at.X - hw, Y: at.Y + hh}),
		}
	}
	out := make([]gapRead, len(ats))
	lines, err := a.eng.ReadQuads(a.ctx, a.src, quads)
	if err != nil || len(lines) != len(ats) {
		return out
	}
	for i, at := range ats {
		out[i] = a.matchGap(lines[i], at, em)
	}
	return out
}

// matchGap picks among the recogniser's candidates for one place the one
// whose glyph is printed there.
func (a *analysis) matchGap(line ocr.Line, at ocr.Point, em float64) gapRead {
	var cands []rune
	var probs []float64
	for _, c := range line.Chars {
		for k, alt := range append([]ocr.Alt{{Text: c.Text, Prob: c.Conf}}, c.Alts...) {
			ar := []rune(alt.Text)
			if len(ar) != 1 || !unicode.Is(unicode.Han, ar[0]) || (k > 0 && float64(alt.Prob) < GlyphMinAlt) || slices.Contains(cands, ar[0]) {
				continue
			}
			cands = append(cands, ar[0])
			probs = append(probs, math.Max(float64(alt.Prob), 1e-6))
		}
	}
	if len(cands) == 0 {
		return gapRead{}
	}
	pic := grayCrop(a.cardImg, at.X-0.8*em, at.Y-0.85*em, at.X+0.8*em, at.Y+0.85*em)
	if pic == nil {
		return gapRead{}
	}
	ms := a.glyphs.Match(pic, em, cands)
	best, bestV := -1, math.Inf(-1)
	for k, m := range ms {
		// the glyph must sit in the gap, not on a neighbour's edge
		if math.Abs(m.X-float64(pic.Rect.Dx())/2) > em/3 {
			continue
		}
		if v := m.Corr + GlyphPriorWeight*math.Log(probs[k]); v > bestV {
			best, bestV = k, v
		}
	}
	if best < 0 {
		return gapRead{}
	}
	return gapRead{cands[best], ms[best].Corr, true}
}

func dist(p, q ocr.Point) float64 { return math.Hypot(p.X-q.X, p.Y-q.Y) }

func mid(p, q ocr.Point) ocr.Point { return ocr.Point{X: (p.X + q.X) / 2, Y: (p.Y + q.Y) / 2} }

// inkLost reports an over- or under-exposed card: strokes are lost there,
// and glyphs would match what is left (the glyph check then abstains).
func (a *analysis) inkLost() bool {
	switch qualityStatus(a.measures) {
	case StatusOverExposure, StatusOverDark:
		return true
	}
	return false
}

// grayCrop is the luma of img in the rectangle (clamped); nil when too small.
func grayCrop(img *image.RGBA, x0, y0, x1, y1 float64) *image.Gray {
	r := image.Rect(int(x0), int(y0), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(img.Rect)
	if r.Dx() < 8 || r.Dy() < 8 {
		return nil
	}
	g := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		row := img.Pix[(r.Min.Y+y-img.Rect.Min.Y)*img.Stride:]
		for x := 0; x < r.Dx(); x++ {
			p := row[4*(r.Min.X+x-img.Rect.Min.X):]
			g.Pix[y*g.Stride+x] = uint8((299*int(p[0]) + 587*int(p[1]) + 114*int(p[2]) + 500) / 1000)
		}
	}
	return g
}

// readByGlyphs reads a closed-vocabulary value (男/女, the 56 nations) that
// the recogniser did not deliver, from the glyphs printed where the card's
// layout puts it: (x, y) is the top left of its first character, em its
// size. Each candidate's characters are matched one pitch apart; the best
// mean correlation must reach GlyphMinInsert and lead the next candidate by
// GlyphMinLead. "" when nothing is convincing.
func (a *analysis) readByGlyphs(x, y, em float64, cands []string) string {
	if a.glyphs == nil || !a.hasCard || a.cardImg == nil {
		return ""
	}
	// The first character: searched in a wider window (the card's fit can be
	// off by a fraction of an em), by its first rune for every candidate.
	x0, y0 := x-0.6*em, y-0.5*em
	pic := grayCrop(a.cardImg, x0, y0, x+1.6*em, y+1.5*em)
	if pic == nil || a.inkLost() {
		return ""
	}
	x0, y0 = math.Max(0, math.Floor(x0)), math.Max(0, math.Floor(y0))
	var firsts []rune
	for _, c := range cands {
		if r := []rune(c); len(r) > 0 && !slices.Contains(firsts, r[0]) {
			firsts = append(firsts, r[0])
		}
	}
	ms := a.glyphs.Match(pic, em, firsts)
	first := map[rune]glyph.Match{}
	for i, r := range firsts {
		first[r] = ms[i]
	}
	best, second, bestText := -1.0, -1.0, ""
	for _, c := range cands {
		rs := []rune(c)
		m0 := first[rs[0]]
		if m0.Corr < GlyphMinCorr {
			second = math.Max(second, m0.Corr)
			continue
		}
		sum := m0.Corr
		at := ocr.Point{X: x0 + m0.X, Y: y0 + m0.Y}
		for k := 1; k < len(rs) && sum/float64(k) >= GlyphMinCorr; k++ {
			at.X += m0.Em // CJK advance: one em, values are set solid
			p := grayCrop(a.cardImg, at.X-0.8*em, at.Y-0.8*em, at.X+0.8*em, at.Y+0.8*em)
			if p == nil {
				sum = -float64(len(rs))
				break
			}
			sum += a.glyphs.Match(p, m0.Em, rs[k:k+1])[0].Corr
		}
		v := sum / float64(len(rs))
		switch {
		case v > best:
			best, second, bestText = v, best, c
		case v > second:
			second = v
		}
	}
	if best < GlyphMinInsert || best-second < GlyphMinLead {
		return ""
	}
	return bestText
}

// GlyphMinLead is how far the best closed-vocabulary reading by glyphs must
// lead the next one.
var GlyphMinLead = 0.05
