package face

import (
	"fmt"
	"sort"
	"testing"
)

func TestDbgTop(t *testing.T) {
	e := testEngine(t)
	set := calibrationSet(t, e)
	type pr struct {
		a, b string
		c    float64
	}
	var ps []pr
	for i := range set {
		for j := i + 1; j < len(set); j++ {
			if set[i].id != set[j].id && !(set[i].collection != "" && set[i].collection == set[j].collection && set[i].group != set[j].group) {
				ps = append(ps, pr{set[i].id, set[j].id, Cosine(set[i].emb, set[j].emb)})
			}
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].c > ps[j].c })
	for _, p := range ps[:25] {
		fmt.Printf("%.3f %s %s\n", p.c, p.a, p.b)
	}
}
