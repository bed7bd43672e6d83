// Package glyph compares a character's picture with the glyphs of candidate
// characters drawn from installed CJK fonts. The card reader uses it as a
// second opinion where the recogniser is unsure between look-alikes
// (佘/余, 旸/肠, 骞/赛): a general recogniser favours the common character,
// while the printed shapes say which one it is.
package glyph

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"os"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// DefaultPaths are the Debian fonts-noto-cjk faces: a bold Hei (the card's
// name) and a Song (its other values). Each font tried costs time and
// resident pages; a regular Hei added nothing on the evaluation sets.
var DefaultPaths = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
	"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
}

// ErrNoFonts reports that none of the font files could be loaded.
var ErrNoFonts = errors.New("glyph: no CJK font installed (apt-get install fonts-noto-cjk)")

// Matcher renders glyphs (cached) and scores them against pictures. It is
// safe for concurrent use.
type Matcher struct {
	fonts []*opentype.Font
	names []string
	maps  [][]byte

	mu    sync.Mutex
	cache map[glyphKey]*template
}

type glyphKey struct {
	font int
	r    rune
	px   int // em size in pixels
}

// template is a rendered glyph cropped to its ink, as zero-mean unit-norm
// values (so that correlation is a dot product).
type template struct {
	w, h int
	v    []float32
	ink  bool
}

// maxCache bounds the rendered-glyph cache (about 4 KB each: a busy
// server meets thousands of character × size × font combinations).
const maxCache = 2048

// Open loads the fonts at paths (the Simplified Chinese member of a
// collection); missing files are skipped. ErrNoFonts when none loads.
func Open(paths ...string) (*Matcher, error) {
	m := &Matcher{cache: map[glyphKey]*template{}}
	var errs []error
	for _, p := range paths {
		f, err := m.load(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.fonts = append(m.fonts, f)
		m.names = append(m.names, p[strings.LastIndex(p, "/")+1:])
	}
	if len(m.fonts) == 0 {
		return nil, fmt.Errorf("%w: %v", ErrNoFonts, errors.Join(errs...))
	}
	return m, nil
}

// OpenDefault loads DefaultPaths.
func OpenDefault() (*Matcher, error) { return Open(DefaultPaths...) }

// Fonts names the loaded font files.
func (m *Matcher) Fonts() []string { return m.names }

// Close unmaps the font files. The matcher must not be used afterwards.
func (m *Matcher) Close() error {
	if m == nil {
		return nil
	}
	var errs []error
	for _, b := range m.maps {
		errs = append(errs, syscall.Munmap(b))
	}
	m.maps, m.fonts = nil, nil
	return errors.Join(errs...)
}

// load maps a font file read-only: the parser reads glyphs lazily, so only
// the pages of the glyphs drawn become resident (a CJK collection is 20 MB).
func (m *Matcher) load(path string) (*opentype.Font, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() <= 0 || st.Size() > 1<<30 {
		return nil, fmt.Errorf("glyph: %s: size %d", path, st.Size())
	}
	data, err := syscall.Mmap(int(fd.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("glyph: map %s: %w", path, err)
	}
	f, err := ParseCJK(path, data)
	if err != nil {
		_ = syscall.Munmap(data)
		return nil, err
	}
	m.maps = append(m.maps, data)
	return f, nil
}

// ParseCJK parses a font file or collection (data, read from path) and
// returns its Simplified Chinese member, else its first usable font.
func ParseCJK(path string, data []byte) (*opentype.Font, error) {
	coll, err := opentype.ParseCollection(data)
	if err != nil {
		return nil, fmt.Errorf("glyph: parse %s: %w", path, err)
	}
	var buf sfnt.Buffer
	var first *opentype.Font
	for i := 0; i < coll.NumFonts(); i++ {
		f, err := coll.Font(i)
		if err != nil {
			continue
		}
		if first == nil {
			first = f
		}
		if name, _ := f.Name(&buf, sfnt.NameIDFamily); strings.HasSuffix(name, " SC") {
			return f, nil
		}
	}
	if first == nil {
		return nil, fmt.Errorf("glyph: %s holds no usable font", path)
	}
	return first, nil
}

// render draws r at px pixels per em and crops it to its ink.
func (m *Matcher) render(fi int, r rune, px int) *template {
	k := glyphKey{fi, r, px}
	m.mu.Lock()
	t, ok := m.cache[k]
	m.mu.Unlock()
	if ok {
		return t
	}
	t = &template{}
	fc, err := opentype.NewFace(m.fonts[fi], &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingNone})
	if err == nil {
		defer fc.Close()
		if _, has := fc.GlyphAdvance(r); has {
			t = drawGlyph(fc, r, px)
		}
	}
	m.mu.Lock()
	if len(m.cache) >= maxCache {
		clear(m.cache)
	}
	m.cache[k] = t
	m.mu.Unlock()
	return t
}

func drawGlyph(fc font.Face, r rune, px int) *template {
	size := 2 * px
	img := image.NewGray(image.Rect(0, 0, size, size))
	d := &font.Drawer{Dst: img, Src: image.White, Face: fc,
		Dot: fixed.Point26_6{X: fixed.I(px / 2), Y: fixed.I(px + px/2)}}
	draw.Draw(img, img.Rect, image.Black, image.Point{}, draw.Src)
	d.DrawString(string(r))
	// Ink bounds (the glyph is white on black here).
	x0, y0, x1, y1 := size, size, -1, -1
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			if img.Pix[y*img.Stride+x] > 64 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return &template{}
	}
	const pad = 2
	x0, y0, x1, y1 = max(0, x0-pad), max(0, y0-pad), min(size-1, x1+pad), min(size-1, y1+pad)
	t := &template{w: x1 - x0 + 1, h: y1 - y0 + 1, ink: true}
	v := make([]float64, t.w*t.h)
	for y := 0; y < t.h; y++ {
		for x := 0; x < t.w; x++ {
			// ink positive (drawn white on black)
			v[y*t.w+x] = float64(img.Pix[(y0+y)*img.Stride+x0+x])
		}
	}
	blur3(v, t.w, t.h) // printing and capture soften every edge
	if !normalise(v) {
		return &template{}
	}
	t.v = make([]float32, len(v)) // half the cache, and faster to correlate
	for i, x := range v {
		t.v[i] = float32(x)
	}
	return t
}

