// Package cardgen draws fictional Chinese resident ID cards (both sides),
// marked 样本 SPECIMEN, and degrades them the way phone captures are
// degraded, with ground truth, for testing and evaluating the card reader.
package cardgen

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/faceprint/faceprint/internal/idcard"
	"github.com/faceprint/faceprint/internal/idcard/glyph"
)

// Font files from Debian fonts-noto-cjk and fonts-ocr-b. OCRB.otf drops the
// digit 8, so the "S" cut is used.
var (
	SansPath  = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
	BoldPath  = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
	SerifPath = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
	OCRBPath  = "/usr/share/fonts/opentype/ocr-b/OCRBS.otf"
)

// ErrNoFonts reports that the font packages are not installed.
var ErrNoFonts = errors.New("cardgen: fonts missing (apt-get install fonts-noto-cjk fonts-ocr-b)")

// Fonts are the parsed faces the cards are drawn with.
type Fonts struct {
	Sans, Bold, Serif, OCRB *opentype.Font
}

// LoadFonts parses the Debian fonts (the Simplified Chinese member of each
// Noto CJK collection).
func LoadFonts() (*Fonts, error) {
	var f Fonts
	var err error
	if f.Sans, err = loadCJK(SansPath); err != nil {
		return nil, err
	}
	if f.Bold, err = loadCJK(BoldPath); err != nil {
		return nil, err
	}
	if f.Serif, err = loadCJK(SerifPath); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(OCRBPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoFonts, err)
	}
	if f.OCRB, err = opentype.Parse(data); err != nil {
		return nil, fmt.Errorf("cardgen: parse %s: %w", OCRBPath, err)
	}
	return &f, nil
}

func loadCJK(path string) (*opentype.Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoFonts, err)
	}
	return glyph.ParseCJK(path, data)
}

func face(f *opentype.Font, size float64) font.Face {
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic(err) // only on invalid sizes, which are constants here
	}
	return fc
}

// text draws s with its glyph box top at y (ideographic em box, ascent 0.88 em)
// starting at x, with extra spacing between characters. It returns the end x.
func text(dst draw.Image, f *opentype.Font, size, x, y, spacing float64, c color.Color, s string) float64 {
	fc := face(f, size)
	defer fc.Close()
	d := &font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: fc}
	base := y + 0.88*size
	for _, r := range s {
		d.Dot = fixed.Point26_6{X: fixed.Int26_6(x * 64), Y: fixed.Int26_6(base * 64)}
		d.DrawString(string(r))
		adv, _ := fc.GlyphAdvance(r)
		x += float64(adv)/64 + spacing
	}
	return x - spacing
}

// label draws an anchor's label spread over the anchor's width.
func label(dst draw.Image, f *opentype.Font, a idcard.Anchor, c color.Color) {
	n := len([]rune(a.Label))
	sp := 0.0
	if n > 1 {
		sp = (a.W - float64(n)*a.H) / float64(n-1)
	}
	text(dst, f, a.H, a.X, a.Y, sp, c, a.Label)
}

var (
	labelBlue = color.RGBA{30, 110, 170, 255}
	ink       = color.RGBA{20, 20, 20, 255}
	red       = color.RGBA{210, 30, 30, 255}
)

// background paints the card's light security pattern: a colour gradient
// with smooth guilloche-like waves (kept aperiodic enough not to look like a
// screen grid), and rounded corners outside which the card is transparent.
func background(r *rand.Rand, front bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, idcard.CardW, idcard.CardH))
	ph1, ph2 := r.Float64()*6, r.Float64()*6
	for y := 0; y < idcard.CardH; y++ {
		for x := 0; x < idcard.CardW; x++ {
			fx, fy := float64(x)/idcard.CardW, float64(y)/idcard.CardH
			w1 := math.Sin(fx*9+math.Sin(fy*5+ph1)*2) * math.Cos(fy*7+ph2)
			w2 := math.Sin((fx+fy)*13 + math.Sin(fx*3)*3)
			var cr, cg, cb float64
			if front {
				cr, cg, cb = 236-10*fy+6*w1, 240+4*w2, 238+8*fx+6*w1
			} else {
				cr, cg, cb = 240+8*w1, 236-6*fy+5*w2, 226+6*fx
			}
			// Light blue-green and pink-orange tints as on real cards.
			cr += 6 * math.Sin(fx*4+ph1)
			cb -= 10 * fy
			o := y*img.Stride + x*4
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = u8(cr), u8(cg), u8(cb), 255
		}
	}
	// Rounded corners (radius ~3 mm).
	const rad = 30.0
	for y := 0; y < idcard.CardH; y++ {
		for x := 0; x < idcard.CardW; x++ {
			cx := math.Max(rad-float64(x), float64(x)-(idcard.CardW-1-rad))
			cy := math.Max(rad-float64(y), float64(y)-(idcard.CardH-1-rad))
			if cx > 0 && cy > 0 && cx*cx+cy*cy > rad*rad {
				o := y*img.Stride + x*4
				img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = 0, 0, 0, 0
			}
		}
	}
	return img
}

