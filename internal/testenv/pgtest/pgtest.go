// Package pgtest gives tests a fresh database on the test PostgreSQL server
// (FACEPRINT_TEST_PG_URL, started by scripts/pg.sh), without importing the app.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
)

// SkipOrFail skips the test outside CI and fails it in CI.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI: "+format, args...)
	}
	t.Skipf(format, args...)
}

// URL returns a fresh, empty database, dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("FACEPRINT_TEST_PG_URL")
	if base == "" {
		SkipOrFail(t, "FACEPRINT_TEST_PG_URL not set (scripts/pg.sh start)")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "fp_test_" + hex.EncodeToString(b)
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		SkipOrFail(t, "PostgreSQL not reachable at FACEPRINT_TEST_PG_URL: %v", err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", base); err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