// Match is where and how well one candidate's glyph fits a picture.
type Match struct {
	Corr float64 // normalised cross-correlation, −1…1 (−1: nothing to match)
	X, Y float64 // centre of the glyph's ink box in the picture
	W    float64 // width of the ink box
	Em   float64 // the em size (pixels) that fitted best
}

// Score is, for each candidate, the best normalised cross-correlation (−1…1)
// of its glyph with pic, over the loaded fonts, em sizes from 0.85 to 1.15
// of em pixels (see scales), and every position inside pic. pic should hold
// one character with a margin around it. A candidate no font has scores −1.
func (m *Matcher) Score(pic *image.Gray, em float64, cands []rune) []float64 {
	ms := m.Match(pic, em, cands)
	out := make([]float64, len(ms))
	for i, x := range ms {
		out[i] = x.Corr
	}
	return out
}

// Match is Score with the best position and size of each candidate.
func (m *Matcher) Match(pic *image.Gray, em float64, cands []rune) []Match {
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	px := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			px[y*w+x] = float64(pic.Pix[y*pic.Stride+x])
		}
	}
	blur3(px, w, h)
	// Integral images of the picture and its square, for window means and norms.
	ii := make([]float64, (w+1)*(h+1))
	i2 := make([]float64, (w+1)*(h+1))
	for y := 0; y < h; y++ {
		var s, s2 float64
		for x := 0; x < w; x++ {
			v := px[y*w+x]
			s += v
			s2 += v * v
			ii[(y+1)*(w+1)+x+1] = ii[y*(w+1)+x+1] + s
			i2[(y+1)*(w+1)+x+1] = i2[y*(w+1)+x+1] + s2
		}
	}
	p32 := make([]float32, len(px))
	for i, v := range px {
		p32[i] = float32(v)
	}
	out := make([]Match, len(cands))
	for ci, r := range cands {
		best := Match{Corr: -1}
		for fi := range m.fonts {
			for _, f := range scales {
				size := int(math.Round(em * f))
				t := m.render(fi, r, size)
				if !t.ink || t.w > w || t.h > h {
					continue
				}
				if c, x, y := slide(p32, ii, i2, w, h, t); c > best.Corr {
					best = Match{Corr: c, X: float64(x) + float64(t.w)/2, Y: float64(y) + float64(t.h)/2, W: float64(t.w), Em: float64(size)}
				}
			}
		}
		out[ci] = best
	}
	return out
}

