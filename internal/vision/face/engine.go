package face

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/faceprint/faceprint/internal/vision"
)

// Model files under modelsDir/face (scripts/fetch-models.sh, models.lock).
const (
	fileDetect   = "fr_detect.onnx"
	fileLandmark = "fr_landmark.onnx"
	fileFeature  = "fr_feature.onnx"
	fileLiveness = "fr_liveness.onnx"
	fileEye      = "fr_eye.onnx"
	filePose     = "fr_pose.onnx"
)

const (
	detW, detH = 320, 240
	alignSize  = 112
)

// arcfaceRef are the ArcFace 112×112 reference positions of the five key points.
var arcfaceRef = []Point{
	{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041},
}

// Engine runs the face models. It is safe for concurrent use.
type Engine struct {
	gate                                       *vision.Gate
	detect, landmark, feature, live, eye, pose *vision.Model
	closeOnce                                  sync.Once
	version                                    string // ModelVersion, or what replaced it
}

// Open loads the face models from modelsDir/face. The runtime must stay
// open while the engine is used. Missing files give an error wrapping
// vision.ErrNotInstalled.
func Open(rt *vision.Runtime, modelsDir string, opts Options) (*Engine, error) {
	if rt == nil {
		return nil, errors.New("face: nil runtime")
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.Queue <= 0 {
		opts.Queue = 2 * time.Second
	}
	dir := filepath.Join(modelsDir, "face")
	e := &Engine{gate: vision.NewGate(opts.Workers, opts.Queue)}
	load := func(dst **vision.Model, file string, in vision.IO, outs ...vision.IO) error {
		m, err := rt.Load(filepath.Join(dir, file), vision.ModelSpec{Inputs: []vision.IO{in}, Outputs: outs, Threads: opts.Threads})
		if err != nil {
			return err
		}
		*dst = m
		return nil
	}
	steps := []func() error{
		func() error {
			return load(&e.detect, fileDetect, vision.IO{Name: "input", Shape: []int64{1, 3, detH, detW}},
				vision.IO{Name: "scores", Shape: []int64{1, 4420, 2}}, vision.IO{Name: "boxes", Shape: []int64{1, 4420, 4}})
		},
		func() error {
			return load(&e.landmark, fileLandmark, vision.IO{Name: "input", Shape: []int64{1, 1, 64, 64}},
				vision.IO{Name: "output", Shape: []int64{1, 136}})
		},
		func() error {
			return load(&e.feature, fileFeature, vision.IO{Name: "input", Shape: []int64{1, 3, alignSize, alignSize}},
				vision.IO{Name: "output", Shape: []int64{1, EmbeddingSize}})
		},
	}
	if !opts.SkipLiveness {
		steps = append(steps, func() error {
			return load(&e.live, fileLiveness, vision.IO{Name: "input", Shape: []int64{1, 3, 128, 128}},
				vision.IO{Name: "output", Shape: []int64{1, 3}})
		})
	}
	if !opts.SkipEyes {
		steps = append(steps, func() error {
			return load(&e.eye, fileEye, vision.IO{Name: "input", Shape: []int64{1, 1, 24, 24}},
				vision.IO{Name: "output", Shape: []int64{1, 2}})
		})
	}
	if !opts.SkipPose {
		steps = append(steps, func() error {
			return load(&e.pose, filePose, vision.IO{Name: "input", Shape: []int64{1, 3, 224, 224}},
				vision.IO{Name: "output", Shape: []int64{1, 66}}, vision.IO{Name: "617", Shape: []int64{1, 66}}, vision.IO{Name: "618", Shape: []int64{1, 66}})
		})
	}
	for _, step := range steps {
		if err := step(); err != nil {
			e.Close()
			return nil, fmt.Errorf("face: %w", err)
		}
	}
	v, err := loadCalibration(dir, opts.AnchorsFile)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("face: %w", err)
	}
	e.version = v
	return e, nil
}

// FeatureSHA256 is the sha256 of the shipped fr_feature.onnx (models.lock),
// the weights DefaultAnchors were measured on.
const FeatureSHA256 = "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"