func u8(v float64) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v + 0.5)
}

// RenderFront draws the portrait side on an 856×540 card.
func (g *Generator) RenderFront(r *rand.Rand, p Person, portrait image.Image) *image.RGBA {
	img := background(r, true)
	f := g.fonts
	for _, a := range []idcard.Anchor{idcard.AnchorName, idcard.AnchorSex, idcard.AnchorNation, idcard.AnchorBirth, idcard.AnchorAddress, idcard.AnchorNumber} {
		label(img, f.Sans, a, labelBlue)
	}
	vx := idcard.FrontValueX
	text(img, f.Bold, 30, vx, idcard.AnchorName.Y-3, 2, ink, p.Name)
	text(img, f.Serif, idcard.ValueEm, vx, idcard.AnchorSex.Y-1, 0, ink, p.Sex)
	text(img, f.Serif, idcard.ValueEm, idcard.NationValueX, idcard.AnchorNation.Y-1, 0, ink, p.Nation)
	// 出生: "1990 年 1 月 1 日" with the numbers unpadded, as printed.
	by := idcard.AnchorBirth.Y - 1
	x := text(img, f.Serif, 26, vx, by, 0, ink, p.Birth[:4])
	x = text(img, f.Serif, 26, x+14, by, 0, ink, "年")
	x = text(img, f.Serif, 26, x+14, by, 0, ink, trimZero(p.Birth[4:6]))
	x = text(img, f.Serif, 26, x+14, by, 0, ink, "月")
	x = text(img, f.Serif, 26, x+14, by, 0, ink, trimZero(p.Birth[6:8]))
	text(img, f.Serif, 26, x+14, by, 0, ink, "日")
	for i, line := range wrapAddress(p.Address, AddressLineChars) {
		text(img, f.Serif, 26, vx, idcard.AnchorAddress.Y-1+float64(i)*idcard.AddressLineStep, 1, ink, line)
	}
	// Number: digit centres on the layout's pitch.
	nf := face(f.OCRB, 34)
	adv, _ := nf.GlyphAdvance('0')
	nf.Close()
	a := float64(adv) / 64
	text(img, f.OCRB, 34, idcard.NumberFirstX-a/2, idcard.AnchorNumber.Y-6, idcard.NumberPitch-a, ink, p.Number)
	// Portrait.
	pb := idcard.PortraitBox
	dst := image.Rect(int(pb.X0), int(pb.Y0), int(pb.X1), int(pb.Y1))
	if portrait == nil {
		portrait = silhouette(dst.Dx(), dst.Dy())
	}
	drawPortrait(img, dst, portrait)
	text(img, f.Bold, 24, 560, 400, 4, red, "样本")
	text(img, f.OCRB, 22, 640, 402, 1, red, "SPECIMEN")
	return img
}

// AddressLineChars is how many characters fit on one address line.
const AddressLineChars = 12

func wrapAddress(s string, n int) []string {
	rs := []rune(s)
	var out []string
	for len(rs) > n {
		out = append(out, string(rs[:n]))
		rs = rs[n:]
	}
	if len(rs) > 0 {
		out = append(out, string(rs))
	}
	return out
}

func trimZero(s string) string { return strings.TrimLeft(s, "0") }

// RenderBack draws the national-emblem side.
func (g *Generator) RenderBack(r *rand.Rand, p Person) *image.RGBA {
	img := background(r, false)
	f := g.fonts
	emblem(img, idcard.EmblemBox)
	tc := idcard.TitleCountry
	text(img, f.Bold, tc.H, tc.X, tc.Y, (tc.W-7*tc.H)/6, ink, tc.Label)
	tk := idcard.TitleCard
	text(img, f.Bold, tk.H, tk.X, tk.Y, (tk.W-5*tk.H)/4, ink, tk.Label)
	label(img, f.Sans, idcard.AnchorAuthority, ink)
	label(img, f.Sans, idcard.AnchorValidity, ink)
	text(img, f.Serif, 26, idcard.BackValueX, idcard.AnchorAuthority.Y-1, 0, ink, p.Authority)
	text(img, f.Serif, 26, idcard.BackValueX, idcard.AnchorValidity.Y-1, 0, ink, validity(p))
	text(img, f.Bold, 24, 600, 30, 4, red, "样本")
	text(img, f.OCRB, 22, 680, 32, 1, red, "SPECIMEN")
	return img
}

func validity(p Person) string {
	dot := func(d string) string { return d[:4] + "." + d[4:6] + "." + d[6:8] }
	end := p.Expire
	if end != "长期" {
		end = dot(end)
	}
	return dot(p.Issue) + "-" + end
}

