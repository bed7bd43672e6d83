package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

func init() { registerEval(newEvalOCRTextCmd) }

// printedForms are the truth values as printed on the card, which any OCR
// engine's raw text must contain.
func printedForms(t cardgen.Truth) []string {
	var out []string
	f := t.Fields
	for _, k := range []string{idcard.KeyName, idcard.KeyAddress, idcard.KeyNumber, idcard.KeyAuthority} {
		if v := f[k]; v != "" {
			out = append(out, v)
		}
	}
	if b := f[idcard.KeyBirth]; len(b) == 8 {
		m, _ := strconv.Atoi(b[4:6])
		d, _ := strconv.Atoi(b[6:8])
		out = append(out, fmt.Sprintf("%s年%d月%d日", b[:4], m, d))
	}
	if i := f[idcard.KeyIssue]; len(i) == 8 {
		dot := func(s string) string { return s[:4] + "." + s[4:6] + "." + s[6:8] }
		e := f[idcard.KeyExpire]
		if e != "长期" && len(e) == 8 {
			e = dot(e)
		}
		out = append(out, dot(i)+"-"+e)
	}
	return out
}

// textScore counts how many printed values appear in the joined text.
func textScore(lines []string, want []string) (int, int) {
	all := strings.ReplaceAll(strings.Join(lines, ""), " ", "")
	ok := 0
	for _, w := range want {
		if strings.Contains(all, w) {
			ok++
		}
	}
	return ok, len(want)
}

type otherResult struct {
	File  string   `json:"file"`
	MS    float64  `json:"ms"`
	Lines []string `json:"lines"`
}

func newEvalOCRTextCmd(env *Env) *cobra.Command {
	var (
		other, otherName string
		limit            int
		cfg              ocr.Config
	)
	cmd := &cobra.Command{
		Use:   "ocr-text DIR",
		Short: "Score raw OCR text (printed field values found) and latency, side by side with another engine's results",
		Long: `Runs faceprint's OCR (det + cls + rec, no card logic) on every generated photo
of DIR whose truth status is normal or reversed_side and counts how many printed
field values (name, address, number, authority, birth date, validity) occur in
the recognised text. With --other, the same is computed for another engine's
JSON lines ({"file","ms","lines"}), e.g. bench/node-ocr/run.mjs, so both are
scored identically. bench/node-ocr/compare.sh runs both in one go.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			truths, err := filepath.Glob(filepath.Join(args[0], "card_*.jpg.json"))
			if err != nil || len(truths) == 0 {
				return fmt.Errorf("no truth files in %s", args[0])
			}
			sort.Strings(truths)
			if limit > 0 && len(truths) > limit {
				truths = truths[:limit]
			}
			others := map[string]otherResult{}
			if other != "" {
				f, err := os.Open(other)
				if err != nil {
					return err
				}
				sc := bufio.NewScanner(f)
				sc.Buffer(make([]byte, 1<<20), 1<<20)
				for sc.Scan() {
					var o otherResult
					if json.Unmarshal(sc.Bytes(), &o) == nil {
						others[o.File] = o
					}
				}
				f.Close()
			}
			r, done, err := openIDCardReader(env.ModelsDir, cfg)
			if err != nil {
				return err
			}
			defer done()
			eng := r.OCR()
			ctx := ctxOrBackground(cmd)
			var goOK, goN, oOK, oN, images int
			var goLat, oLat []float64
			warm := false
			for _, tf := range truths {
				var t cardgen.Truth
				js, err := os.ReadFile(tf)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(js, &t); err != nil {
					return err
				}
				if t.ImageStatus != "normal" && t.ImageStatus != "reversed_side" {
					continue
				}
				want := printedForms(t)
				data, err := os.ReadFile(strings.TrimSuffix(tf, ".json"))
				if err != nil {
					return err
				}
				if !warm { // one uncounted read, as the Node script does
					img, err := vision.Decode(data, vision.DefaultLimits())
					if err == nil {
						_, _ = eng.Read(ctx, img, ocr.Options{Uniform: true})
					}
					warm = true
				}
				start := time.Now()
				img, err := vision.Decode(data, vision.DefaultLimits())
				if err != nil {
					return fmt.Errorf("%s: %w", tf, err)
				}
				res, err := eng.Read(ctx, img, ocr.Options{Uniform: true})
				if err != nil {
					return err
				}
				goLat = append(goLat, float64(time.Since(start).Microseconds())/1000)
				var lines []string
				for _, l := range res.Lines {
					lines = append(lines, l.Text)
				}
				images++
				a, b := textScore(lines, want)
				goOK, goN = goOK+a, goN+b
				if o, ok := others[t.File]; ok {
					a, b := textScore(o.Lines, want)
					oOK, oN = oOK+a, oN+b
					oLat = append(oLat, o.MS)
				}
			}
			sort.Float64s(goLat)
			sort.Float64s(oLat)
			rep := map[string]any{
				"images": images,
				"faceprint": map[string]any{"text_values_found": ratio(goOK, goN), "found": goOK, "of": goN,
					"latency_p50_ms": percentile(goLat, 0.5), "latency_p95_ms": percentile(goLat, 0.95), "peak_rss_mb": peakRSSMB()},
			}
			if other != "" {
				rep[otherName] = map[string]any{"text_values_found": ratio(oOK, oN), "found": oOK, "of": oN, "images": len(oLat),
					"latency_p50_ms": percentile(oLat, 0.5), "latency_p95_ms": percentile(oLat, 0.95)}
			}
			if env.Output == "json" {
				return env.PrintJSON(rep)
			}
			fmt.Fprintf(env.Stdout, "%d photos\n", images)
			fmt.Fprintf(env.Stdout, "%-28s values found %6.2f%% (%d/%d)  p50 %6.0f ms  p95 %6.0f ms\n", "faceprint (Go)", 100*ratio(goOK, goN), goOK, goN, percentile(goLat, 0.5), percentile(goLat, 0.95))
			if other != "" {
				fmt.Fprintf(env.Stdout, "%-28s values found %6.2f%% (%d/%d)  p50 %6.0f ms  p95 %6.0f ms  (%d photos)\n", otherName, 100*ratio(oOK, oN), oOK, oN, percentile(oLat, 0.5), percentile(oLat, 0.95), len(oLat))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&other, "other", "", "JSON lines of another engine's results on the same photos")
	f.StringVar(&otherName, "other-name", "other", "name of the other engine")
	f.IntVar(&limit, "limit", 0, "only the first N photos")
	f.IntVar(&cfg.DetMaxSide, "det-max-side", 0, "longest side fed to the text detector (0 = default)")
	return cmd
}