// loadCalibration installs the score anchors for the fr_feature weights in
// dir: the anchors file (explicit, or dir/score_anchors.json when present)
// when there is one, else DefaultAnchors. Anchors only mean something for
// the weights they were measured on, so a file written for other weights
// is an error, and other weights without a file are labelled
// "uncalibrated" in every result's model version.
func loadCalibration(dir, file string) (version string, err error) {
	sha, err := fileSHA256(filepath.Join(dir, fileFeature))
	if err != nil {
		return "", err
	}
	explicit := file != ""
	if !explicit {
		file = filepath.Join(dir, AnchorsFile)
	}
	if _, statErr := os.Stat(file); statErr == nil || explicit {
		if err := LoadAnchors(file, sha); err != nil {
			return "", err
		}
		return fmt.Sprintf("fr_feature-%s/cal-custom", sha[:12]), nil
	}
	ResetAnchors()
	if sha != FeatureSHA256 {
		return fmt.Sprintf("fr_feature-%s/uncalibrated", sha[:12]), nil
	}
	return ModelVersion, nil
}

// FeatureFileSHA256 is the sha256 of the fr_feature weights under
// modelsDir/face (what calibration output is tied to).
func FeatureFileSHA256(modelsDir string) (string, error) {
	return fileSHA256(filepath.Join(modelsDir, "face", fileFeature))
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Close releases the models.
func (e *Engine) Close() error {
	if e == nil {
		return nil
	}
	var errs []error
	e.closeOnce.Do(func() {
		for _, m := range []*vision.Model{e.detect, e.landmark, e.feature, e.live, e.eye, e.pose} {
			if m != nil {
				if err := m.Close(); err != nil {
					errs = append(errs, err)
				}
			}
		}
	})
	return errors.Join(errs...)
}

// ModelVersion names the models in use, for results and checks.
func (e *Engine) ModelVersion() string {
	if e.version == "" {
		return ModelVersion
	}
	return e.version
}

// ModelVersion is the version string of the face models (package@version/calibration).
const ModelVersion = "faceplugin-face-recognition-js@0.0.1/cal-2"

// Workers is how many face jobs may run at once.
func (e *Engine) Workers() int { return e.gate.Workers() }

// Detect finds faces in img, largest first, at most opts.MaxFaces, and
// measures what opts asks for on each. It returns vision.ErrBusy when no
// worker frees up in time. No face is not an error: the slice is empty.
func (e *Engine) Detect(ctx context.Context, img *image.NRGBA, opts DetectOptions) ([]Face, error) {
	var faces []Face
	err := e.gate.Do(ctx, func(ctx context.Context) error {
		var err error
		faces, err = e.detectFaces(ctx, img, opts)
		return err
	})
	return faces, err
}

// Embed computes the embedding of face f of img (landmarks are computed when
// f has none).
func (e *Engine) Embed(ctx context.Context, img *image.NRGBA, f Face) (Embedding, error) {
	var emb Embedding
	err := e.gate.Do(ctx, func(ctx context.Context) error {
		if !f.HasLandmarks {
			if err := e.landmarks(ctx, img, &f); err != nil {
				return err
			}
		}
		var err error
		emb, err = e.embed(ctx, img, &f)
		return err
	})
	return emb, err
}

// Compare embeds the largest face of each image and scores them. It returns
// an error wrapping ErrNoFace when either image has no face.
func (e *Engine) Compare(ctx context.Context, a, b *image.NRGBA) (CompareResult, error) {
	start := time.Now()
	type side struct {
		face Face
		emb  Embedding
		err  error
	}
	var sides [2]side
	var wg sync.WaitGroup
	for i, img := range []*image.NRGBA{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &sides[i]
			s.err = e.gate.Do(ctx, func(ctx context.Context) error {
				f, emb, err := e.largestEmbedding(ctx, img, DetectOptions{Quality: true})
				s.face, s.emb = f, emb
				return err
			})
		}()
	}
	wg.Wait()
	for i, s := range sides {
		if s.err != nil {
			return CompareResult{}, fmt.Errorf("image %d: %w", i+1, s.err)
		}
	}
	cos := Cosine(sides[0].emb, sides[1].emb)
	return CompareResult{
		Score: Score(cos), Cosine: cos, A: sides[0].face, B: sides[1].face,
		Millis: time.Since(start).Milliseconds(),
	}, nil
}

