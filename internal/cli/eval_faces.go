package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/vision/face"
)

func init() { registerEval(newEvalFacesCmd) }

// faceEvalReport is what `faceprint eval faces` prints.
type faceEvalReport struct {
	Dir             string        `json:"dir"`
	Mode            string        `json:"mode"` // folders or pairs
	Images          int           `json:"images"`
	Unreadable      int           `json:"unreadable"` // files that could not be read or decoded (skipped)
	UnreadableFiles []string      `json:"unreadable_files,omitempty"`
	NoFace          int           `json:"no_face"`
	FailureToDetect float64       `json:"failure_to_detect_rate"` // no face among readable images
	SkippedPairs    int           `json:"skipped_pairs"`          // pairs with an image without a face or unreadable
	Model           string        `json:"model"`
	Anchors         []face.Anchor `json:"anchors"` // the score mapping the figures use
	All             subsetReport  `json:"all"`
	// Subsets are per source (DIR/SOURCE/IDENTITY/…), plus "cross" for
	// impostor pairs of two sources; empty when DIR has one source.
	Subsets     []subsetReport     `json:"subsets,omitempty"`
	Calibration *calibrationReport `json:"calibration,omitempty"`

	// Kept for scripts reading the earlier report.
	Metrics      face.Metrics `json:"metrics"`
	GenuineAt80  float64      `json:"genuine_share_score_ge_80"`
	ImpostorAt80 int          `json:"impostor_pairs_score_ge_80"`
}

// subsetReport holds the figures of one population.
type subsetReport struct {
	Name          string         `json:"name"`
	Metrics       face.Metrics   `json:"metrics"`
	FAR           []face.RateAt  `json:"far"` // impostor pairs at score ≥ 60/70/80/90, 95 % Clopper–Pearson
	TAR           []face.RateAt  `json:"tar"` // genuine pairs at score ≥ 70/80
	TopImpostors  []pairScore    `json:"top_impostors,omitempty"`
	BottomGenuine []pairScore    `json:"bottom_genuine,omitempty"`
	Template      *templateStats `json:"template,omitempty"`
	impostor      []float64
}

type pairScore struct {
	A      string  `json:"a"`
	B      string  `json:"b"`
	Cosine float64 `json:"cosine"`
	Score  float64 `json:"score"`
}

// templateStats compare one photo with a template of several (folders
// mode, people with ≥ 3 photos): each photo in turn is the reference and the
// person's other photos the "live frames".
type templateStats struct {
	People     int         `json:"people"`
	Single     face.RateAt `json:"single"`   // every (reference, other photo) pair at score ≥ 80
	Template   face.RateAt `json:"template"` // reference vs quality-weighted template at ≥ 80
	Refused    int         `json:"refused"`  // references the comparability gates refuse
	RefusedWhy []string    `json:"refused_why,omitempty"`
	Limits     string      `json:"limits"`
}

// calibrationReport is the output of --calibrate.
type calibrationReport struct {
	Population  string        `json:"population"` // the subset the anchors were derived on
	Pairs       int           `json:"impostor_pairs"`
	Anchors     []face.Anchor `json:"anchors"`
	Unsupported []float64     `json:"unsupported_far,omitempty"`
	FeatureSHA  string        `json:"fr_feature_sha256"`
	Written     string        `json:"written,omitempty"`
}

type evalOptions struct {
	calibrate        bool
	write            string
	allowUnsupported bool
	top              int
}

