package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/idcard"
	"github.com/faceprint/faceprint/internal/idcard/cardgen"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// evalSubcommands lets other files add `faceprint eval X` (registerEval in init).
var evalSubcommands []func(*Env) *cobra.Command

func registerEval(f func(*Env) *cobra.Command) { evalSubcommands = append(evalSubcommands, f) }

func init() {
	register(newEvalCmd)
	registerEval(newEvalIDCardsCmd)
}

func newEvalCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "eval", Short: "Measure accuracy on labelled data sets"}
	for _, f := range evalSubcommands {
		cmd.AddCommand(f(env))
	}
	return cmd
}

// IDCardEval is the report of `faceprint eval idcards`.
type IDCardEval struct {
	Images        int                       `json:"images"`
	FieldImages   int                       `json:"field_images"` // images whose fields are scored (truth status normal)
	FieldExact    map[string]float64        `json:"field_exact"`  // per Baidu key
	FieldCounts   map[string][2]int         `json:"field_counts"` // [exact, total]
	AllFieldsRate float64                   `json:"all_fields_exact"`
	NumberExact   float64                   `json:"id_card_number_exact"`
	NumberTypeOK  float64                   `json:"idcard_number_type_exact"`
	StatusConf    map[string]map[string]int `json:"image_status_confusion"` // truth → got → n
	RiskConf      map[string]map[string]int `json:"risk_type_confusion"`
	ScreenRecall  float64                   `json:"screen_detected"`
	CopyRecall    float64                   `json:"copy_detected"`
	FalseAlarms   float64                   `json:"risk_false_alarms"` // screen/copy on clean captures
	DirectionOK   float64                   `json:"direction_exact"`
	Corrections   int                       `json:"checksum_corrections"`
	// Glyph check: characters changed, and how many of those changes the
	// truth contradicts.
	GlyphFixes int      `json:"glyph_corrections"`
	GlyphWrong int      `json:"glyph_corrections_wrong"`
	LatencyP50 float64  `json:"latency_p50_ms"`
	LatencyP95 float64  `json:"latency_p95_ms"`
	PeakRSSMB  float64  `json:"peak_rss_mb"`
	Misses     []string `json:"misses,omitempty"`
	// GlyphWrongs lists the glyph changes the truth contradicts.
	GlyphWrongs []string `json:"glyph_changes_contradicted,omitempty"`
}