// emblem draws a simple red disc with a gold star, standing in for the
// national emblem (never a copy of it).
func emblem(img *image.RGBA, b idcard.Box) {
	cx, cy := (b.X0+b.X1)/2, (b.Y0+b.Y1)/2
	rad := math.Min(b.X1-b.X0, b.Y1-b.Y0) / 2
	gold := color.RGBA{235, 190, 40, 255}
	for y := int(b.Y0); y < int(b.Y1); y++ {
		for x := int(b.X0); x < int(b.X1); x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			d := math.Hypot(dx, dy)
			switch {
			case d > rad:
				continue
			case d > rad*0.9:
				img.Set(x, y, gold)
			case inStar(dx/(rad*0.6), dy/(rad*0.6)):
				img.Set(x, y, gold)
			default:
				img.Set(x, y, color.RGBA{200, 30, 30, 255})
			}
		}
	}
}

func inStar(x, y float64) bool {
	a := math.Atan2(y, x) + math.Pi/2
	r := math.Hypot(x, y)
	k := math.Mod(a+2*math.Pi, 2*math.Pi/5) / (2 * math.Pi / 5) // 0..1 within one point
	lim := 0.4 + 0.6*math.Abs(1-2*k)
	return r < lim
}

// drawPortrait scales the photo to cover dst (centre crop) on a light background.
func drawPortrait(img *image.RGBA, dst image.Rectangle, p image.Image) {
	sb := p.Bounds()
	s := math.Max(float64(dst.Dx())/float64(sb.Dx()), float64(dst.Dy())/float64(sb.Dy()))
	ox := float64(sb.Min.X) + (float64(sb.Dx())-float64(dst.Dx())/s)/2
	oy := float64(sb.Min.Y) + (float64(sb.Dy())-float64(dst.Dy())/s)/2
	for y := dst.Min.Y; y < dst.Max.Y; y++ {
		for x := dst.Min.X; x < dst.Max.X; x++ {
			sx := int(ox + (float64(x-dst.Min.X)+0.5)/s)
			sy := int(oy + (float64(y-dst.Min.Y)+0.5)/s)
			c := color.RGBAModel.Convert(p.At(sx, sy)).(color.RGBA)
			// Printed photos are slightly washed out.
			c.R, c.G, c.B = u8(float64(c.R)*0.9+20), u8(float64(c.G)*0.9+20), u8(float64(c.B)*0.9+20)
			c.A = 255
			img.SetRGBA(x, y, c)
		}
	}
}

// silhouette draws a head-and-shoulders outline; only for unit tests when
// no package-shipped photo is installed.
func silhouette(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{235, 238, 242, 255}), image.Point{}, draw.Src)
	skin := color.RGBA{200, 160, 130, 255}
	cloth := color.RGBA{40, 50, 70, 255}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w)-0.5, float64(y)/float64(h)
			if (fx*fx)/(0.2*0.2)+((fy-0.38)*(fy-0.38))/(0.24*0.24) < 1 {
				img.SetRGBA(x, y, skin)
			} else if fy > 0.7 && math.Abs(fx) < 0.45*(fy-0.55)/0.45+0.1 {
				img.SetRGBA(x, y, cloth)
			}
		}
	}
	return img
}

// RenderBankCard draws a fictional bank debit card of ID-card size: not an
// ID card, but a card with Chinese text and a long number
// (other_type_card for the reader).
func (g *Generator) RenderBankCard(r *rand.Rand) *image.RGBA {
	img := background(r, true)
	for y := 0; y < idcard.CardH; y++ {
		for x := 0; x < idcard.CardW; x++ {
			o := y*img.Stride + x*4
			if img.Pix[o+3] != 0 {
				img.Pix[o], img.Pix[o+1], img.Pix[o+2] = u8(30+float64(x)/10), 60, u8(120+float64(y)/8)
			}
		}
	}
	white := color.RGBA{250, 250, 250, 255}
	text(img, g.fonts.Bold, 44, 60, 50, 4, white, "中国人民银行储蓄卡")
	text(img, g.fonts.Sans, 26, 60, 120, 2, white, "借记卡 银联 UnionPay")
	num := ""
	for i := 0; i < 19; i++ {
		num += string(rune('0' + r.IntN(10)))
		if i%4 == 3 {
			num += " "
		}
	}
	text(img, g.fonts.OCRB, 40, 60, 330, 3, white, num)
	text(img, g.fonts.Sans, 24, 60, 430, 2, white, "有效期 12/30")
	return img
}

// Photograph degrades any card image with capture c (seeded), returning JPEG bytes.
func Photograph(card *image.RGBA, c Capture, seed uint64) ([]byte, error) {
	img, _ := Degrade(card, c, newRand(seed))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: max(30, c.JPEGQuality)}); err != nil {
		return nil, fmt.Errorf("cardgen: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// NewRand returns a seeded generator for Render* calls.
func NewRand(seed uint64) *rand.Rand { return newRand(seed) }
