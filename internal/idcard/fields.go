package idcard

import (
	"github.com/faceprint/faceprint/internal/idnumber"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// labelSpec is a printed label: its text and the anchor it belongs to.
type labelSpec struct {
	Text   string
	Anchor Anchor
	Key    string // the field its value fills ("" for titles)
	Front  bool
}

var labels = []labelSpec{
	{"公民身份号码", AnchorNumber, KeyNumber, true},
	{"姓名", AnchorName, KeyName, true},
	{"性别", AnchorSex, KeySex, true},
	{"民族", AnchorNation, KeyNation, true},
	{"出生", AnchorBirth, KeyBirth, true},
	{"住址", AnchorAddress, KeyAddress, true},
	{"签发机关", AnchorAuthority, KeyAuthority, false},
	{"有效期限", AnchorValidity, "validity", false},
	{"中华人民共和国", TitleCountry, "", false},
	{"居民身份证", TitleCard, "", false},
}

// found is a label located in a line, by rune index range [Start, End).
// Aligned means the match has the label's length (exact or one wrong
// character), so its first and last characters are the label's own and can
// anchor the card geometry.
type found struct {
	Spec       labelSpec
	Start, End int
	Aligned    bool
}

// findLabels locates the labels in a line's text. Two-character labels must
// match exactly; longer ones may be one edit away (a wrong, missing or extra
// character: OCR slips on the small spaced label glyphs).
func findLabels(rs []rune) []found {
	var out []found
	used := make([]bool, len(rs))
	free := func(a, b int) bool {
		for k := a; k < b; k++ {
			if used[k] {
				return false
			}
		}
		return true
	}
	for _, l := range labels {
		lr := []rune(l.Text)
		n := len(lr)
		best := found{Start: -1}
		bestD := 2
		lens := []int{n}
		if n > 2 {
			lens = []int{n, n - 1, n + 1}
		}
		for _, L := range lens {
			for i := 0; i+L <= len(rs); i++ {
				if !free(i, i+L) {
					continue
				}
				d := editDistance(rs[i:i+L], lr, 2)
				if (n <= 2 && d == 0) || (n > 2 && d <= 1) {
					if d < bestD {
						best, bestD = found{Spec: l, Start: i, End: i + L, Aligned: L == n}, d
					}
				}
			}
			if bestD == 0 {
				break
			}
		}
		if best.Start < 0 {
			continue
		}
		for k := best.Start; k < best.End; k++ {
			used[k] = true
		}
		out = append(out, best)
	}
	// In reading order.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Start < out[j-1].Start; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// editDistance is the Levenshtein distance of a and b, capped at limit.
func editDistance(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

// segment is a run of value characters of one line.
type segment struct {
	Line       *ocr.Line
	Start, End int    // rune range in the line
	Key        string // field named by a preceding label, "" when unlabelled
	Text       string
}

// box returns the segment's quad in the image.
func (s segment) box() ocr.Quad {
	if len(s.Line.Chars) != len([]rune(s.Line.Text)) || s.End <= s.Start {
		return s.Line.Box
	}
	return s.Line.CharBox(s.Start, s.End-1)
}

// minConf is the lowest character confidence in the segment.
func (s segment) confs() []float32 {
	if len(s.Line.Chars) != len([]rune(s.Line.Text)) {
		return nil
	}
	out := make([]float32, 0, s.End-s.Start)
	for i := s.Start; i < s.End; i++ {
		out = append(out, s.Line.Chars[i].Conf)
	}
	return out
}

// splitLine cuts a line into value segments around its labels.
func splitLine(l *ocr.Line, fs []found) []segment {
	rs := []rune(l.Text)
	var out []segment
	add := func(a, b int, key string) {
		// Trim spaces and punctuation OCR puts around values.
		for a < b && isJunk(rs[a]) {
			a++
		}
		for b > a && isJunk(rs[b-1]) {
			b--
		}
		if b > a {
			out = append(out, segment{Line: l, Start: a, End: b, Key: key, Text: string(rs[a:b])})
		}
	}
	pos, key := 0, ""
	for _, f := range fs {
		add(pos, f.Start, key)
		pos, key = f.End, f.Spec.Key
		if key == "" {
			key = "-" // a title: what follows it on the line is not a field
		}
	}
	add(pos, len(rs), key)
	return out
}

func isJunk(r rune) bool {
	return unicode.IsSpace(r) || r == ':' || r == '：'
}

var (
	reDate    = regexp.MustCompile(`(\d{4})\D{0,3}?(\d{1,2})\D{0,3}?(\d{1,2})`)
	reDigits  = regexp.MustCompile(`\d+`)
	specimens = []string{"样本", "SPECIMEN", "样 本"}
)

// isSpecimenMark reports text of the 样本/SPECIMEN overprint.
func isSpecimenMark(s string) bool {
	u := strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	for _, m := range specimens {
		u = strings.ReplaceAll(u, m, "")
	}
	return len(u) <= 1 && len(s) > 0
}

// stripSpecimen removes the overprint from a line's text if it got merged.
func stripSpecimen(s string) string {
	for _, m := range []string{"样本SPECIMEN", "SPECIMEN", "样本"} {
		s = strings.ReplaceAll(s, m, "")
	}
	return s
}

// normBirth turns "1990年1月1日" into 19900101; "" when not a date.
func normBirth(s string) string {
	m := reDate.FindStringSubmatch(s)
	if m == nil {
		ds := strings.Join(reDigits.FindAllString(s, -1), "")
		if len(ds) != 8 {
			return ""
		}
		if _, err := idnumber.ParseDate(ds); err != nil {
			return ""
		}
		return ds
	}
	d := m[1] + pad2(m[2]) + pad2(m[3])
	if _, err := idnumber.ParseDate(d); err != nil {
		return ""
	}
	return d
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

// digitFixes maps characters OCR confuses with digits in the number.
var digitFixes = map[rune]rune{'O': '0', 'o': '0', 'D': '0', 'Q': '0', 'I': '1', 'l': '1', '|': '1', 'i': '1', 'Z': '2', 'z': '2', 'S': '5', 's': '5', 'B': '8', 'x': 'X', '×': 'X', 'G': '6', 'b': '6', 'g': '9', 'q': '9'}

// normNumber keeps the digits (and a final X) of a number segment and
// returns the positions whose reading is uncertain (low confidence or a
// confusable letter mapped to a digit).
func normNumber(s string, confs []float32, lowConf float32) (string, []int) {
	var b strings.Builder
	var unsure []int
	rs := []rune(s)
	for i, r := range rs {
		conf := float32(1)
		if i < len(confs) {
			conf = confs[i]
		}
		fixed := false
		if f, ok := digitFixes[r]; ok {
			r, fixed = f, true
		}
		if (r >= '0' && r <= '9') || r == 'X' {
			if fixed || conf < lowConf {
				unsure = append(unsure, b.Len())
			}
			b.WriteRune(r)
		}
	}
	return b.String(), unsure
}

// validity parses "2012.11.03-2022.11.03" / "2012.11.03-长期".
func parseValidity(s string) (issue, expire string) {
	s = strings.ReplaceAll(s, " ", "")
	long := strings.Contains(s, "长期")
	ds := reDigits.FindAllString(s, -1)
	all := strings.Join(ds, "")
	if len(all) >= 8 {
		if _, err := idnumber.ParseDate(all[:8]); err == nil {
			issue = all[:8]
		}
	}
	switch {
	case long:
		expire = "长期"
	case len(all) >= 16:
		if _, err := idnumber.ParseDate(all[8:16]); err == nil {
			expire = all[8:16]
		}
	}
	return issue, expire
}

// trimNameLabel drops what is left of the 姓名 label before a name when the
// detector split the label (a line "名芮飞" after a line "姓"). 名 is not a
// surname in use, so a leading 名 before two or more characters is label.
func trimNameLabel(s string) string {
	s = strings.TrimPrefix(s, "姓名")
	if rs := []rune(s); len(rs) >= 3 && rs[0] == '名' {
		return string(rs[1:])
	}
	return s
}

// provincePrefixes are the first two characters of the province-level
// divisions (GB/T 2260): every resident card address begins with one.
var provincePrefixes = []string{"北京", "天津", "河北", "山西", "内蒙", "辽宁", "吉林", "黑龙", "上海", "江苏", "浙江",
	"安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏",
	"陕西", "甘肃", "青海", "宁夏", "新疆", "台湾", "香港", "澳门"}

// trimAddressStart drops one or two stray characters (a label remnant such
// as 址, a stroke read as 一) before the province an address begins with.
func trimAddressStart(s string) string {
	rs := []rune(s)
	starts := func(k int) bool {
		return len(rs) >= k+2 && slices.Contains(provincePrefixes, string(rs[k:k+2]))
	}
	if starts(0) {
		return s
	}
	for k := 1; k <= 2; k++ {
		if starts(k) {
			return string(rs[k:])
		}
	}
	return s
}

// cleanName keeps CJK characters and the middle dot of minority names.
func cleanName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || r == '·' || r == '•' {
			if r == '•' {
				r = '·'
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// locationOf is the axis-aligned box of quads in the image.
func locationOf(qs ...ocr.Quad) Location {
	lo := ocr.Point{X: math.Inf(1), Y: math.Inf(1)}
	hi := ocr.Point{X: math.Inf(-1), Y: math.Inf(-1)}
	for _, q := range qs {
		a, b := q.Bounds()
		lo.X, lo.Y = math.Min(lo.X, a.X), math.Min(lo.Y, a.Y)
		hi.X, hi.Y = math.Max(hi.X, b.X), math.Max(hi.Y, b.Y)
	}
	if math.IsInf(lo.X, 0) {
		return Location{}
	}
	return Location{Left: int(lo.X), Top: int(lo.Y), Width: int(math.Ceil(hi.X - lo.X)), Height: int(math.Ceil(hi.Y - lo.Y))}
}

// nations are the 56 officially recognised ethnic groups, as printed.
var nations = []string{
	"汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳",
	"佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
	"塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
}

// readNation decodes the nation within the closed set of 56 names: the
// name whose characters are all among the recogniser's candidates at the
// corresponding positions, with the highest joint probability. Nothing
// fits → "" (absent, not guessed).
func readNation(s segment) string {
	text := cleanName(s.Text)
	for _, n := range nations {
		if n == text {
			return n
		}
	}
	if len(s.Line.Chars) != len([]rune(s.Line.Text)) {
		return ""
	}
	// Han characters of the segment with their candidates.
	var alts [][]ocr.Alt
	for i := s.Start; i < s.End; i++ {
		c := s.Line.Chars[i]
		if r := []rune(c.Text); len(r) == 1 && unicode.Is(unicode.Han, r[0]) {
			alts = append(alts, c.Alts)
		}
	}
	best, bestP := "", float32(0)
	for _, n := range nations {
		rs := []rune(n)
		if len(rs) != len(alts) {
			continue
		}
		p := float32(1)
		for i, r := range rs {
			q := float32(0)
			for _, a := range alts[i] {
				if a.Text == string(r) {
					q = a.Prob
				}
			}
			p *= q
		}
		if p > bestP {
			best, bestP = n, p
		}
	}
	if bestP < 1e-4 {
		return ""
	}
	return best
}

// numberCandidates maps each uncertain position of the normalised number
// in segment s (low confidence or a letter read as a digit) to the digits
// the recogniser itself ranked as alternatives there.
func numberCandidates(s segment, lowConf float32) map[int]string {
	if len(s.Line.Chars) != len([]rune(s.Line.Text)) {
		return nil
	}
	out := map[int]string{}
	pos := 0
	for i := s.Start; i < s.End; i++ {
		c := s.Line.Chars[i]
		r := []rune(c.Text)
		if len(r) != 1 {
			continue
		}
		d, fixed := r[0], false
		if f, ok := digitFixes[d]; ok {
			d, fixed = f, true
		}
		if !((d >= '0' && d <= '9') || d == 'X') {
			continue
		}
		if fixed || c.Conf < lowConf {
			var alts strings.Builder
			for _, a := range c.Alts {
				ar := []rune(a.Text)
				if len(ar) != 1 || a.Prob < 0.01 {
					continue
				}
				x := ar[0]
				if f, ok := digitFixes[x]; ok {
					x = f
				}
				if (x >= '0' && x <= '9') || x == 'X' {
					alts.WriteRune(x)
				}
			}
			if alts.Len() > 0 {
				out[pos] = alts.String()
			}
		}
		pos++
	}
	return out
}