func newEvalIDCardsCmd(env *Env) *cobra.Command {
	var (
		cfg     ocr.Config
		limit   int
		verbose bool
		dump    string
		prof    string
	)
	cmd := &cobra.Command{
		Use:   "idcards DIR",
		Short: "Read generated ID card photos (faceprint idcard generate) and score them against their truth",
		Long: `Scores field-level exact matches (on photos whose truth status is normal),
the id_card_number exact rate, idcard_number_type, image_status and risk_type
confusions, direction, latency per card side (decode + read, sequential)
and the process's peak RSS.`,
		Example: "  faceprint idcard generate --out /tmp/cards --n 300 --seed 1\n  faceprint eval idcards /tmp/cards -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			truths, err := filepath.Glob(filepath.Join(args[0], "*.jpg.json"))
			if err != nil || len(truths) == 0 {
				return fmt.Errorf("no *.jpg.json truth files in %s", args[0])
			}
			sort.Strings(truths)
			if limit > 0 && len(truths) > limit {
				truths = truths[:limit]
			}
			r, done, err := openIDCardReader(env.ModelsDir, cfg)
			if err != nil {
				return err
			}
			defer done()
			if prof != "" {
				stop, err := startCPUProfile(prof)
				if err != nil {
					return err
				}
				defer stop()
			}
			rep := &IDCardEval{FieldExact: map[string]float64{}, FieldCounts: map[string][2]int{},
				StatusConf: map[string]map[string]int{}, RiskConf: map[string]map[string]int{}}
			var lat []float64
			var allOK, allN, numOK, numN, ntOK, ntN, dirOK, dirN int
			var scr, scrN, cp, cpN, fa, faN int
			ctx := ctxOrBackground(cmd)
			var dumpF *os.File
			if dump != "" {
				if dumpF, err = os.Create(dump); err != nil {
					return err
				}
				defer dumpF.Close()
			}
			for _, tf := range truths {
				var t cardgen.Truth
				js, err := os.ReadFile(tf)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(js, &t); err != nil {
					return fmt.Errorf("%s: %w", tf, err)
				}
				data, err := os.ReadFile(strings.TrimSuffix(tf, ".json"))
				if err != nil {
					return err
				}
				start := time.Now()
				rd, err := r.ReadBytes(ctx, data, vision.DefaultLimits(), idcard.Options{
					Side: t.AskSide, Now: time.Now(), DetectRisk: true, DetectDirection: true, DetectQuality: true,
				})
				if err != nil {
					return fmt.Errorf("%s: %w", tf, err)
				}
				lat = append(lat, float64(time.Since(start).Microseconds())/1000)
				rep.Images++
				got := rd.Response
				if dumpF != nil {
					line, _ := json.Marshal(map[string]any{"file": t.File, "status": t.ImageStatus, "risk": t.RiskType, "got_status": got.ImageStatus,
						"got_risk": got.RiskType, "capture": t.Capture, "measures": rd.Measures, "timing_ms": []int64{rd.Timing.Detect.Milliseconds(), rd.Timing.Classify.Milliseconds(), rd.Timing.Recognize.Milliseconds(), rd.Millis}, "total_ms": time.Since(start).Milliseconds()})
					fmt.Fprintln(dumpF, string(line))
				}
				inc(rep.StatusConf, t.ImageStatus, got.ImageStatus)
				inc(rep.RiskConf, t.RiskType, got.RiskType)
				if rd.Correction != nil {
					rep.Corrections++
				}
				for _, g := range rd.Glyphs {
					rep.GlyphFixes++
					if want := []rune(t.Fields[g.Field]); g.Position >= len(want) || string(want[g.Position]) != g.Written {
						rep.GlyphWrong++
						rep.GlyphWrongs = append(rep.GlyphWrongs, fmt.Sprintf("%s: %s[%d] %q→%q, truth %q",
							filepath.Base(t.File), g.Field, g.Position, g.Read, g.Written, t.Fields[g.Field]))
					}
				}
				switch t.RiskType {
				case "screen":
					scrN++
					if got.RiskType == "screen" {
						scr++
					}
				case "copy":
					cpN++
					if got.RiskType == "copy" {
						cp++
					}
				case "normal":
					faN++
					if got.RiskType == "screen" || got.RiskType == "copy" {
						fa++
					}
				}
				if t.ImageStatus != "normal" {
					continue
				}
				rep.FieldImages++
				if got.Direction != nil {
					dirN++
					if *got.Direction == t.Direction {
						dirOK++
					}
				}
				all := true
				var miss []string
				for k, want := range t.Fields {
					c := rep.FieldCounts[k]
					c[1]++
					if rd.Fields[k] == want {
						c[0]++
					} else {
						all = false
						miss = append(miss, fmt.Sprintf("%s=%q want %q", k, rd.Fields[k], want))
					}
					rep.FieldCounts[k] = c
				}
				// An invalid number must not be returned at all.
				if _, want := t.Fields[idcard.KeyNumber]; !want && t.Side == "front" {
					if v, ok := rd.Fields[idcard.KeyNumber]; ok {
						all = false
						miss = append(miss, fmt.Sprintf("%s=%q want absent", idcard.KeyNumber, v))
					}
				}
				if t.Side == "front" {
					numN++
					if rd.Fields[idcard.KeyNumber] == t.Fields[idcard.KeyNumber] {
						numOK++
					}
					ntN++
					if got.IDCardNumberType != nil && *got.IDCardNumberType == t.NumberType {
						ntOK++
					} else {
						miss = append(miss, fmt.Sprintf("number_type=%v want %d", deref(got.IDCardNumberType), t.NumberType))
					}
				}
				allN++
				if all {
					allOK++
				} else {
					rep.Misses = append(rep.Misses, fmt.Sprintf("%s [%s]: %s", filepath.Base(t.File), t.Capture.Describe(), strings.Join(miss, "; ")))
				}
				if verbose && len(miss) > 0 {
					fmt.Fprintln(env.Stderr, t.File, miss)
				}
			}
			for k, c := range rep.FieldCounts {
				rep.FieldExact[k] = ratio(c[0], c[1])
			}
			rep.AllFieldsRate = ratio(allOK, allN)
			rep.NumberExact = ratio(numOK, numN)
			rep.NumberTypeOK = ratio(ntOK, ntN)
			rep.ScreenRecall = ratio(scr, scrN)
			rep.CopyRecall = ratio(cp, cpN)
			rep.FalseAlarms = ratio(fa, faN)
			rep.DirectionOK = ratio(dirOK, dirN)
			sort.Float64s(lat)
			rep.LatencyP50 = percentile(lat, 0.5)
			rep.LatencyP95 = percentile(lat, 0.95)
			rep.PeakRSSMB = peakRSSMB()
			if env.Output == "json" {
				return env.PrintJSON(rep)
			}
			printIDCardEval(env, rep)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.DetMaxSide, "det-max-side", 0, "longest side fed to the text detector (0 = engine default)")
	f.IntVar(&cfg.Threads, "threads", 0, "intra-op threads per model (0 = engine default)")
	f.IntVar(&limit, "limit", 0, "score only the first N photos")
	f.BoolVar(&verbose, "verbose", false, "print each miss as it happens")
	f.StringVar(&dump, "dump", "", "write per-photo measures and decisions as JSON lines to this file")
	f.StringVar(&prof, "cpuprofile", "", "write a Go CPU profile of the readings to this file (go tool pprof)")
	return cmd
}

