package liveness

import (
	"image"
	"math"

	"github.com/faceprint/faceprint/internal/vision/face"
)

// cropSide is the side of the aligned grey face crop used to compare
// appearance between frames: small, so landmark jitter of a pixel or two
// at full resolution does not register as change.
const cropSide = 32

// canonical five key points (ArcFace layout) scaled to cropSide.
var canonical = func() [5]face.Point {
	xy := [5][2]float64{{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041}}
	var ref [5]face.Point
	for i, p := range xy {
		ref[i] = face.Point{X: p[0] * cropSide / 112, Y: p[1] * cropSide / 112}
	}
	return ref
}()

// canonicalSimilarity is the similarity mapping the canonical key points
// onto the face's (least squares): x' = a·x − b·y + c, y' = b·x + a·y + d.
func canonicalSimilarity(f face.Face) (a, b, c, d float64, ok bool) {
	var mcx, mcy, mix, miy float64
	for i := range 5 {
		mcx += canonical[i].X / 5
		mcy += canonical[i].Y / 5
		mix += f.KeyPoints[i].X / 5
		miy += f.KeyPoints[i].Y / 5
	}
	var n1, n2, den float64
	for i := range 5 {
		x, y := canonical[i].X-mcx, canonical[i].Y-mcy
		u, v := f.KeyPoints[i].X-mix, f.KeyPoints[i].Y-miy
		n1 += x*u + y*v
		n2 += x*v - y*u
		den += x*x + y*y
	}
	if den == 0 {
		return 0, 0, 0, 0, false
	}
	a, b = n1/den, n2/den
	return a, b, mix - (a*mcx - b*mcy), miy - (b*mcx + a*mcy), true
}

// alignedCrop samples the face into a cropSide² grey patch through the
// similarity that maps the canonical points onto the face's key points,
// normalised to zero mean and unit deviation (insensitive to exposure).
func alignedCrop(img *image.NRGBA, f face.Face) []float32 {
	a, b, c, d, ok := canonicalSimilarity(f)
	if !ok {
		return nil
	}
	out := make([]float32, cropSide*cropSide)
	bw, bh := img.Bounds().Dx(), img.Bounds().Dy()
	// sample a 2×2 grid per output pixel: a cheap low-pass against aliasing
	var sum, sq float64
	outside := 0
	for y := range cropSide {
		for x := range cropSide {
			v := 0.0
			for _, o := range [4][2]float64{{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}} {
				cx, cy := float64(x)+o[0], float64(y)+o[1]
				sx, sy := a*cx-b*cy+c, b*cx+a*cy+d
				ix, iy := int(sx), int(sy)
				if ix < 0 || iy < 0 || ix >= bw || iy >= bh {
					outside++
					continue
				}
				p := img.Pix[iy*img.Stride+4*ix:]
				v += 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
			}
			v /= 4
			out[y*cropSide+x] = float32(v)
			sum += v
			sq += v * v
		}
	}
	if outside > 0 { // a face cut by the frame edge is not compared
		return nil
	}
	n := float64(len(out))
	mean := sum / n
	sd := math.Sqrt(max(sq/n-mean*mean, 1))
	for i := range out {
		out[i] = float32((float64(out[i]) - mean) / sd)
	}
	return out
}

// cropDiff compares two aligned crops at half resolution (16×16, each value
// the mean of 2×2), over the inner face (the corners hold background, which
// a moving picture changes), at the best relative shift of up to one
// half-resolution pixel. Landmark jitter misaligns the crops by a pixel or
// two and a degree or two, which must not count as change; a turned head or
// a changed expression changes the coarse picture too.
func cropDiff(p, q []float32) float64 {
	if len(p) != len(q) || len(p) == 0 {
		return 0
	}
	const h = cropSide / 2
	half := func(c []float32) []float32 {
		out := make([]float32, h*h)
		for y := range h {
			for x := range h {
				out[y*h+x] = (c[2*y*cropSide+2*x] + c[2*y*cropSide+2*x+1] + c[(2*y+1)*cropSide+2*x] + c[(2*y+1)*cropSide+2*x+1]) / 4
			}
		}
		return out
	}
	a, b := half(p), half(q)
	best := math.Inf(1)
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			var s float64
			n := 0
			for y := 2; y < h-1; y++ {
				for x := 3; x < h-3; x++ {
					s += math.Abs(float64(a[y*h+x] - b[(y+dy)*h+x+dx]))
					n++
				}
			}
			best = min(best, s/float64(n))
		}
	}
	return best
}
