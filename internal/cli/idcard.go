package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/idcard"
	"github.com/faceprint/faceprint/internal/idcard/cardgen"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/ocr"
)

func init() { register(newIDCardCmd) }

func newIDCardCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "idcard",
		Short: "Read resident ID card photos, or generate synthetic test cards",
	}
	cmd.AddCommand(newIDCardReadCmd(env), newIDCardGenerateCmd(env))
	return cmd
}

// openIDCardReader opens the runtime and the OCR models under modelsDir.
func openIDCardReader(modelsDir string, cfg ocr.Config) (*idcard.Reader, func(), error) {
	rt, err := vision.OpenRuntime(vision.LibPath(modelsDir))
	if err != nil {
		return nil, nil, err
	}
	r, err := idcard.Open(rt, modelsDir, cfg)
	if err != nil {
		rt.Close()
		return nil, nil, err
	}
	return r, func() { r.Close(); rt.Close() }, nil
}

func newIDCardReadCmd(env *Env) *cobra.Command {
	opt := idcard.Options{DetectDirection: true, DetectRisk: true, DetectQuality: true}
	var (
		side  string
		lines bool
		cfg   ocr.Config
	)
	cmd := &cobra.Command{
		Use:     "read IMAGE",
		Short:   "Read one side of an ID card photo and print the Baidu-shaped JSON",
		Example: "  faceprint idcard read card.jpg --side front --photo",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if side != "front" && side != "back" {
				return fmt.Errorf("--side must be front or back")
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			if cfg.DB.BoxThresh > 0 {
				bt := cfg.DB.BoxThresh
				cfg.DB = ocr.DefaultDBParams()
				cfg.DB.BoxThresh = bt
			}
			r, done, err := openIDCardReader(env.ModelsDir, cfg)
			if err != nil {
				return err
			}
			defer done()
			opt.Side, opt.Now = side, time.Now()
			if lines {
				img, err := vision.Decode(data, vision.DefaultLimits())
				if err != nil {
					return err
				}
				res, err := r.OCR().Read(ctxOrBackground(cmd), img, ocr.Options{Uniform: true})
				if err != nil {
					return err
				}
				for _, l := range res.Lines {
					fmt.Fprintf(env.Stderr, "%q score %.3f box %.0f\n", l.Text, l.Score, l.Box)
				}
			}
			rd, err := r.ReadBytes(ctxOrBackground(cmd), data, vision.DefaultLimits(), opt)
			if err != nil {
				if c, m, ok := vision.IntakeCode(err); ok {
					return env.PrintJSON(map[string]any{"error_code": c, "error_msg": m})
				}
				return err
			}
			return env.PrintJSON(rd.Response)
		},
	}
	f := cmd.Flags()
	f.StringVar(&side, "side", "front", "card side: front (人像面) or back (国徽面)")
	f.BoolVar(&lines, "lines", false, "also print the recognised text lines to stderr")
	f.IntVar(&cfg.DetMaxSide, "det-max-side", 0, "longest side fed to the text detector (0 = default 960)")
	f.Float32Var(&cfg.DB.BoxThresh, "box-thresh", 0, "DB box threshold (0 = default 0.5)")
	f.BoolVar(&opt.DetectDirection, "direction", true, "report direction")
	f.BoolVar(&opt.DetectRisk, "risk", true, "report risk_type")
	f.BoolVar(&opt.DetectQuality, "quality", true, "report card_quality")
	f.BoolVar(&opt.DetectPhoto, "photo", false, "include the portrait (photo, photo_location)")
	f.BoolVar(&opt.DetectCard, "card", false, "include the rectified card (card_image, card_location)")
	return cmd
}

func newIDCardGenerateCmd(env *Env) *cobra.Command {
	var (
		out       string
		n         int
		seed      int64
		portraits string
		clean     bool
	)
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate fictional, SPECIMEN-marked ID card photos with ground truth JSON",
		Long: `Draws both sides of fictional cards (Noto CJK, OCR-B), marks them 样本 SPECIMEN,
and photographs them with phone-capture degradations (perspective, rotation,
blur, JPEG, glare, shadow, noise, busy background, screen re-capture,
photocopy). Each card_NNNNN.jpg gets a card_NNNNN.jpg.json with the truth.`,
		Example: "  faceprint idcard generate --out testdata/generated/idcards --n 300 --seed 1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fonts, err := cardgen.LoadFonts()
			if err != nil {
				return err
			}
			ps := cardgen.LoadPortraits(portraits, 64)
			if len(ps) == 0 {
				return fmt.Errorf("no portraits under %s (run scripts/fetch-testdata.sh)", portraits)
			}
			g := cardgen.New(fonts, ps)
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			mix := cardgen.DefaultMix()
			if clean {
				mix = cardgen.Mix{}
			}
			now := time.Now().UTC()
			for i := 0; i < n; i++ {
				if err := ctxOrBackground(cmd).Err(); err != nil {
					return err
				}
				s, err := g.Generate(seed, i, now, mix)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(out, s.Truth.File), s.JPEG, 0o644); err != nil {
					return err
				}
				js, _ := json.MarshalIndent(s.Truth, "", "  ")
				if err := os.WriteFile(filepath.Join(out, s.Truth.File+".json"), js, 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintf(env.Stdout, "wrote %d cards to %s\n", n, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "testdata/generated/idcards", "output directory")
	f.IntVar(&n, "n", 300, "number of photos")
	f.Int64Var(&seed, "seed", 1, "random seed (same seed, same set)")
	f.StringVar(&portraits, "portraits", "testdata/fetched", "directory with package-shipped face photos")
	f.BoolVar(&clean, "clean", false, "no screen/copy/rotation/reversed/bad-quality variants")
	return cmd
}

// ctxOrBackground returns cmd's context or a background one.
func ctxOrBackground(cmd *cobra.Command) context.Context {
	if c := cmd.Context(); c != nil {
		return c
	}
	return context.Background()
}
