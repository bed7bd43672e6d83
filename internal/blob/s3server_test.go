package blob_test

import (
	"context"
	"os"
	"testing"

	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/blob/s3test"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.Stop()
	os.Exit(code)
}

// s3Store returns an S3 store under a fresh prefix of the test server's
// bucket, with extra URL parameters (e.g. "sse=AES256").
func s3Store(t *testing.T, params string) *blob.S3 {
	t.Helper()
	s, err := blob.NewS3(s3test.URL(t, params))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
