package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/store"
)

func init() { register(newMigrateCmd) }

// newMigrateCmd lets an operator look at and apply schema migrations before
// rolling out replicas (serve applies them at start too; this is for doing it
// once, deliberately, e.g. from a deploy job).
func newMigrateCmd(env *Env) *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "migrate status|up",
		Short: "Show or apply the database schema migrations",
	}
	cmd.PersistentFlags().StringVar(&db, "db", os.Getenv("FACEPRINT_DB"), "postgres://… (env FACEPRINT_DB); default the SQLite file in --data-dir")
	openDB := func(ctx context.Context) (*store.SQL, error) {
		return store.OpenUnmigrated(ctx, db, filepath.Join(env.DataDir, "faceprint.db"))
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Print the applied and pending migrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			st, err := s.Status(cmd.Context())
			if err != nil {
				return err
			}
			if env.Output == "json" {
				pending := []int{}
				for _, m := range st.Pending {
					pending = append(pending, m.Version)
				}
				return env.PrintJSON(map[string]any{"current": st.Current, "latest": st.Latest, "legacy": st.Legacy,
					"applied": st.Applied, "pending": pending})
			}
			fmt.Fprintf(env.Stdout, "schema version %d (this binary: %d)\n", st.Current, st.Latest)
			for _, a := range st.Applied {
				fmt.Fprintf(env.Stdout, "  applied %04d_%s at %s\n", a.Version, a.Name, a.AppliedAt.Format("2006-01-02 15:04:05Z"))
			}
			for _, m := range st.Pending {
				note := ""
				if st.Legacy && m.Version == 1 {
					note = " (pre-versioning database: recorded, not re-run)"
				}
				fmt.Fprintf(env.Stdout, "  pending %04d_%s%s\n", m.Version, m.Name, note)
			}
			if st.Current > st.Latest {
				fmt.Fprintln(env.Stdout, "the database is newer than this binary: upgrade faceprint")
			}
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "up",
		Short: "Apply the pending migrations (one transaction each, under the migration lock)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			done, err := s.Migrate(cmd.Context())
			for _, a := range done {
				fmt.Fprintf(env.Stdout, "applied %04d_%s\n", a.Version, a.Name)
			}
			if err == nil && len(done) == 0 {
				fmt.Fprintln(env.Stdout, "up to date")
			}
			return err
		},
	})
	return cmd
}
