package liveness

import (
	"context"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/faceprint/faceprint/internal/vision/face"
)

// obs is what one frame showed.
type obs struct {
	At       int64
	Img      *image.NRGBA
	Faces    int       // faces large enough to count (see countFaces)
	HasFace  bool      // Face is valid
	Face     face.Face // the largest face
	HasEmb   bool
	Emb      face.Embedding
	EAR      float64    // mean eye aspect ratio of both eyes
	EyeOpen  float64    // mean fr_eye open probability of both eyes
	Chroma   [3]float64 // mean R, G, B of the inner face, 0…255
	Thumb    []float64  // normalised 32×24 grey thumbnail of the whole frame
	FaceSize float64    // box width / frame width
	Shape    []face.Point
	Crop     []float32 // aligned grey face crop (alignedCrop)
	NoseX    float64   // nose tip between the cheek contours along the eye axis, 0…1 (parallax)
	NoseY    float64   // nose tip between the eye line and the chin, 0…1
}

const thumbW, thumbH = 32, 24

// observe runs the face pipeline on every frame, at most e.workers at a
// time, and embeds every embedStride-th frame with a face.
func (e *Engine) observe(ctx context.Context, frames []DecodedFrame) ([]obs, error) {
	out := make([]obs, len(frames))
	// Long captures (recorded videos) run anti-spoofing on every second frame
	// and embed about 20 frames: both are judged on medians and extremes
	// that need no more, and the 10-s video target (≤ 4 s) needs the saving.
	liveStride, embedStride := 1, e.opts.EmbedStride
	if len(frames) > 40 {
		liveStride = 2
		embedStride = max(embedStride, len(frames)/20)
	}
	sem := make(chan struct{}, max(e.opts.Workers, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i := range frames {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			o, err := e.observeOne(ctx, frames[i], i%embedStride == 0, i%liveStride == 0)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			out[i] = o
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func (e *Engine) observeOne(ctx context.Context, f DecodedFrame, embed, live bool) (obs, error) {
	o := obs{At: f.AtMillis, Img: f.Image, Thumb: thumbnail(f.Image)}
	faces, err := e.face.Detect(ctx, f.Image, face.DetectOptions{
		MaxFaces: 3, Landmarks: true, Pose: true, Eyes: true, Liveness: live, Quality: true,
	})
	if err != nil {
		return o, fmt.Errorf("liveness: detect: %w", err)
	}
	big, ok := face.Largest(faces)
	if !ok {
		return o, nil
	}
	o.HasFace, o.Face = true, big
	for _, g := range faces {
		// A second face counts when it is at least 40 % as wide as the
		// largest: small faces in posters or on a badge in the background do not.
		if g.Box.Width >= 0.4*big.Box.Width {
			o.Faces++
		}
	}
	o.EAR = (big.Eyes.LeftEAR + big.Eyes.RightEAR) / 2
	o.EyeOpen = (big.Eyes.LeftOpen + big.Eyes.RightOpen) / 2
	o.FaceSize = big.Box.Width / float64(f.Image.Bounds().Dx())
	o.Chroma = innerFaceColour(f.Image, big)
	o.Shape = big.Landmarks[:]
	o.Crop = alignedCrop(f.Image, big)
	o.NoseX, o.NoseY = noseParallax(big)
	if embed {
		emb, err := e.face.Embed(ctx, f.Image, big)
		if err != nil {
			return o, fmt.Errorf("liveness: embed: %w", err)
		}
		o.HasEmb, o.Emb = true, emb
	}
	return o, nil
}

// thumbnail is a mean/std-normalised grey 32×24 thumbnail; normalising makes
// it insensitive to flashes and auto-exposure, so frame differences measure
// content change.
func thumbnail(img *image.NRGBA) []float64 {
	b := img.Bounds()
	t := make([]float64, thumbW*thumbH)
	cnt := make([]float64, thumbW*thumbH)
	// every pixel (every second one in large frames): averaging many pixels per
	// cell keeps sensor noise out of the frame differences
	step := max(1, min(b.Dx(), b.Dy())/500)
	for y := b.Min.Y; y < b.Max.Y; y += step {
		ty := (y - b.Min.Y) * thumbH / b.Dy()
		row := img.Pix[(y-b.Min.Y)*img.Stride:]
		for x := b.Min.X; x < b.Max.X; x += step {
			tx := (x - b.Min.X) * thumbW / b.Dx()
			p := row[4*(x-b.Min.X):]
			g := 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
			t[ty*thumbW+tx] += g
			cnt[ty*thumbW+tx]++
		}
	}
	var mean float64
	for i := range t {
		if cnt[i] > 0 {
			t[i] /= cnt[i]
		}
		mean += t[i]
	}
	mean /= float64(len(t))
	var sd float64
	for i := range t {
		t[i] -= mean
		sd += t[i] * t[i]
	}
	sd = math.Sqrt(sd / float64(len(t)))
	if sd < 1 {
		sd = 1
	}
	for i := range t {
		t[i] /= sd
	}
	return t
}

// thumbDiff is the mean absolute difference of two thumbnails.
func thumbDiff(a, b []float64) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.Inf(1)
	}
	var s float64
	for i := range a {
		s += math.Abs(a[i] - b[i])
	}
	return s / float64(len(a))
}

// innerFaceColour is the mean colour of the cheeks-and-nose area (between the
// eyes and the mouth, inside the jaw line), where a screen flash reflects most.
func innerFaceColour(img *image.NRGBA, f face.Face) [3]float64 {
	var r image.Rectangle
	if f.HasLandmarks {
		l := f.Landmarks
		x0, x1 := l[2].X, l[14].X
		y0 := (l[37].Y + l[44].Y) / 2
		y1 := l[51].Y
		// shrink horizontally to stay on skin
		dx := (x1 - x0) * 0.12
		r = image.Rect(int(x0+dx), int(y0+(y1-y0)*0.3), int(x1-dx), int(y1))
	} else {
		bx := f.Box
		r = image.Rect(int(bx.Left+bx.Width*0.25), int(bx.Top+bx.Height*0.4), int(bx.Left+bx.Width*0.75), int(bx.Top+bx.Height*0.75))
	}
	r = r.Intersect(img.Bounds())
	var s [3]float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		p := img.Pix[img.PixOffset(r.Min.X, y):]
		for x := 0; x < r.Dx(); x++ {
			s[0] += float64(p[4*x])
			s[1] += float64(p[4*x+1])
			s[2] += float64(p[4*x+2])
			n++
		}
	}
	if n > 0 {
		for i := range s {
			s[i] /= float64(n)
		}
	}
	return s
}

// noseParallax locates the nose tip relative to the face outline in the
// face's own frame (x along the eye axis). The nose stands out of the face:
// when a head turns it moves across the outline, when a flat picture is
// tilted it stays where it is, whatever the pose model reads from the
// foreshortening.
func noseParallax(f face.Face) (float64, float64) {
	if !f.HasLandmarks {
		return 0, 0
	}
	l := f.Landmarks
	ex, ey := f.KeyPoints[1].X-f.KeyPoints[0].X, f.KeyPoints[1].Y-f.KeyPoints[0].Y
	n := math.Hypot(ex, ey)
	if n < 1 {
		return 0, 0
	}
	ex, ey = ex/n, ey/n
	u := func(p face.Point) float64 { return p.X*ex + p.Y*ey }
	v := func(p face.Point) float64 { return -p.X*ey + p.Y*ex }
	x0, x1 := u(l[2]), u(l[14])
	eyes := (v(f.KeyPoints[0]) + v(f.KeyPoints[1])) / 2
	chin := v(l[8])
	var nx, ny float64
	if x1-x0 > 1 {
		nx = (u(l[30]) - x0) / (x1 - x0)
	}
	if chin-eyes > 1 {
		ny = (v(l[30]) - eyes) / (chin - eyes)
	}
	return nx, ny
}