func newEvalFacesCmd(env *Env) *cobra.Command {
	var opt evalOptions
	cmd := &cobra.Command{
		Use:   "faces DIR",
		Short: "Face verification accuracy: FAR/TAR with confidence intervals, templates, score calibration",
		Long: `DIR holds either one subfolder per identity (every pair within a folder is
genuine, every pair across folders an impostor pair), or one subfolder per
source with one subfolder per identity in each (figures are then reported per
source and for "cross" impostor pairs of two sources), or a pairs.csv with
lines "image_a,image_b,same" (same = 1 or 0; paths relative to DIR; a header
line is allowed). Symlinked folders are followed. Files that cannot be read
or decoded are skipped and counted.

FAR is reported at scores 60/70/80/90 with 95 % Clopper–Pearson intervals;
TAR at a FAR is marked as supported only when there are at least 1/FAR
impostor pairs. In folders mode, people with ≥ 3 photos also give the
acceptance of a quality-weighted template of their other photos.

--calibrate derives score anchors (60/70/80 at FAR 1e-2/1e-3/1e-4 with a 95 %
one-sided upper bound) from the hardest population with enough pairs;
--write FILE stores them in the form the server loads
(models/face/score_anchors.json; see docs/calibration.md).`,
		Example: "  faceprint eval faces testdata/fetched/dlib/johns\n  faceprint eval faces ~/faces --calibrate --write models/face/score_anchors.json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opt.write != "" {
				opt.calibrate = true
			}
			e, done, err := openFaceEngine(env.ModelsDir, face.Options{Workers: runtime.NumCPU()})
			if err != nil {
				return err
			}
			defer done()
			rep, err := evalFaces(cmd.Context(), e, args[0], opt)
			if err != nil {
				return err
			}
			if rep.Calibration != nil {
				sha, err := face.FeatureFileSHA256(env.ModelsDir)
				if err != nil {
					return err
				}
				rep.Calibration.FeatureSHA = sha
				if opt.write != "" && len(rep.Calibration.Unsupported) > 0 && !opt.allowUnsupported {
					// Anchors the data cannot support would label scores with
					// a FAR nobody measured: refuse unless asked explicitly.
					printFaceEval(env.Stderr, rep)
					return fmt.Errorf("not writing %s: %d impostor pairs cannot support FAR %v (use more pairs, or --allow-unsupported)",
						opt.write, rep.Calibration.Pairs, rep.Calibration.Unsupported)
				}
				if opt.write != "" {
					src := fmt.Sprintf("faceprint eval faces --calibrate: %s, population %q, %d impostor pairs", filepath.Base(filepath.Clean(args[0])), rep.Calibration.Population, rep.Calibration.Pairs)
					if err := face.WriteAnchors(opt.write, rep.Calibration.Anchors, sha, src); err != nil {
						return err
					}
					rep.Calibration.Written = opt.write
				}
			}
			if env.Output == "json" {
				return env.PrintJSON(rep)
			}
			printFaceEval(env.Stdout, rep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&opt.calibrate, "calibrate", false, "derive score anchors from the hardest population")
	cmd.Flags().StringVar(&opt.write, "write", "", "write the derived anchors to this file (implies --calibrate)")
	cmd.Flags().BoolVar(&opt.allowUnsupported, "allow-unsupported", false, "write anchors even when the pair count cannot support every FAR target")
	cmd.Flags().IntVar(&opt.top, "top", 5, "how many top impostor and bottom genuine pairs to list per population")
	return cmd
}

func printFaceEval(w io.Writer, rep *faceEvalReport) {
	fmt.Fprintf(w, "%s (%s): %d images, %d unreadable (skipped), %d without a face (FTD %.3f); model %s\n",
		rep.Dir, rep.Mode, rep.Images, rep.Unreadable, rep.NoFace, rep.FailureToDetect, rep.Model)
	for _, f := range rep.UnreadableFiles {
		fmt.Fprintf(w, "  unreadable: %s\n", f)
	}
	anchors := make([]string, 0, len(rep.Anchors))
	for _, a := range rep.Anchors {
		anchors = append(anchors, fmt.Sprintf("%.3f→%.0f", a.Cos, a.Score))
	}
	fmt.Fprintf(w, "score anchors (cosine→score): %s; skipped pairs %d\n", strings.Join(anchors, " "), rep.SkippedPairs)
	for _, s := range append([]subsetReport{rep.All}, rep.Subsets...) {
		m := s.Metrics
		fmt.Fprintf(w, "\n[%s] genuine pairs %d (min cos %.3f, median %.3f), impostor pairs %d (median %.3f, max %.3f)\n",
			s.Name, m.Genuine, m.GenuineMin, m.GenuineMedian, m.Impostor, m.ImpostorMedian, m.ImpostorMax)
		for _, r := range s.FAR {
			fmt.Fprintf(w, "  FAR at score ≥ %.0f: %d/%d = %.2e (95%% CI %.1e–%.1e)\n", r.Score, r.Count, r.N, r.Rate, r.Interval.Lo, r.Interval.Hi)
		}
		for _, r := range s.TAR {
			if r.N > 0 {
				fmt.Fprintf(w, "  TAR at score ≥ %.0f: %d/%d = %.4f (95%% CI %.4f–%.4f)\n", r.Score, r.Count, r.N, r.Rate, r.Interval.Lo, r.Interval.Hi)
			}
		}
		for _, p := range m.Points {
			note := ""
			if !p.Supported {
				note = " (too few impostor pairs: indicative only)"
			}
			fmt.Fprintf(w, "  TAR@FAR %.0e = %.4f at cosine %.3f / score %.1f%s\n", p.FAR, p.TAR, p.Cosine, p.Score, note)
		}
		if t := s.Template; t != nil {
			fmt.Fprintf(w, "  one photo vs template of the person's other photos (%d people with ≥ 3 photos, score ≥ 80):\n", t.People)
			fmt.Fprintf(w, "    single pairs %d/%d = %.4f (95%% CI %.4f–%.4f); template %d/%d = %.4f (95%% CI %.4f–%.4f); references refused by quality gates %d\n",
				t.Single.Count, t.Single.N, t.Single.Rate, t.Single.Interval.Lo, t.Single.Interval.Hi,
				t.Template.Count, t.Template.N, t.Template.Rate, t.Template.Interval.Lo, t.Template.Interval.Hi, t.Refused)
		}
		for _, p := range s.TopImpostors {
			fmt.Fprintf(w, "  top impostor   %.3f (score %.1f): %s  %s\n", p.Cosine, p.Score, p.A, p.B)
		}
		for _, p := range s.BottomGenuine {
			fmt.Fprintf(w, "  lowest genuine %.3f (score %.1f): %s  %s\n", p.Cosine, p.Score, p.A, p.B)
		}
	}
	if c := rep.Calibration; c != nil {
		fmt.Fprintf(w, "\ncalibration on %q (%d impostor pairs):", c.Population, c.Pairs)
		for _, a := range c.Anchors {
			fmt.Fprintf(w, " %.3f→%.0f", a.Cos, a.Score)
		}
		fmt.Fprintln(w)
		if len(c.Unsupported) > 0 {
			fmt.Fprintf(w, "  NOT supported by the pair count: FAR %v (anchor put just above the highest impostor pair; collect more impostor pairs)\n", c.Unsupported)
		}
		if c.Written != "" {
			fmt.Fprintf(w, "  written to %s (fr_feature %s); the server loads models/face/%s at start\n", c.Written, c.FeatureSHA, face.AnchorsFile)
		}
	}
}

