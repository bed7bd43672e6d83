// Package idnumber checks mainland resident ID numbers (GB 11643-1999:
// 6-digit region, 8-digit birth date, 3-digit sequence with odd = male,
// MOD 11-2 check character). The OCR reader, the verify session and the
// authorities all use it.
package idnumber

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

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

// Valid reports whether s (upper- or lower-case x) is a well-formed number:
// 18 characters, check character, region prefix, a real birth date since 1900.
func Valid(s string) bool {
	_, err := Check(strings.ToUpper(s))
	return err == nil
}

// ValidateNumber is Check plus a birth date not after now.
func ValidateNumber(num string, now time.Time) (NumberInfo, error) {
	info, err := Check(num)
	if err != nil {
		return info, err
	}
	if b, _ := ParseDate(info.Birth); b.After(now) {
		return NumberInfo{}, fmt.Errorf("id number: birth date %s is in the future", info.Birth)
	}
	return info, nil
}

// Check checks format, checksum, region prefix and birth date (a real date,
// not before 1900). It returns what the number encodes.
func Check(num string) (NumberInfo, error) {
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
	if t.Year() < 1900 {
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

// KnownRegion reports whether a number starts with a valid province code.
func KnownRegion(num string) bool { return len(num) >= 2 && provinces[num[:2]] }
