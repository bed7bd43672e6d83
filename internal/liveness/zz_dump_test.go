package liveness

import (
	"fmt"
	"image/png"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestDumpSample(t *testing.T) {
	kind := os.Getenv("DUMP_KIND")
	if kind == "" {
		t.Skip()
	}
	n, _ := strconv.Atoi(os.Getenv("DUMP_N"))
	ss, err := material(t).Generate(kind, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Split(os.Getenv("DUMP_IDX"), ",") {
		i, _ := strconv.Atoi(f)
		s := ss[i]
		for _, k := range []int{0, len(s.Frames) / 3, 2 * len(s.Frames) / 3} {
			w, _ := os.Create(fmt.Sprintf("/tmp/dump-%s-%d-%d.png", kind, i, k))
			png.Encode(w, s.Frames[k].Image)
			w.Close()
		}
	}
}