// FaceEmbedding is a face with its embedding.
type FaceEmbedding struct {
	Face      Face
	Embedding Embedding
}

// Largest detects the largest face of img (with landmarks and quality) and
// embeds it in one worker slot. It returns ErrNoFace when there is none.
func (e *Engine) Largest(ctx context.Context, img *image.NRGBA) (FaceEmbedding, error) {
	return e.LargestWith(ctx, img, DetectOptions{Landmarks: true, Quality: true})
}

// LargestWith is Largest measuring what opts asks for (MaxFaces is ignored;
// landmarks are always computed).
func (e *Engine) LargestWith(ctx context.Context, img *image.NRGBA, opts DetectOptions) (FaceEmbedding, error) {
	var r FaceEmbedding
	err := e.gate.Do(ctx, func(ctx context.Context) error {
		var err error
		r.Face, r.Embedding, err = e.largestEmbedding(ctx, img, opts)
		return err
	})
	return r, err
}

func (e *Engine) largestEmbedding(ctx context.Context, img *image.NRGBA, opts DetectOptions) (Face, Embedding, error) {
	opts.MaxFaces, opts.Landmarks = 1, true
	faces, err := e.detectFaces(ctx, img, opts)
	if err != nil {
		return Face{}, Embedding{}, err
	}
	if len(faces) == 0 {
		return Face{}, Embedding{}, ErrNoFace
	}
	f := faces[0]
	emb, err := e.embed(ctx, img, &f)
	return f, emb, err
}

// Largest returns the face with the largest box, and false when faces is empty.
func Largest(faces []Face) (Face, bool) {
	if len(faces) == 0 {
		return Face{}, false
	}
	best := faces[0]
	for _, f := range faces[1:] {
		if f.Box.Area() > best.Box.Area() {
			best = f
		}
	}
	return best, true
}

func (e *Engine) detectFaces(ctx context.Context, img *image.NRGBA, opts DetectOptions) ([]Face, error) {
	if img == nil || img.Rect.Dx() < 2 || img.Rect.Dy() < 2 {
		return nil, nil
	}
	if opts.MaxFaces <= 0 {
		opts.MaxFaces = 1
	}
	if opts.Eyes || opts.Quality {
		opts.Landmarks = true
	}
	boxes, err := e.detectBoxes(ctx, img, opts)
	if err != nil {
		return nil, err
	}
	if len(boxes) > opts.MaxFaces {
		boxes = boxes[:opts.MaxFaces]
	}
	faces := make([]Face, len(boxes))
	for i, b := range boxes {
		f := &faces[i]
		f.Box, f.Score = b.box, b.score
		if opts.Landmarks {
			if err := e.landmarks(ctx, img, f); err != nil {
				return nil, err
			}
		}
		if opts.Eyes && e.eye != nil {
			if err := e.eyes(ctx, img, f); err != nil {
				return nil, err
			}
		}
		if opts.Pose && e.pose != nil {
			if err := e.headPose(ctx, img, f); err != nil {
				return nil, err
			}
		}
		if opts.Liveness && e.live != nil {
			if err := e.liveness(ctx, img, f); err != nil {
				return nil, err
			}
		}
		if opts.Quality {
			e.quality(img, f)
		}
	}
	return faces, nil
}

type scoredBox struct {
	box   Box
	score float64
}

