package idcard

import (
	"time"

	"github.com/faceprint/faceprint/internal/idnumber"
)

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
	if _, err := idnumber.ValidateNumber(num, now); err == nil {
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
			if _, err := idnumber.ValidateNumber(cand, now); err == nil {
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
	info, err := idnumber.ValidateNumber(num, now)
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
