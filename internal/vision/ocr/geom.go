package ocr

import (
	"math"
	"sort"
)

// Point is a position in image pixels.
type Point struct{ X, Y float64 }

// Quad is a text box: P[0]→P[1] runs along the text (the reading
// direction once the line's orientation is known), P[1]→P[2] across it.
type Quad [4]Point

// Width is the length along the text; Height across it.
func (q Quad) Width() float64  { return dist(q[0], q[1]) }
func (q Quad) Height() float64 { return dist(q[1], q[2]) }

// Angle is the reading direction in radians (image y points down).
func (q Quad) Angle() float64 { return math.Atan2(q[1].Y-q[0].Y, q[1].X-q[0].X) }

// Center is the mean of the corners.
func (q Quad) Center() Point {
	return Point{(q[0].X + q[1].X + q[2].X + q[3].X) / 4, (q[0].Y + q[1].Y + q[2].Y + q[3].Y) / 4}
}

// Bounds returns the axis-aligned bounding box (min and max corners).
func (q Quad) Bounds() (Point, Point) {
	lo, hi := q[0], q[0]
	for _, p := range q[1:] {
		lo.X, lo.Y = math.Min(lo.X, p.X), math.Min(lo.Y, p.Y)
		hi.X, hi.Y = math.Max(hi.X, p.X), math.Max(hi.Y, p.Y)
	}
	return lo, hi
}

// Flip reverses the reading direction (the text is upside down in the box).
func (q Quad) Flip() Quad { return Quad{q[2], q[3], q[0], q[1]} }

// Along returns the point at fraction f of the way along the text, at
// fraction g across it (0 = top edge, 1 = bottom edge).
func (q Quad) Along(f, g float64) Point {
	top := lerp(q[0], q[1], f)
	bot := lerp(q[3], q[2], f)
	return lerp(top, bot, g)
}

// Sub returns the part of the box between fractions f0 and f1 along the text.
func (q Quad) Sub(f0, f1 float64) Quad {
	return Quad{q.Along(f0, 0), q.Along(f1, 0), q.Along(f1, 1), q.Along(f0, 1)}
}

func lerp(a, b Point, f float64) Point { return Point{a.X + (b.X-a.X)*f, a.Y + (b.Y-a.Y)*f} }

func dist(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

func cross(o, a, b Point) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }

// convexHull returns the hull of pts counter-clockwise (monotone chain).
func convexHull(pts []Point) []Point {
	if len(pts) < 3 {
		return append([]Point(nil), pts...)
	}
	sort.Slice(pts, func(i, j int) bool {
		if pts[i].X != pts[j].X {
			return pts[i].X < pts[j].X
		}
		return pts[i].Y < pts[j].Y
	})
	h := make([]Point, 0, 2*len(pts))
	for _, p := range pts {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(pts) - 2; i >= 0; i-- {
		p := pts[i]
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	return h[:len(h)-1]
}

// minAreaRect finds the smallest rectangle around the hull (rotating
// calipers: one side of the optimum lies on a hull edge). The result has its
// longer side first: P[0]→P[1] is the long side.
func minAreaRect(hull []Point) (Quad, bool) {
	n := len(hull)
	if n < 3 {
		return Quad{}, false
	}
	bestArea := math.Inf(1)
	var best Quad
	for i := 0; i < n; i++ {
		a, b := hull[i], hull[(i+1)%n]
		l := dist(a, b)
		if l == 0 {
			continue
		}
		ux, uy := (b.X-a.X)/l, (b.Y-a.Y)/l
		minU, maxU, minV, maxV := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, p := range hull {
			u := (p.X-a.X)*ux + (p.Y-a.Y)*uy
			v := -(p.X-a.X)*uy + (p.Y-a.Y)*ux
			minU, maxU = math.Min(minU, u), math.Max(maxU, u)
			minV, maxV = math.Min(minV, v), math.Max(maxV, v)
		}
		area := (maxU - minU) * (maxV - minV)
		if area < bestArea {
			bestArea = area
			pt := func(u, v float64) Point { return Point{a.X + u*ux - v*uy, a.Y + u*uy + v*ux} }
			best = Quad{pt(minU, minV), pt(maxU, minV), pt(maxU, maxV), pt(minU, maxV)}
		}
	}
	if math.IsInf(bestArea, 1) {
		return Quad{}, false
	}
	return normalizeRect(best), true
}

// normalizeRect orders a rectangle so that P[0]→P[1] is the long side and
// points rightwards (or down for vertical boxes), P[0] being the top-left
// corner of that reading.
func normalizeRect(q Quad) Quad {
	if q.Height() > q.Width() {
		q = Quad{q[1], q[2], q[3], q[0]}
	}
	// Prefer left-to-right; for near-vertical boxes top-to-bottom.
	dx, dy := q[1].X-q[0].X, q[1].Y-q[0].Y
	if dx < 0 || (math.Abs(dx) < 1e-9 && dy < 0) {
		q = q.Flip()
	}
	// P[3] must lie on the "down" side of the reading direction (clockwise
	// in image coordinates); otherwise mirror the order.
	if cross(q[0], q[1], q[3]) < 0 {
		q = Quad{q[3], q[2], q[1], q[0]}
	}
	return q
}

// expandRect grows a rectangle by d on every side.
func expandRect(q Quad, d float64) Quad {
	w, h := q.Width(), q.Height()
	if w == 0 || h == 0 {
		return q
	}
	ux, uy := (q[1].X-q[0].X)/w, (q[1].Y-q[0].Y)/w
	vx, vy := (q[3].X-q[0].X)/h, (q[3].Y-q[0].Y)/h
	mv := func(p Point, su, sv float64) Point {
		return Point{p.X + d*(su*ux+sv*vx), p.Y + d*(su*uy+sv*vy)}
	}
	return Quad{mv(q[0], -1, -1), mv(q[1], 1, -1), mv(q[2], 1, 1), mv(q[3], -1, 1)}
}

// inQuad reports whether p lies inside the convex quad.
func inQuad(q Quad, p Point) bool {
	s := 0
	for i := 0; i < 4; i++ {
		c := cross(q[i], q[(i+1)%4], p)
		switch {
		case c > 0:
			s |= 1
		case c < 0:
			s |= 2
		}
		if s == 3 {
			return false
		}
	}
	return true
}