// slide is the best correlation of t over every position in the picture,
// and that position (top left): a search on every other pixel, then the
// neighbours of the best (the blurred correlation peak is wider than that).
func slide(px []float32, ii, i2 []float64, w, h int, t *template) (float64, int, int) {
	best, bx, by := -1.0, 0, 0
	try := func(ox, oy int) {
		if c := corrAt(px, ii, i2, w, t, ox, oy); c > best {
			best, bx, by = c, ox, oy
		}
	}
	for oy := 0; oy+t.h <= h; oy += 2 {
		for ox := 0; ox+t.w <= w; ox += 2 {
			try(ox, oy)
		}
	}
	cx, cy := bx, by
	for oy := max(0, cy-1); oy <= min(h-t.h, cy+1); oy++ {
		for ox := max(0, cx-1); ox <= min(w-t.w, cx+1); ox++ {
			if ox != cx || oy != cy {
				try(ox, oy)
			}
		}
	}
	return best, bx, by
}

// corrAt is the normalised correlation of t placed at (ox, oy).
func corrAt(px []float32, ii, i2 []float64, w int, t *template, ox, oy int) float64 {
	n := float64(t.w * t.h)
	sum := ii[(oy+t.h)*(w+1)+ox+t.w] - ii[oy*(w+1)+ox+t.w] - ii[(oy+t.h)*(w+1)+ox] + ii[oy*(w+1)+ox]
	sq := i2[(oy+t.h)*(w+1)+ox+t.w] - i2[oy*(w+1)+ox+t.w] - i2[(oy+t.h)*(w+1)+ox] + i2[oy*(w+1)+ox]
	vr := sq - sum*sum/n
	if vr <= 1e-6 {
		return -1
	}
	// The template is zero-mean, so the picture's mean drops out of the dot product.
	var dot float32
	for y := 0; y < t.h; y++ {
		row := px[(oy+y)*w+ox : (oy+y)*w+ox+t.w]
		tr := t.v[y*t.w : (y+1)*t.w]
		for x, v := range tr {
			dot += v * row[x]
		}
	}
	// Ink is dark in the picture and positive in the template.
	return -float64(dot) / math.Sqrt(vr)
}

// normalise makes v zero-mean with unit norm; false when v is flat.
func normalise(v []float64) bool {
	var s float64
	for _, x := range v {
		s += x
	}
	mean := s / float64(len(v))
	var n float64
	for i := range v {
		v[i] -= mean
		n += v[i] * v[i]
	}
	if n <= 1e-9 {
		return false
	}
	n = math.Sqrt(n)
	for i := range v {
		v[i] /= n
	}
	return true
}

// blur3 is a 3×3 box blur in place (edges clamped).
func blur3(v []float64, w, h int) {
	tmp := make([]float64, len(v))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a, b := max(0, x-1), min(w-1, x+1)
			tmp[y*w+x] = (v[y*w+a] + v[y*w+x] + v[y*w+b]) / 3
		}
	}
	for y := 0; y < h; y++ {
		a, b := max(0, y-1), min(h-1, y+1)
		for x := 0; x < w; x++ {
			v[y*w+x] = (tmp[a*w+x] + tmp[y*w+x] + tmp[b*w+x]) / 3
		}
	}
}

// scales are the em sizes tried, relative to the caller's estimate: fine
// steps, because look-alikes (佘/余) differ by a stroke and a 3 % size error
// costs more correlation than that stroke.
var scales = []float64{0.85, 0.88, 0.91, 0.94, 0.97, 1, 1.03, 1.06, 1.09, 1.12, 1.15}
