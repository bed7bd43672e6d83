package verify

import (
	"fmt"
	"github.com/faceprint/faceprint/internal/idnumber"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Identity errors; both match ErrInvalidIdentity with errors.Is.
var (
	ErrInvalidName     = fmt.Errorf("%w: name", ErrInvalidIdentity)
	ErrInvalidIDNumber = fmt.Errorf("%w: ID number", ErrInvalidIdentity)
)

// ValidateIdentity checks a name and a mainland resident ID number
// (GB 11643-1999: 17 digits + MOD 11-2 check character, a valid birth date).
// Other certificate types only get length and character checks.
func ValidateIdentity(name, idNumber string, certType int) error {
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 32 {
		return fmt.Errorf("%w: must be 1–32 characters", ErrInvalidName)
	}
	for _, r := range name {
		if !(unicode.Is(unicode.Han, r) || unicode.IsLetter(r) || r == '·' || r == '•' || r == ' ' || r == '.') {
			return fmt.Errorf("%w: contains %q", ErrInvalidName, r)
		}
	}
	if certType != 0 {
		if len(idNumber) < 5 || len(idNumber) > 32 || strings.IndexFunc(idNumber, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '(' || r == ')' || r == '-')
		}) >= 0 {
			return fmt.Errorf("%w: certificate numbers are 5–32 letters, digits, ( ) or -", ErrInvalidIDNumber)
		}
		return nil
	}
	if !ValidIDNumber(idNumber) {
		return fmt.Errorf("%w: fails the GB 11643 check", ErrInvalidIDNumber)
	}
	return nil
}

// ValidIDNumber reports whether s is an 18-character resident ID number with
// a correct check character, a known region and a real birth date.
func ValidIDNumber(s string) bool { return idnumber.Valid(s) }

// MaskName keeps the first character: 柴* (the seed's masking).
func MaskName(name string) string {
	r := []rune(name)
	if len(r) <= 1 {
		return name
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// MaskIDNumber keeps the first 3 and last 4 characters: 370***********5826.
func MaskIDNumber(s string) string {
	r := []rune(s)
	if len(r) <= 7 {
		return s
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}
