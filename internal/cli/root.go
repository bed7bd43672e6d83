// Package cli holds the faceprint subcommands.
package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Env carries the global flags every subcommand may use.
type Env struct {
	DataDir   string // --data-dir / FACEPRINT_DATA_DIR
	ModelsDir string // --models-dir / FACEPRINT_MODELS_DIR (default ./models)
	Output    string // --output text|json
	Stdout    io.Writer
	Stderr    io.Writer
}

// subcommands are added by the files of this package (one file per area) in init.
var subcommands []func(*Env) *cobra.Command

func register(f func(*Env) *cobra.Command) { subcommands = append(subcommands, f) }

// NewRoot builds the faceprint command tree.
func NewRoot() *cobra.Command { return newRoot(&Env{Stdout: os.Stdout, Stderr: os.Stderr}) }

// newRootTo builds the tree writing to a buffer (tests).
func newRootTo() (*cobra.Command, *bytes.Buffer) {
	var b bytes.Buffer
	return newRoot(&Env{Stdout: &b, Stderr: io.Discard}), &b
}

func newRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "faceprint",
		Short:         "Self-hosted, Baidu-compatible identity verification (ID card OCR, liveness, face comparison)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&env.DataDir, "data-dir", envOr("FACEPRINT_DATA_DIR", "./data"), "data directory (SQLite file, blobs, admin token)")
	pf.StringVar(&env.ModelsDir, "models-dir", envOr("FACEPRINT_MODELS_DIR", "./models"), "directory with ONNX Runtime and the models (scripts/fetch-models.sh)")
	pf.StringVarP(&env.Output, "output", "o", "text", "output format: text or json")
	for _, f := range subcommands {
		root.AddCommand(f(env))
	}
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// PrintJSON writes v as indented JSON to the command's stdout.
func (e *Env) PrintJSON(v any) error {
	enc := json.NewEncoder(e.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
