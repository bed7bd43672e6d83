package idnumber

import (
	"testing"
	"time"
)

func TestValidAndValidate(t *testing.T) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		num string
		ok  bool
	}{
		{"11010119900307803X", true}, {"11010119900307803x", true}, {"370211199602165828", true},
		{"370211199602165826", false}, // check character
		{"11010119901307803X", false}, // month 13
		{"01010119900307803X", false}, // no province 01
		{"1101011990030780", false},   // length
		{"11010118990307803X", false}, // before 1900 (checksum aside)
	} {
		if got := Valid(c.num); got != c.ok {
			t.Errorf("Valid(%s) = %v", c.num, got)
		}
	}
	info, err := ValidateNumber("11010119900307803X", now)
	if err != nil || info.Birth != "19900307" || !info.Male || info.Sex() != "男" || info.Region != "110101" {
		t.Fatalf("%+v %v", info, err)
	}
	body := "11010120300101001"
	c, _ := CheckChar(body)
	if _, err := ValidateNumber(body+string(c), now); err == nil {
		t.Fatal("birth date in the future accepted")
	}
}
