package ocr

import "math"

// DBParams are the DB (differentiable binarisation) post-processing settings.
type DBParams struct {
	Thresh        float32 // pixel probability threshold for the text mask (0.3)
	BoxThresh     float32 // mean probability a box must reach (0.5 on ID cards)
	UnclipRatio   float64 // box growth: distance = area·ratio/perimeter (1.5)
	MinSize       float64 // smallest box side kept, in map pixels (3)
	MaxCandidates int     // most components considered (1000)
}

// DefaultDBParams are PaddleOCR's settings, with box_thresh 0.5 (0.6 drops
// lone characters such as 汉 on ID cards).
func DefaultDBParams() DBParams {
	return DBParams{Thresh: 0.3, BoxThresh: 0.5, UnclipRatio: 1.5, MinSize: 3, MaxCandidates: 1000}
}

// scoredBox is a detected box in probability-map coordinates.
type scoredBox struct {
	Quad  Quad
	Score float32
}

// dbBoxes turns a w×h probability map into text boxes: binarise, label
// 8-connected components, fit a minimum-area rectangle to each, keep those
// whose mean probability reaches BoxThresh, and grow them ("unclip").
func dbBoxes(prob []float32, w, h int, p DBParams) []scoredBox {
	if w <= 0 || h <= 0 || len(prob) < w*h {
		return nil
	}
	labels := make([]int32, w*h)
	var out []scoredBox
	stack := make([]int32, 0, 1024)
	next := int32(0)
	for start := 0; start < w*h; start++ {
		if labels[start] != 0 || prob[start] <= p.Thresh {
			continue
		}
		next++
		if p.MaxCandidates > 0 && int(next) > p.MaxCandidates {
			break
		}
		// Flood fill, recording each row's extreme pixels: their corners
		// have the same convex hull as the whole component.
		rowMin := map[int]int{}
		rowMax := map[int]int{}
		stack = append(stack[:0], int32(start))
		labels[start] = next
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := i%w, i/w
			if m, ok := rowMin[y]; !ok || x < m {
				rowMin[y] = x
			}
			if m, ok := rowMax[y]; !ok || x > m {
				rowMax[y] = x
			}
			for dy := -1; dy <= 1; dy++ {
				ny := y + dy
				if ny < 0 || ny >= h {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					nx := x + dx
					if nx < 0 || nx >= w || (dx == 0 && dy == 0) {
						continue
					}
					j := ny*w + nx
					if labels[j] == 0 && prob[j] > p.Thresh {
						labels[j] = next
						stack = append(stack, int32(j))
					}
				}
			}
		}
		pts := make([]Point, 0, 4*len(rowMin))
		for y, x0 := range rowMin {
			x1 := rowMax[y]
			fy := float64(y)
			pts = append(pts, Point{float64(x0), fy}, Point{float64(x0), fy + 1},
				Point{float64(x1 + 1), fy}, Point{float64(x1 + 1), fy + 1})
		}
		rect, ok := minAreaRect(convexHull(pts))
		if !ok || rect.Height() < p.MinSize {
			continue
		}
		score := meanInQuad(prob, w, h, rect)
		if score < p.BoxThresh {
			continue
		}
		ww, hh := rect.Width(), rect.Height()
		d := ww * hh * p.UnclipRatio / (2 * (ww + hh))
		grown := expandRect(rect, d)
		if grown.Height() < p.MinSize+2 {
			continue
		}
		out = append(out, scoredBox{Quad: grown, Score: score})
	}
	return out
}

// meanInQuad is the mean probability of the map pixels whose centres lie in q.
func meanInQuad(prob []float32, w, h int, q Quad) float32 {
	lo, hi := q.Bounds()
	x0, y0 := max(0, int(math.Floor(lo.X))), max(0, int(math.Floor(lo.Y)))
	x1, y1 := min(w-1, int(math.Ceil(hi.X))), min(h-1, int(math.Ceil(hi.Y)))
	var sum float64
	n := 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			if inQuad(q, Point{float64(x) + 0.5, float64(y) + 0.5}) {
				sum += float64(prob[y*w+x])
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float32(sum / float64(n))
}
