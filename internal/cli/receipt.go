package cli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/config"
	"github.com/faceprint/faceprint/internal/receipt"
)

func init() { register(receiptCmd) }

func receiptCmd(env *Env) *cobra.Command {
	c := &cobra.Command{Use: "receipt", Short: "Deletion receipts (POST /admin/api/deletions)"}
	var pubKey, cfgFile string
	v := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a deletion receipt's Ed25519 signature",
		Long: "Checks a receipt against --public-key (GET /admin/api/receipt-key), or, without it, against the key\n" +
			"derived from the signing key of the data dir (or FACEPRINT_SIGNING_KEY / the config file).\n" +
			"Exits non-zero when the receipt was altered or signed by another server.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			pub, err := receiptPublicKey(env, pubKey, cfgFile)
			if err != nil {
				return err
			}
			r, err := receipt.Verify(data, pub)
			if err != nil {
				return err
			}
			if env.Output == "json" {
				return env.PrintJSON(map[string]any{"valid": true, "receipt_id": r.ReceiptID, "issued_at": r.IssuedAt, "counts": r.Counts})
			}
			fmt.Fprintf(env.Stdout, "valid: receipt %s issued %s, %d session(s), %d blob(s) deleted\n",
				r.ReceiptID, r.IssuedAt.Format("2006-01-02 15:04:05Z07:00"), r.Counts.Sessions, r.Counts.Blobs)
			return nil
		},
	}
	v.Flags().StringVar(&pubKey, "public-key", "", "receipt public key, base64 (from GET /admin/api/receipt-key)")
	v.Flags().StringVar(&cfgFile, "config", "", "config file (for signing_key)")
	c.AddCommand(v)
	return c
}

// receiptPublicKey reads the verification key without ever creating a signing key.
func receiptPublicKey(env *Env, pubKey, cfgFile string) (ed25519.PublicKey, error) {
	if pubKey != "" {
		return receipt.ParsePublicKey(pubKey)
	}
	cfg := config.Defaults()
	if cfgFile != "" {
		if err := cfg.LoadFile(cfgFile); err != nil {
			return nil, err
		}
	}
	cfg.LoadEnv()
	key := cfg.SigningKey
	if key == "" {
		b, err := os.ReadFile(filepath.Join(env.DataDir, "signing.key"))
		if err != nil {
			return nil, errors.New("no --public-key and no signing key in the data dir or environment")
		}
		key = strings.TrimSpace(string(b))
	}
	return receipt.NewSigner(key).PublicKey(), nil
}
