package api

import (
	"testing"
)

// FuzzParseBody checks that no body crashes the sniffing parser and that
// field reads on whatever it returns are safe.
func FuzzParseBody(f *testing.F) {
	for _, s := range []string{`{"plan_id":1}`, `{"plan_id":"1","redirect_config":{"success_url":"https://a"}}`, `[{"image":"x","image_type":"BASE64"},{}]`,
		`plan_id=1&access_token=2`, `{"plan_id":{}}`, ``, `{`, `[1,2`, `%zz`, "\x00\xff", `{"a":1e999}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBody(data)
		if err != nil {
			return
		}
		for _, k := range []string{"plan_id", "verify_token", "image", "access_token"} {
			_, _, _ = b.String(k)
			_ = b.Has(k)
			_ = b.Raw(k)
		}
		for i := range len(b.Array) {
			if o, err := b.ObjectOf(i); err == nil {
				_, _, _ = o.String("image")
			}
		}
	})
}