func inc(m map[string]map[string]int, a, b string) {
	if m[a] == nil {
		m[a] = map[string]int{}
	}
	m[a][b]++
}

func deref(p *int) string {
	if p == nil {
		return "nil"
	}
	return strconv.Itoa(*p)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

// startCPUProfile profiles the process until the returned stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// peakRSSMB reads the process's peak resident set (VmHWM) on Linux.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

func printIDCardEval(env *Env, r *IDCardEval) {
	w := env.Stdout
	fmt.Fprintf(w, "images %d (fields scored on %d with truth status normal)\n", r.Images, r.FieldImages)
	keys := make([]string, 0, len(r.FieldExact))
	for k := range r.FieldExact {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := r.FieldCounts[k]
		fmt.Fprintf(w, "  %-8s exact %6.2f%%  (%d/%d)\n", k, 100*r.FieldExact[k], c[0], c[1])
	}
	fmt.Fprintf(w, "all fields of a card exact %.2f%%, id_card_number exact %.2f%%, idcard_number_type %.2f%%, direction %.2f%%, checksum corrections %d, glyph corrections %d (%d wrong)\n",
		100*r.AllFieldsRate, 100*r.NumberExact, 100*r.NumberTypeOK, 100*r.DirectionOK, r.Corrections, r.GlyphFixes, r.GlyphWrong)
	fmt.Fprintf(w, "risk: screen detected %.1f%%, copy detected %.1f%%, false alarms on clean %.2f%%\n", 100*r.ScreenRecall, 100*r.CopyRecall, 100*r.FalseAlarms)
	fmt.Fprintf(w, "image_status confusion (truth → got): %v\n", r.StatusConf)
	fmt.Fprintf(w, "risk_type confusion (truth → got): %v\n", r.RiskConf)
	fmt.Fprintf(w, "latency p50 %.0f ms, p95 %.0f ms; peak RSS %.0f MB\n", r.LatencyP50, r.LatencyP95, r.PeakRSSMB)
	for _, m := range r.GlyphWrongs {
		fmt.Fprintln(w, "  glyph change contradicted:", m)
	}
	for _, m := range r.Misses {
		fmt.Fprintln(w, "  miss", m)
	}
}