// detectBoxes runs fr_detect on the whole image, letterboxed to 320×240
// (keeping the aspect ratio), then thresholds and applies hard NMS.
func (e *Engine) detectBoxes(ctx context.Context, img *image.NRGBA, opts DetectOptions) ([]scoredBox, error) {
	minScore := opts.MinScore
	if minScore <= 0 {
		minScore = 0.7
	}
	minSize := float64(opts.MinSize)
	if minSize <= 0 {
		minSize = 20
	}
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	scale := math.Min(detW/w, detH/h)
	cw, ch := int(math.Round(w*scale)), int(math.Round(h*scale))
	cw, ch = max(1, min(cw, detW)), max(1, min(ch, detH))
	small := cropResize(img, float64(img.Rect.Min.X), float64(img.Rect.Min.Y), w, h, cw, ch)
	in := make([]float32, 3*detW*detH)
	// Padding stays 0, which is mid-grey after (x−127)/128.
	plane := detW * detH
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			p := (y*cw + x) * 3
			o := y*detW + x
			in[o] = (float32(small.Pix[p]) - 127) / 128
			in[plane+o] = (float32(small.Pix[p+1]) - 127) / 128
			in[2*plane+o] = (float32(small.Pix[p+2]) - 127) / 128
		}
	}
	out, err := e.detect.Run(ctx, vision.Tensor{Shape: []int64{1, 3, detH, detW}, Data: in})
	if err != nil {
		return nil, err
	}
	scores, boxes := out[0].Data, out[1].Data
	var cands []scoredBox
	for i := 0; i < len(scores)/2; i++ {
		s := float64(scores[i*2+1])
		if s < minScore {
			continue
		}
		// Boxes are corner form, normalised to the 320×240 input.
		x1 := float64(boxes[i*4]) * detW / scale
		y1 := float64(boxes[i*4+1]) * detH / scale
		x2 := float64(boxes[i*4+2]) * detW / scale
		y2 := float64(boxes[i*4+3]) * detH / scale
		x1, y1 = math.Max(x1, -0.25*(x2-x1)), math.Max(y1, -0.25*(y2-y1))
		x2, y2 = math.Min(x2, w+0.25*(x2-x1)), math.Min(y2, h+0.25*(y2-y1))
		if x2-x1 < 2 || y2-y1 < 2 {
			continue
		}
		cands = append(cands, scoredBox{Box{x1 + float64(img.Rect.Min.X), y1 + float64(img.Rect.Min.Y), x2 - x1, y2 - y1}, s})
	}
	kept := nms(cands, 0.3)
	res := kept[:0]
	for _, b := range kept {
		if math.Min(b.box.Width, b.box.Height) >= minSize {
			res = append(res, b)
		}
	}
	sort.SliceStable(res, func(i, j int) bool { return res[i].box.Area() > res[j].box.Area() })
	return res, nil
}

// nms keeps the highest-scoring boxes, dropping any box whose IoU with a
// kept box exceeds thr.
func nms(c []scoredBox, thr float64) []scoredBox {
	sort.Slice(c, func(i, j int) bool { return c[i].score > c[j].score })
	var kept []scoredBox
	for _, b := range c {
		ok := true
		for _, k := range kept {
			if iou(b.box, k.box) > thr {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, b)
		}
	}
	return kept
}

func iou(a, b Box) float64 {
	x1, y1 := math.Max(a.Left, b.Left), math.Max(a.Top, b.Top)
	x2, y2 := math.Min(a.Left+a.Width, b.Left+b.Width), math.Min(a.Top+a.Height, b.Top+b.Height)
	if x2 <= x1 || y2 <= y1 {
		return 0
	}
	in := (x2 - x1) * (y2 - y1)
	return in / (a.Area() + b.Area() - in)
}

// landmarks runs fr_landmark on the face box (grey, 64×64, /256) and fills
// the 68 points, the 5 key points, the eye aspect ratios and mouth opening.
func (e *Engine) landmarks(ctx context.Context, img *image.NRGBA, f *Face) error {
	b := f.Box
	crop := cropResize(img, b.Left, b.Top, b.Width, b.Height, 64, 64)
	g := crop.grey()
	for i := range g {
		g[i] /= 256
	}
	out, err := e.landmark.Run(ctx, vision.Tensor{Shape: []int64{1, 1, 64, 64}, Data: g})
	if err != nil {
		return err
	}
	d := out[0].Data
	for i := 0; i < 68; i++ {
		f.Landmarks[i] = Point{b.Left + float64(d[2*i])*b.Width, b.Top + float64(d[2*i+1])*b.Height}
	}
	L := f.Landmarks
	mean := func(idx ...int) Point {
		var p Point
		for _, i := range idx {
			p.X += L[i].X
			p.Y += L[i].Y
		}
		return Point{p.X / float64(len(idx)), p.Y / float64(len(idx))}
	}
	f.KeyPoints = [5]Point{mean(37, 38, 40, 41), mean(43, 44, 46, 47), L[30], mean(48, 60), mean(54, 64)}
	f.HasLandmarks = true
	f.Eyes.LeftEAR = ear(L[42], L[43], L[44], L[45], L[46], L[47])
	f.Eyes.RightEAR = ear(L[36], L[37], L[38], L[39], L[40], L[41])
	gap := (dist(L[61], L[67]) + dist(L[62], L[66]) + dist(L[63], L[65])) / 3
	if b.Height > 0 {
		f.MouthOpen = gap / b.Height
	}
	return nil
}