type evalPair struct {
	a, b string
	same bool
}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".bmp": true, ".webp": true, ".gif": true}

// evalImage is one image of the data set and what the engine made of it.
type evalImage struct {
	path, rel, id, subset string
	emb                   *face.Embedding
	face                  face.Face
	unreadable            error
}

// isDir follows symlinks: a symlinked identity or source folder counts.
func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func listImages(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, f := range ents {
		p := filepath.Join(dir, f.Name())
		if imageExts[strings.ToLower(filepath.Ext(f.Name()))] && !isDir(p) {
			out = append(out, p)
		}
	}
	return out
}

// scanFolders reads DIR/ID/* or DIR/SOURCE/ID/* (both may mix).
func scanFolders(dir string) ([]*evalImage, error) {
	top, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var imgs []*evalImage
	add := func(subset, id string, files []string) {
		for _, p := range files {
			rel, _ := filepath.Rel(dir, p)
			imgs = append(imgs, &evalImage{path: p, rel: rel, id: filepath.Join(subset, id), subset: subset})
		}
	}
	for _, t := range top {
		p := filepath.Join(dir, t.Name())
		if !isDir(p) {
			continue
		}
		if files := listImages(p); len(files) > 0 {
			add("", t.Name(), files)
			continue
		}
		// No images directly inside: a source folder of identity folders.
		subs, _ := os.ReadDir(p)
		for _, s := range subs {
			if sp := filepath.Join(p, s.Name()); isDir(sp) {
				add(t.Name(), s.Name(), listImages(sp))
			}
		}
	}
	sort.Slice(imgs, func(i, j int) bool { return imgs[i].rel < imgs[j].rel })
	return imgs, nil
}

// readPairs reads pairs.csv; a first line whose third field is not 0/1 is
// a header.
func readPairs(dir string, f io.Reader) ([]*evalImage, []evalPair, error) {
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.Comment = '#'
	seen := map[string]*evalImage{}
	var imgs []*evalImage
	var pairs []evalPair
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("pairs.csv: %w", err)
		}
		if len(rec) < 3 {
			continue
		}
		same := strings.TrimSpace(rec[2])
		if same != "0" && same != "1" {
			if line == 1 {
				continue // header, e.g. path_a,path_b,same_identity
			}
			return nil, nil, fmt.Errorf("pairs.csv line %d: third field %q is not 0 or 1", line, rec[2])
		}
		p := evalPair{strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), same == "1"}
		pairs = append(pairs, p)
		for _, rel := range []string{p.a, p.b} {
			if seen[rel] == nil {
				im := &evalImage{path: filepath.Join(dir, rel), rel: rel, subset: subsetOf(rel)}
				seen[rel] = im
				imgs = append(imgs, im)
			}
		}
	}
	return imgs, pairs, nil
}

