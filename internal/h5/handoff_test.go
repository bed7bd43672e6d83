package h5

import (
	"fmt"
	"strings"
	"testing"

	"rsc.io/qr"
)

// The SVG draws exactly the modules of the code, inside a quiet zone.
func TestQRSVG(t *testing.T) {
	const link = "https://verify.example/face/print/?token=abc"
	svg, err := qrSVG(link)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := qr.Encode(link, qr.M)
	black := 0
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if code.Black(x, y) {
				black++
			}
		}
	}
	// Each run is "M x y hN v1 h-N z"; the widths add up to the black modules.
	drawn := 0
	for _, run := range strings.Split(svg, "z")[:strings.Count(svg, "z")] {
		var x, y, w, w2 int
		i := strings.LastIndex(run, "M")
		if _, err := fmtSscanf(run[i:], &x, &y, &w, &w2); err != nil || w != w2 || x < 4 || y < 4 {
			t.Fatalf("run %q: %v", run[i:], err)
		}
		drawn += w
	}
	if drawn != black || !strings.HasPrefix(svg, "<svg") {
		t.Errorf("drew %d modules, the code has %d", drawn, black)
	}
}

func fmtSscanf(s string, x, y, w, w2 *int) (int, error) {
	return fmt.Sscanf(s, "M%d %dh%dv1h-%d", x, y, w, w2)
}
