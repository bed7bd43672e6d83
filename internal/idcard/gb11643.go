package idcard

import (
	"fmt"
	"strconv"
	"time"
)

// GB 11643-1999 citizen identification numbers: 6-digit region, 8-digit
// birth date, 3-digit sequence (odd = male), MOD 11-2 check character.

var gbWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const gbCheckChars = "10X98765432"

// provinces are the valid first two digits (GB/T 2260 provincial codes plus
// Hong Kong, Macao and Taiwan residence permits).
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// CheckChar computes the MOD 11-2 check character of the first 17 digits.
// ok is false when the body is not 17 ASCII digits.
func CheckChar(body17 string) (byte, bool) {
	if len(body17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := body17[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * gbWeights[i]
	}
	return gbCheckChars[sum%11], true
}

// NumberInfo is what an 18-character number says about its holder.
type NumberInfo struct {
	Region string // first 6 digits
	Birth  string // YYYYMMDD
	Male   bool
}

// Sex returns "男" or "女" as printed on the card.
func (n NumberInfo) Sex() string {
	if n.Male {
		return "男"
	}
	return "女"
}

// ValidateNumber checks format, checksum, region prefix and birth date
// (not after now, not before 1900). It returns what the number encodes.
func ValidateNumber(num string, now time.Time) (NumberInfo, error) {
	if len(num) != 18 {
		return NumberInfo{}, fmt.Errorf("id number: length %d, want 18", len(num))
	}
	want, ok := CheckChar(num[:17])
	if !ok {
		return NumberInfo{}, fmt.Errorf("id number: first 17 characters must be digits")
	}
	if num[17] != want {
		return NumberInfo{}, fmt.Errorf("id number: check character %q, want %q", num[17], want)
	}
	if !provinces[num[:2]] {
		return NumberInfo{}, fmt.Errorf("id number: unknown region prefix %s", num[:2])
	}
	birth := num[6:14]
	t, err := ParseDate(birth)
	if err != nil {
		return NumberInfo{}, fmt.Errorf("id number: birth date: %w", err)
	}
	if t.Year() < 1900 || t.After(now) {
		return NumberInfo{}, fmt.Errorf("id number: birth date %s out of range", birth)
	}
	seq, _ := strconv.Atoi(num[14:17])
	return NumberInfo{Region: num[:6], Birth: birth, Male: seq%2 == 1}, nil
}

// ParseDate parses a YYYYMMDD date strictly (20230230 is rejected).
func ParseDate(s string) (time.Time, error) {
	if len(s) != 8 {
		return time.Time{}, fmt.Errorf("date %q: want YYYYMMDD", s)
	}
	t, err := time.Parse("20060102", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: %w", s, err)
	}
	return t, nil
}

// Correction records a checksum-based repair of one digit.
type Correction struct {
	Position int    // 0-based index in the number
	From     byte   // what was read
	To       byte   // what the checksum requires
	Reason   string // why this position was chosen
}

// CorrectOneDigit tries to repair a number whose checksum fails by changing
// the single character at one of the uncertain positions (low recognition
// confidence). It succeeds only when exactly one candidate over all those
// positions yields a number that validates; otherwise the number is left
// alone. A number that already validates is returned unchanged.
func CorrectOneDigit(num string, uncertain []int, now time.Time) (string, *Correction, bool) {
	cands := map[int]string{}
	for _, p := range uncertain {
		cands[p] = "0123456789X"
	}
	return CorrectAmong(num, cands, now)
}

// CorrectAmong is CorrectOneDigit with the replacement characters allowed
// at each uncertain position given (the recogniser's own alternatives), so
// that a digit is only changed to one the model found plausible.
func CorrectAmong(num string, cands map[int]string, now time.Time) (string, *Correction, bool) {
	if _, err := ValidateNumber(num, now); err == nil {
		return num, nil, true
	}
	if len(num) != 18 {
		return num, nil, false
	}
	var found []Correction
	for p, alts := range cands {
		if p < 0 || p >= 18 {
			continue
		}
		for i := 0; i < len(alts); i++ {
			c := alts[i]
			if c == num[p] || (c == 'X' && p != 17) || !(c == 'X' || (c >= '0' && c <= '9')) {
				continue
			}
			cand := num[:p] + string(c) + num[p+1:]
			if _, err := ValidateNumber(cand, now); err == nil {
				found = append(found, Correction{Position: p, From: num[p], To: c})
			}
		}
	}
	if len(found) != 1 {
		return num, nil, false
	}
	c := found[0]
	c.Reason = "low-confidence character; the only value that satisfies the GB 11643 checksum"
	return num[:c.Position] + string(c.To) + num[c.Position+1:], &c, true
}

// NumberType is Baidu's idcard_number_type.
const (
	NumberTypeEmpty         = -1 // every front field is empty
	NumberTypeInvalid       = 0  // the number is not valid; it is not returned
	NumberTypeConsistent    = 1  // number agrees with printed sex and birth date
	NumberTypeBothMismatch  = 2  // number disagrees with both
	NumberTypeBirthMismatch = 3  // number disagrees with the birth date
	NumberTypeSexMismatch   = 4  // number disagrees with the sex
)

// ClassifyNumber computes idcard_number_type from the number and the
// printed sex ("男"/"女") and birth date (YYYYMMDD). Empty printed fields
// are not counted as a mismatch.
func ClassifyNumber(num, sex, birth string, anyField bool, now time.Time) int {
	if !anyField && num == "" {
		return NumberTypeEmpty
	}
	info, err := ValidateNumber(num, now)
	if err != nil {
		return NumberTypeInvalid
	}
	birthBad := birth != "" && birth != info.Birth
	sexBad := sex != "" && sex != info.Sex()
	switch {
	case birthBad && sexBad:
		return NumberTypeBothMismatch
	case birthBad:
		return NumberTypeBirthMismatch
	case sexBad:
		return NumberTypeSexMismatch
	}
	return NumberTypeConsistent
}
