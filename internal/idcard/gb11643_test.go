package idcard

import (
	"github.com/faceprint/faceprint/internal/idnumber"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

func TestCheckChar(t *testing.T) {
	// GB 11643-1999 worked example and a number ending in X.
	cases := map[string]byte{"11010519491231002": 'X', "44052418800101001": '4'}
	for body, want := range cases {
		got, ok := idnumber.CheckChar(body)
		if !ok || got != want {
			t.Errorf("idnumber.CheckChar(%s) = %c, %v; want %c", body, got, ok, want)
		}
	}
	if _, ok := idnumber.CheckChar("1101051949123100A"); ok {
		t.Error("non-digit body accepted")
	}
}

func TestValidateNumber(t *testing.T) {
	good := "11010519491231002X"
	info, err := idnumber.ValidateNumber(good, now)
	if err != nil {
		t.Fatalf("%s: %v", good, err)
	}
	if info.Birth != "19491231" || info.Male || info.Sex() != "女" {
		t.Errorf("info = %+v", info)
	}
	bad := map[string]string{
		"11010519491231002":   "short",
		"110105194912310021":  "checksum",
		"99010519491231002X":  "region",
		"110105194902300022":  "feb 30",
		"110105203001010000":  "future birth",
		"1101051949123100 2X": "length",
	}
	for n, why := range bad {
		if _, err := idnumber.ValidateNumber(n, now); err == nil {
			t.Errorf("%s (%s) accepted", n, why)
		}
	}
}

func TestCorrectOneDigit(t *testing.T) {
	good := "11010519491231002X"
	// One misread digit at an uncertain position, and only one value fits.
	misread := "11010519491231092X"
	fixed, c, ok := CorrectOneDigit(misread, []int{15}, now)
	if !ok || fixed != good || c == nil || c.Position != 15 || c.From != '9' || c.To != '0' {
		t.Fatalf("CorrectOneDigit = %s %+v %v", fixed, c, ok)
	}
	// No uncertain position: leave it alone.
	if got, c, ok := CorrectOneDigit(misread, nil, now); ok || got != misread || c != nil {
		t.Errorf("corrected at a confident position: %s %+v", got, c)
	}
	// Several uncertain positions with several candidates: ambiguous, no guess.
	if got, _, ok := CorrectOneDigit(misread, []int{3, 15}, now); ok {
		t.Errorf("ambiguous correction made: %s", got)
	}
	// A valid number is returned as is.
	if got, c, ok := CorrectOneDigit(good, []int{1}, now); !ok || got != good || c != nil {
		t.Errorf("valid number changed: %s %+v", got, c)
	}
}

func TestClassifyNumber(t *testing.T) {
	n := "11010519491231002X" // female, 1949-12-31
	cases := []struct {
		num, sex, birth string
		any             bool
		want            int
	}{
		{"", "", "", false, NumberTypeEmpty},
		{"110105194912310021", "女", "19491231", true, NumberTypeInvalid},
		{n, "女", "19491231", true, NumberTypeConsistent},
		{n, "男", "19500101", true, NumberTypeBothMismatch},
		{n, "女", "19500101", true, NumberTypeBirthMismatch},
		{n, "男", "19491231", true, NumberTypeSexMismatch},
		{n, "", "", true, NumberTypeConsistent},
		{"", "男", "19491231", true, NumberTypeInvalid},
	}
	for _, c := range cases {
		if got := ClassifyNumber(c.num, c.sex, c.birth, c.any, now); got != c.want {
			t.Errorf("ClassifyNumber(%q,%q,%q) = %d, want %d", c.num, c.sex, c.birth, got, c.want)
		}
	}
}

func TestFieldParsers(t *testing.T) {
	if got := normBirth("1990年1月5日"); got != "19900105" {
		t.Errorf("normBirth = %q", got)
	}
	if got := normBirth("1990年13月5日"); got != "" {
		t.Errorf("invalid month accepted: %q", got)
	}
	if i, e := parseValidity("2012.11.03-2022.11.03"); i != "20121103" || e != "20221103" {
		t.Errorf("validity = %s %s", i, e)
	}
	if i, e := parseValidity("2012.11.03-长期"); i != "20121103" || e != "长期" {
		t.Errorf("validity = %s %s", i, e)
	}
	num, unsure := normNumber("11O1O5194912310O2x", nil, 0.9)
	if num != "11010519491231002X" || len(unsure) != 4 {
		t.Errorf("normNumber = %s %v", num, unsure)
	}
	fs := findLabels([]rune("性别男民族汉"))
	if len(fs) != 2 || fs[0].Spec.Key != KeySex || fs[1].Spec.Key != KeyNation {
		t.Fatalf("findLabels = %+v", fs)
	}
	if !isSpecimenMark("样本 SPECIMEN") || isSpecimenMark("样本路3号") {
		t.Error("specimen mark detection")
	}
}

func FuzzFieldParsers(f *testing.F) {
	for _, s := range []string{"1990年1月5日", "2012.11.03-长期", "公民身份号码11010519491231002X", "性别男民族汉", "", "年月日--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if b := normBirth(s); b != "" {
			if _, err := idnumber.ParseDate(b); err != nil {
				t.Fatalf("normBirth(%q) = %q, not a date", s, b)
			}
		}
		i, e := parseValidity(s)
		if i != "" && len(i) != 8 || e != "" && e != "长期" && len(e) != 8 {
			t.Fatalf("parseValidity(%q) = %q %q", s, i, e)
		}
		n, u := normNumber(s, nil, 0.9)
		for _, p := range u {
			if p < 0 || p >= len(n) {
				t.Fatalf("normNumber(%q) unsure %d out of %q", s, p, n)
			}
		}
		rs := []rune(s)
		for _, fd := range findLabels(rs) {
			if fd.Start < 0 || fd.End > len(rs) || fd.Start >= fd.End {
				t.Fatalf("findLabels(%q) bad range %+v", s, fd)
			}
		}
		_, _, _ = CorrectOneDigit(n, u, now)
	})
}
