package idcard

import (
	"strings"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/idnumber"
)

// withCheck completes a 17-digit body with its check character.
func withCheck(body string) string {
	c, _ := idnumber.CheckChar(body)
	return body + string(c)
}

func TestCheckConsistency(t *testing.T) {
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	beijing1990 := "110101199003078515"     // born 1990-03-07
	beijing1949 := "11010519491231002X"     // born 1949-12-31
	child := withCheck("11010120100101001") // born 2010-01-01
	cases := []struct {
		name   string
		number string
		back   BackSide
		want   string // comma-separated codes, hard ones marked with !
	}{
		{"10-year card at 22", beijing1990, BackSide{"北京市公安局东城分局", "20120501", "20220501"}, ""},
		{"20-year card at 22", beijing1990, BackSide{"北京市公安局东城分局", "20120501", "20320501"}, "!term_mismatch"},
		{"long-term at 60", beijing1949, BackSide{"北京市公安局朝阳分局", "20100101", Long}, ""},
		{"long-term at 22", beijing1990, BackSide{"", "20120501", Long}, "!term_mismatch"},
		{"20-year card at 50 (long-term due)", beijing1949, BackSide{"", "20000101", "20200101"}, "!term_mismatch"},
		{"5-year card at 10", child, BackSide{"", "20200601", "20250601"}, ""},
		{"10-year card at 10", child, BackSide{"", "20200601", "20300601"}, "!term_mismatch"},
		{"expiry off by a day", beijing1990, BackSide{"", "20120501", "20220502"}, "!expiry_mismatch"},
		{"issued before birth", beijing1990, BackSide{"", "19890101", "19990101"}, "!issued_before_birth"},
		{"issued in the future", beijing1990, BackSide{"", "20270101", "20470101"}, "!issued_in_future"},
		// 35 days before the 26th birthday: issued on either side of it is lawful.
		{"near the 26 boundary, 20 years", beijing1990, BackSide{"", "20160201", "20360201"}, ""},
		{"near the 26 boundary, 10 years", beijing1990, BackSide{"", "20160201", "20260201"}, ""},
		{"29 February issue", beijing1990, BackSide{"", "20160229", "20360228"}, ""},
		{"29 February issue, 1 March", beijing1990, BackSide{"", "20160229", "20260301"}, ""},
		{"authority in another province", beijing1990, BackSide{"河北省保定市公安局", "20120501", "20220501"}, "region_mismatch"},
		{"authority by city name", beijing1990, BackSide{"杭州市公安局西湖分局", "", ""}, "region_mismatch"},
		{"authority not derivable", beijing1990, BackSide{"东城分局", "", ""}, ""},
		{"spaces in the authority", beijing1990, BackSide{"北京市 公安局", "", ""}, ""},
		{"nothing read", beijing1990, BackSide{}, ""},
		{"unreadable dates", beijing1990, BackSide{"", "2012050", "2022"}, ""},
		{"invalid number", "110101199003078514", BackSide{"河北省公安厅", "19890101", Long}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, f := range CheckConsistency(c.number, c.back, now) {
				code := f.Code
				if f.Hard {
					code = "!" + code
				}
				if f.Detail == "" {
					t.Errorf("%s has no detail", f.Code)
				}
				got = append(got, code)
			}
			if g := strings.Join(got, ","); g != c.want {
				t.Errorf("got %q, want %q", g, c.want)
			}
		})
	}
}

func TestTermFor(t *testing.T) {
	for age, want := range map[int]int{0: 5, 15: 5, 16: 10, 25: 10, 26: 20, 45: 20, 46: 0, 80: 0} {
		if got := termFor(age); got != want {
			t.Errorf("termFor(%d) = %d, want %d", age, got, want)
		}
	}
}
