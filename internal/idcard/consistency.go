package idcard

import (
	"fmt"
	"strings"
	"time"

	"github.com/faceprint/faceprint/internal/idnumber"
)

// Front/back consistency: the two sides of one resident ID card agree in
// ways the law fixes (居民身份证法 art. 5: the validity term follows the
// holder's age when the card is issued), so a back photographed from another
// card, or misread, shows up before the sides are merged.

// BackSide is what the back (国徽面) says. Dates are YYYYMMDD as the reader
// returns them; ExpireTime may be "长期" (long-term).
type BackSide struct {
	IssueAuthority string
	IssueTime      string
	ExpireTime     string
}

// Finding is one disagreement between the ID number (front) and the back.
type Finding struct {
	// Code: issued_before_birth, issued_in_future, term_mismatch,
	// expiry_mismatch, region_mismatch.
	Code string
	// Hard findings contradict the law: another card or a misread side, so
	// the user is asked for the right card. Soft ones are unusual but lawful
	// and are only worth recording.
	Hard   bool
	Detail string
}

// Long is the printed expiry of a long-term card.
const Long = "长期"

// termBoundaryDays: an application made shortly before a birthday may be
// issued just after it (the printed issue date is the issuing day), so near
// an age boundary either term is accepted.
const termBoundaryDays = 90

// CheckConsistency compares the ID number of the front with the back's
// fields. Fields that were not read are skipped, never guessed; an invalid
// number gives no findings (the number is checked elsewhere).
func CheckConsistency(idNumber string, back BackSide, now time.Time) []Finding {
	info, err := idnumber.Check(strings.ToUpper(idNumber))
	if err != nil {
		return nil
	}
	birth, _ := idnumber.ParseDate(info.Birth)
	var out []Finding
	if issue, err := idnumber.ParseDate(back.IssueTime); err == nil {
		switch {
		case issue.Before(birth):
			out = append(out, Finding{Code: "issued_before_birth", Hard: true,
				Detail: fmt.Sprintf("issued %s, born %s", back.IssueTime, info.Birth)})
		case issue.After(now):
			out = append(out, Finding{Code: "issued_in_future", Hard: true, Detail: "issued " + back.IssueTime})
		default:
			out = append(out, termFindings(birth, issue, back)...)
		}
	}
	if p := authorityProvince(back.IssueAuthority); p != "" && p != info.Region[:2] {
		// A person who moves keeps the number (its region is where it was
		// first given) while the new card is issued where they live now, so
		// this is lawful and common: soft.
		out = append(out, Finding{Code: "region_mismatch",
			Detail: fmt.Sprintf("authority in %s, number from %s", p, info.Region[:2])})
	}
	return out
}

// termFor is the validity term in years by age at issue (0 = long-term).
func termFor(age int) int {
	switch {
	case age < 16:
		return 5
	case age <= 25:
		return 10
	case age <= 45:
		return 20
	}
	return 0
}

// termFindings checks the expiry against the issue date and the holder's age.
func termFindings(birth, issue time.Time, back BackSide) []Finding {
	if back.ExpireTime == "" {
		return nil
	}
	allowed := map[int]bool{termFor(ageAt(birth, issue)): true}
	for _, d := range []int{-termBoundaryDays, termBoundaryDays} {
		allowed[termFor(ageAt(birth, issue.AddDate(0, 0, d)))] = true
	}
	if back.ExpireTime == Long {
		if !allowed[0] {
			return []Finding{{Code: "term_mismatch", Hard: true, Detail: fmt.Sprintf("long-term card issued at age %d", ageAt(birth, issue))}}
		}
		return nil
	}
	expire, err := idnumber.ParseDate(back.ExpireTime)
	if err != nil {
		return nil
	}
	years := expire.Year() - issue.Year()
	if !sameDayOfYear(issue, expire, years) {
		return []Finding{{Code: "expiry_mismatch", Hard: true,
			Detail: fmt.Sprintf("expires %s, not a whole number of years after %s", back.ExpireTime, issue.Format("20060102"))}}
	}
	if !allowed[years] {
		return []Finding{{Code: "term_mismatch", Hard: true,
			Detail: fmt.Sprintf("%d-year card issued at age %d", years, ageAt(birth, issue))}}
	}
	return nil
}

