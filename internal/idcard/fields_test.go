package idcard

import "testing"

func TestTrimNameLabel(t *testing.T) {
	for in, want := range map[string]string{
		"名芮飞":  "芮飞", // the 名 of a split 姓名 label
		"姓名李四": "李四",
		"名芮":   "名芮", // two characters: could be a name
		"王名扬":  "王名扬",
		"":     "",
	} {
		if got := trimNameLabel(in); got != want {
			t.Errorf("trimNameLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTrimAddressStart(t *testing.T) {
	for in, want := range map[string]string{
		"一山西省太原市小店区": "山西省太原市小店区",
		"址北京市海淀区":    "北京市海淀区",
		"住址内蒙古自治区锡林": "内蒙古自治区锡林",
		"黑龙江省哈尔滨市":   "黑龙江省哈尔滨市",
		"某某某北京市":     "某某某北京市", // three strays: leave it, do not guess
		"长安街1号":      "长安街1号",  // no province at all (a second line read alone)
		"北":          "北",
	} {
		if got := trimAddressStart(in); got != want {
			t.Errorf("trimAddressStart(%q) = %q, want %q", in, got, want)
		}
	}
}