func dist(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// ear is the eye aspect ratio of the six eye landmarks p1…p6.
func ear(p1, p2, p3, p4, p5, p6 Point) float64 {
	w := dist(p1, p4)
	if w == 0 {
		return 0
	}
	return (dist(p2, p6) + dist(p3, p5)) / (2 * w)
}

// aligned warps the face onto the ArcFace 112×112 template.
func aligned(img *image.NRGBA, f *Face) rgbBuf {
	t := similarity(f.KeyPoints[:], arcfaceRef)
	return warp(img, t.invert(), alignSize, alignSize)
}

func (e *Engine) embed(ctx context.Context, img *image.NRGBA, f *Face) (Embedding, error) {
	a := aligned(img, f)
	in := a.chw([3]float32{127, 127, 127}, [3]float32{128, 128, 128}, false)
	out, err := e.feature.Run(ctx, vision.Tensor{Shape: []int64{1, 3, alignSize, alignSize}, Data: in})
	if err != nil {
		return Embedding{}, err
	}
	var emb Embedding
	var n float64
	for i, v := range out[0].Data[:EmbeddingSize] {
		emb[i] = v
		n += float64(v) * float64(v)
	}
	if n == 0 || math.IsNaN(n) {
		return Embedding{}, errors.New("face: degenerate embedding")
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range emb {
		emb[i] *= inv
	}
	return emb, nil
}

// liveness runs fr_liveness on the box ×2.7 around its centre (scale kept
// uniform and reduced to fit the image), raw 0–255 BGR; index 0 = live.
func (e *Engine) liveness(ctx context.Context, img *image.NRGBA, f *Face) error {
	b := f.Box
	iw, ih := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	s := math.Min(2.7, math.Min((ih-1)/b.Height, (iw-1)/b.Width))
	nw, nh := b.Width*s, b.Height*s
	c := b.Center()
	x0, y0 := c.X-nw/2, c.Y-nh/2
	// Shift the window inside the image, as the reference code does.
	x0 = math.Max(float64(img.Rect.Min.X), math.Min(x0, float64(img.Rect.Max.X)-1-nw))
	y0 = math.Max(float64(img.Rect.Min.Y), math.Min(y0, float64(img.Rect.Max.Y)-1-nh))
	crop := cropResize(img, x0, y0, nw, nh, 128, 128)
	in := crop.chw([3]float32{}, [3]float32{1, 1, 1}, true)
	out, err := e.live.Run(ctx, vision.Tensor{Shape: []int64{1, 3, 128, 128}, Data: in})
	if err != nil {
		return err
	}
	p := softmax(out[0].Data[:3])
	f.Spoof = [3]float64{p[0], p[1], p[2]}
	f.Live = p[0]
	f.HasLive = true
	return nil
}

// eyes runs fr_eye on square crops (1.6 × eye width) around each eye.
func (e *Engine) eyes(ctx context.Context, img *image.NRGBA, f *Face) error {
	L := f.Landmarks
	open := func(corner1, corner2 int, centre Point) (float64, error) {
		size := math.Max(2, math.Abs(L[corner2].X-L[corner1].X)*1.6)
		crop := cropResize(img, centre.X-size/2, centre.Y-size/2, size, size, 24, 24)
		g := crop.grey()
		for i := range g {
			g[i] /= 255
		}
		out, err := e.eye.Run(ctx, vision.Tensor{Shape: []int64{1, 1, 24, 24}, Data: g})
		if err != nil {
			return 0, err
		}
		return softmax(out[0].Data[:2])[eyeOpenIndex], nil
	}
	var err error
	// Image-left eye (points 36–41) is the subject's right eye.
	if f.Eyes.RightOpen, err = open(36, 39, f.KeyPoints[0]); err != nil {
		return err
	}
	if f.Eyes.LeftOpen, err = open(42, 45, f.KeyPoints[1]); err != nil {
		return err
	}
	f.HasEyes = true
	return nil
}

// eyeOpenIndex is the fr_eye softmax class meaning "open" (measured on open-eyed photos; see tests).
const eyeOpenIndex = 1

// headPose runs fr_pose on the box enlarged by a quarter on each side.
func (e *Engine) headPose(ctx context.Context, img *image.NRGBA, f *Face) error {
	b := f.Box
	x0, y0 := b.Left-b.Width/4, b.Top-b.Height/4
	r := image.Rect(int(x0), int(y0), int(x0+b.Width*1.5), int(y0+b.Height*1.5)).Intersect(img.Rect)
	if r.Empty() {
		return nil
	}
	crop := cropResize(img, float64(r.Min.X), float64(r.Min.Y), float64(r.Dx()), float64(r.Dy()), 224, 224)
	in := crop.chw([3]float32{0.485 * 255, 0.456 * 255, 0.406 * 255}, [3]float32{0.229 * 255, 0.224 * 255, 0.225 * 255}, false)
	out, err := e.pose.Run(ctx, vision.Tensor{Shape: []int64{1, 3, 224, 224}, Data: in})
	if err != nil {
		return err
	}
	angle := func(v []float32) float64 {
		p := softmax(v[:66])
		var s float64
		for i, x := range p {
			s += x * float64(i)
		}
		return s*3 - 99
	}
	f.Pose = Pose{Yaw: angle(out[0].Data), Pitch: angle(out[1].Data), Roll: angle(out[2].Data)}
	f.HasPose = true
	return nil
}

// quality fills size, blur, brightness and completeness from the aligned face.
func (e *Engine) quality(img *image.NRGBA, f *Face) {
	b := f.Box
	q := Quality{Size: math.Min(b.Width, b.Height)}
	a := aligned(img, f)
	g := a.grey()
	// Mean, contrast and sharpness over the central face region (eyes to
	// mouth), which stays inside the image even when the face touches its edge.
	centre := image.Rect(30, 40, 82, 100)
	var s, s2 float64
	n := 0
	for y := centre.Min.Y; y < centre.Max.Y; y++ {
		for x := centre.Min.X; x < centre.Max.X; x++ {
			v := float64(g[y*alignSize+x])
			s += v
			s2 += v * v
			n++
		}
	}
	q.Brightness = s / float64(n)
	std := math.Sqrt(math.Max(0, s2/float64(n)-q.Brightness*q.Brightness))
	// The Laplacian variance scales with contrast²: normalise to a face
	// contrast of 40 grey levels so that dim or flat light does not read as blur.
	q.Sharpness = laplacianVar(g, alignSize, alignSize, centre) * math.Pow(40/math.Max(std, 4), 2)
	q.Blur = blurFromSharpness(q.Sharpness)
	vis := b.Rect().Intersect(img.Rect)
	if b.Area() > 0 {
		q.Completeness = math.Min(1, float64(vis.Dx()*vis.Dy())/b.Area())
	}
	f.Quality = q
	f.HasQuality = true
}

// blurFromSharpness maps the variance of the Laplacian of the aligned face
// (contrast-normalised) to Baidu's blur scale, log-linear from 0 at ≥ 400
// (sharp photos measure 200–5000) to 1 at ≤ 40 (a 9-px box blur of a
// 160-px face measures ~75). See docs/calibration.md.
func blurFromSharpness(v float64) float64 {
	const sharp, blurry = 400.0, 40.0
	switch {
	case v >= sharp:
		return 0
	case v <= blurry:
		return 1
	}
	return (math.Log(sharp) - math.Log(v)) / (math.Log(sharp) - math.Log(blurry))
}