// sameDayOfYear: expire is issue plus years, with 29 February landing on
// 28 February or 1 March in a common year.
func sameDayOfYear(issue, expire time.Time, years int) bool {
	if years <= 0 {
		return false
	}
	if expire.Month() == issue.Month() && expire.Day() == issue.Day() {
		return true
	}
	if issue.Month() == time.February && issue.Day() == 29 {
		return (expire.Month() == time.February && expire.Day() == 28) || (expire.Month() == time.March && expire.Day() == 1)
	}
	return false
}

// ageAt is the age in whole years on day t.
func ageAt(birth, t time.Time) int {
	age := t.Year() - birth.Year()
	if t.Month() < birth.Month() || (t.Month() == birth.Month() && t.Day() < birth.Day()) {
		age--
	}
	return age
}

// provinceNames are the names an issuing authority may start with, with the
// suffix that makes them unambiguous (河南 alone is also a county in
// Qinghai, 海南 a prefecture there), and the provincial capitals and other
// large cities whose police bureaus issue cards under the city's name
// (杭州市公安局西湖分局). Districts are left out: 朝阳区 is in Beijing and in
// Changchun. An authority named by none of these is not derivable.
var provinceNames = map[string]string{
	"北京市": "11", "天津市": "12", "河北省": "13", "石家庄市": "13", "唐山市": "13", "保定市": "13", "邯郸市": "13",
	"山西省": "14", "太原市": "14", "大同市": "14", "内蒙古自治区": "15", "呼和浩特市": "15", "包头市": "15",
	"辽宁省": "21", "沈阳市": "21", "大连市": "21", "吉林省": "22", "长春市": "22", "黑龙江省": "23", "哈尔滨市": "23",
	"上海市": "31", "江苏省": "32", "南京市": "32", "苏州市": "32", "无锡市": "32", "浙江省": "33", "杭州市": "33",
	"宁波市": "33", "温州市": "33", "安徽省": "34", "合肥市": "34", "福建省": "35", "福州市": "35", "厦门市": "35",
	"江西省": "36", "南昌市": "36", "山东省": "37", "济南市": "37", "青岛市": "37", "河南省": "41", "郑州市": "41",
	"洛阳市": "41", "湖北省": "42", "武汉市": "42", "湖南省": "43", "长沙市": "43", "广东省": "44", "广州市": "44",
	"深圳市": "44", "东莞市": "44", "佛山市": "44", "广西壮族自治区": "45", "南宁市": "45", "海南省": "46", "海口市": "46",
	"三亚市": "46", "重庆市": "50", "四川省": "51", "成都市": "51", "贵州省": "52", "贵阳市": "52", "云南省": "53",
	"昆明市": "53", "西藏自治区": "54", "拉萨市": "54", "陕西省": "61", "西安市": "61", "甘肃省": "62", "兰州市": "62",
	"青海省": "63", "西宁市": "63", "宁夏回族自治区": "64", "银川市": "64", "新疆维吾尔自治区": "65", "乌鲁木齐市": "65",
}

// authorityProvince is the province code an issuing authority names at its
// start, or "" when it names none this table knows.
func authorityProvince(authority string) string {
	a := strings.Join(strings.Fields(authority), "")
	best, code := 0, ""
	for name, c := range provinceNames {
		// The longest name that starts the text wins (吉林省 over a shorter
		// match), and only a start counts: 公安局 names follow the place.
		if len(name) > best && strings.HasPrefix(a, name) {
			best, code = len(name), c
		}
	}
	return code
}