// subsetOf is the source of a relative path SOURCE/ID/FILE ("" otherwise).
func subsetOf(rel string) string {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if len(parts) >= 3 {
		return parts[0]
	}
	return ""
}

// evalFaces embeds each image once and scores the pairs.
func evalFaces(ctx context.Context, e *face.Engine, dir string, opt evalOptions) (*faceEvalReport, error) {
	if opt.top <= 0 {
		opt.top = 5
	}
	rep := &faceEvalReport{Dir: dir, Model: e.ModelVersion(), Anchors: face.Anchors()}
	var imgs []*evalImage
	var pairs []evalPair
	if f, err := os.Open(filepath.Join(dir, "pairs.csv")); err == nil {
		defer f.Close()
		rep.Mode = "pairs"
		if imgs, pairs, err = readPairs(dir, f); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	} else {
		rep.Mode = "folders"
		if imgs, err = scanFolders(dir); err != nil {
			return nil, err
		}
		for i := range imgs {
			for j := i + 1; j < len(imgs); j++ {
				pairs = append(pairs, evalPair{imgs[i].rel, imgs[j].rel, imgs[i].id == imgs[j].id})
			}
		}
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("%s: no images (want one subfolder per identity, or pairs.csv)", dir)
	}
	rep.Images = len(imgs)
	if err := embedAll(ctx, e, imgs); err != nil {
		return nil, err
	}
	byRel := map[string]*evalImage{}
	for _, im := range imgs {
		byRel[im.rel] = im
		switch {
		case im.unreadable != nil:
			rep.Unreadable++
			if len(rep.UnreadableFiles) < 20 {
				rep.UnreadableFiles = append(rep.UnreadableFiles, fmt.Sprintf("%s (%v)", im.rel, im.unreadable))
			}
		case im.emb == nil:
			rep.NoFace++
		}
	}
	if readable := rep.Images - rep.Unreadable; readable > 0 {
		rep.FailureToDetect = float64(rep.NoFace) / float64(readable)
	}

	// Score every pair once, into "all" and its population.
	type acc struct {
		gen, imp       []float64
		topImp, lowGen []pairScore
	}
	pops := map[string]*acc{}
	get := func(name string) *acc {
		if pops[name] == nil {
			pops[name] = &acc{}
		}
		return pops[name]
	}
	sources := map[string]bool{}
	for _, im := range imgs {
		sources[im.subset] = true
	}
	for _, p := range pairs {
		a, b := byRel[p.a], byRel[p.b]
		if a.emb == nil || b.emb == nil {
			rep.SkippedPairs++
			continue
		}
		c := face.Cosine(*a.emb, *b.emb)
		ps := pairScore{A: a.rel, B: b.rel, Cosine: c, Score: face.Score(c)}
		names := []string{"all"}
		if len(sources) > 1 {
			pop := a.subset
			if a.subset != b.subset {
				pop = "cross"
			}
			if pop == "" {
				pop = "(top level)"
			}
			names = append(names, pop)
		}
		for _, n := range names {
			x := get(n)
			if p.same {
				x.gen = append(x.gen, c)
				x.lowGen = keepExtreme(x.lowGen, ps, opt.top, false)
			} else {
				x.imp = append(x.imp, c)
				x.topImp = keepExtreme(x.topImp, ps, opt.top, true)
			}
		}
	}
	build := func(name string) subsetReport {
		x := get(name)
		return subsetReport{
			Name: name, Metrics: face.ComputeMetrics(x.gen, x.imp),
			FAR: face.RatesAt(x.imp, 60, 70, 80, 90), TAR: face.RatesAt(x.gen, 70, 80),
			TopImpostors: x.topImp, BottomGenuine: x.lowGen, impostor: x.imp,
		}
	}
	rep.All = build("all")
	if rep.Mode == "folders" {
		rep.All.Template = templateEval(imgs, func(*evalImage) bool { return true })
	}
	if len(sources) > 1 {
		names := make([]string, 0, len(pops))
		for n := range pops {
			if n != "all" {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			s := build(n)
			if rep.Mode == "folders" && n != "cross" {
				src := n
				if src == "(top level)" {
					src = ""
				}
				s.Template = templateEval(imgs, func(im *evalImage) bool { return im.subset == src })
			}
			rep.Subsets = append(rep.Subsets, s)
		}
	}
	rep.Metrics = rep.All.Metrics
	rep.GenuineAt80 = rep.All.TAR[1].Rate
	rep.ImpostorAt80 = rep.All.FAR[2].Count
	if opt.calibrate {
		rep.Calibration = calibrate(rep)
	}
	return rep, nil
}

// embedAll embeds the largest face of every image on the engine's workers.
// Unreadable files are recorded on the image, not fatal: one GIF named .jpg
// must not stop a sweep of thousands of photos.
func embedAll(ctx context.Context, e *face.Engine, imgs []*evalImage) error {
	var mu sync.Mutex
	var firstErr error
	work := make(chan *evalImage)
	var wg sync.WaitGroup
	for w := 0; w < max(1, e.Workers()); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for im := range work {
				f, err := readImage(im.path)
				if err != nil {
					im.unreadable = err
					continue
				}
				r, err := e.LargestWith(ctx, f.img, face.DetectOptions{Quality: true, Pose: true})
				switch {
				case err == nil:
					im.emb, im.face = &r.Embedding, r.Face
				case errors.Is(err, face.ErrNoFace):
				default:
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", im.rel, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, im := range imgs {
		work <- im
	}
	close(work)
	wg.Wait()
	return firstErr
}

// keepExtreme keeps the n highest (top) or lowest cosines.
func keepExtreme(list []pairScore, p pairScore, n int, top bool) []pairScore {
	list = append(list, p)
	sort.Slice(list, func(i, j int) bool {
		if top {
			return list[i].Cosine > list[j].Cosine
		}
		return list[i].Cosine < list[j].Cosine
	})
	if len(list) > n {
		list = list[:n]
	}
	return list
}

// templateEval measures, for people with ≥ 3 embedded photos, each photo
// against every other photo (single) and against the quality-weighted
// template of the others (what FaceMatcher.MatchFrames does with live
// frames), at score ≥ 80. Photos the comparability gates refuse are left
// out of templates; refused references are counted, not scored.
func templateEval(imgs []*evalImage, in func(*evalImage) bool) *templateStats {
	by := map[string][]*evalImage{}
	for _, im := range imgs {
		if im.emb != nil && in(im) {
			by[im.id] = append(by[im.id], im)
		}
	}
	t := &templateStats{Limits: fmt.Sprintf("%+v", face.DefaultCompareLimits)}
	thr := face.CosineForScore(80)
	var sk, sn, tk, tn int
	for _, g := range by {
		if len(g) < 3 {
			continue
		}
		t.People++
		for i, ref := range g {
			var embs []face.Embedding
			var ws []float64
			for j, o := range g {
				if j == i {
					continue
				}
				sn++
				if face.Cosine(*ref.emb, *o.emb) >= thr {
					sk++
				}
				if face.CheckComparable(o.face, face.DefaultCompareLimits, true).OK() {
					embs, ws = append(embs, *o.emb), append(ws, face.FrameWeight(o.face))
				}
			}
			if is := face.CheckComparable(ref.face, face.DefaultCompareLimits, false); !is.OK() || len(embs) == 0 {
				t.Refused++
				if len(t.RefusedWhy) < 10 {
					t.RefusedWhy = append(t.RefusedWhy, ref.rel+": "+is.Reason)
				}
				continue
			}
			tn++
			if face.Cosine(*ref.emb, face.Template(embs, ws)) >= thr {
				tk++
			}
		}
	}
	if t.People == 0 {
		return nil
	}
	rate := func(k, n int) face.RateAt {
		r := face.RateAt{Score: 80, Count: k, N: n, Interval: face.ClopperPearson(k, n, 0.95)}
		if n > 0 {
			r.Rate = float64(k) / float64(n)
		}
		return r
	}
	t.Single, t.Template = rate(sk, sn), rate(tk, tn)
	return t
}

// calibrate derives anchors on the hardest population: the one whose
// derived 80 anchor is highest among those with enough impostor pairs for
// FAR 1e-4, else (none has enough) the hardest of all, flagged unsupported.
func calibrate(rep *faceEvalReport) *calibrationReport {
	cands := append([]subsetReport{rep.All}, rep.Subsets...)
	var best *calibrationReport
	bestSupported := false
	for _, s := range cands {
		if len(s.impostor) == 0 {
			continue
		}
		a, unsupported := face.DeriveAnchors(s.impostor)
		supported := len(unsupported) == 0
		c := &calibrationReport{Population: s.Name, Pairs: len(s.impostor), Anchors: a, Unsupported: unsupported}
		switch {
		case best == nil,
			supported && !bestSupported,
			supported == bestSupported && a[4].Cos > best.Anchors[4].Cos:
			best, bestSupported = c, supported
		}
	}
	return best
}
