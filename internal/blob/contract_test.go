package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/faceprint/faceprint/internal/blob"
)

// backends runs the Store contract on every backend: a local folder and a
// real S3-compatible server (s3server_test.go).
func backends(t *testing.T, fn func(t *testing.T, s blob.Store)) {
	t.Run("local", func(t *testing.T) {
		s, err := blob.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		fn(t, s)
	})
	t.Run("s3", func(t *testing.T) { fn(t, s3Store(t, "")) })
	t.Run("s3-sse", func(t *testing.T) { fn(t, s3Store(t, "sse=AES256")) })
}

func TestPutGet(t *testing.T) {
	backends(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		big := make([]byte, 6<<20) // a long video: above S3's 5 MiB multipart part size
		_, _ = rand.Read(big)
		// No empty object: faceprint never stores one, and gofakes3 refuses a
		// PUT whose Content-Length is 0 (Go's server drops the header).
		for key, data := range map[string][]byte{
			"a.jpg": []byte("jpeg"), "s/0123/face-1.jpg": []byte("face"), "s/0123/video.webm": big,
		} {
			if err := s.Put(ctx, key, data); err != nil {
				t.Fatalf("put %s: %v", key, err)
			}
			got, err := s.Get(ctx, key)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("get %s: %d bytes (want %d), %v", key, len(got), len(data), err)
			}
		}
		// Overwrite replaces the whole object.
		if err := s.Put(ctx, "a.jpg", []byte("second")); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, "a.jpg"); err != nil || string(got) != "second" {
			t.Fatalf("after overwrite: %q %v", got, err)
		}
	})
}

func TestNotFound(t *testing.T) {
	backends(t, func(t *testing.T, s blob.Store) {
		for _, key := range []string{"missing.jpg", "s/none/face.jpg"} {
			if _, err := s.Get(context.Background(), key); !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("get %s: %v, want ErrNotFound", key, err)
			}
		}
	})
}

func TestInvalidKeys(t *testing.T) {
	backends(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		for _, key := range []string{"", "../etc/passwd", "/abs", "a//b", "a/../b", ".hidden", "a/b/", "sp ace", strings.Repeat("k", 300)} {
			if err := s.Put(ctx, key, []byte("x")); err == nil {
				t.Fatalf("put %q accepted", key)
			}
			if _, err := s.Get(ctx, key); err == nil || errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("get %q: %v, want an invalid-key error", key, err)
			}
			if err := s.DeletePrefix(ctx, key); err == nil && key != "a/b/" {
				t.Fatalf("delete %q accepted", key)
			}
		}
	})
}

func TestDeletePrefix(t *testing.T) {
	backends(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		keys := []string{"s/ab/1.jpg", "s/ab/deep/2.jpg", "s/abc/3.jpg", "s/ab.jpg", "t/ab/4.jpg"}
		for _, k := range keys {
			if err := s.Put(ctx, k, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeletePrefix(ctx, "s/ab/"); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			_, err := s.Get(ctx, k)
			gone := strings.HasPrefix(k, "s/ab/")
			if gone && !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("%s survived DeletePrefix(s/ab/): %v", k, err)
			}
			if !gone && err != nil {
				t.Fatalf("%s was removed by DeletePrefix(s/ab/): %v", k, err)
			}
		}
		// Deleting what is not there is not an error (purge retries).
		if err := s.DeletePrefix(ctx, "s/never"); err != nil {
			t.Fatalf("delete missing prefix: %v", err)
		}
	})
}

func TestConcurrentPuts(t *testing.T) {
	backends(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := fmt.Sprintf("c/%d.bin", i%4) // writers race on the same keys
				errs[i] = s.Put(ctx, k, bytes.Repeat([]byte{byte(i)}, 64<<10))
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			b, err := s.Get(ctx, fmt.Sprintf("c/%d.bin", i))
			if err != nil || len(b) != 64<<10 || !bytes.Equal(b, bytes.Repeat(b[:1], len(b))) {
				t.Fatalf("c/%d.bin is torn or missing (%d bytes, %v)", i, len(b), err)
			}
		}
	})
}

func TestOpenURL(t *testing.T) {
	dir := t.TempDir()
	if s, err := blob.Open("", dir); err != nil {
		t.Fatal(err)
	} else if _, ok := s.(*blob.Local); !ok {
		t.Fatalf("empty blob_url gave %T", s)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	for _, bad := range []string{"ftp://x", "s3://", "s3://bkt/p?sse=DES", "s3://bkt?bogus=1", "s3://bkt?timeout=-1s", "s3://bkt?endpoint=ftp://h", "s3://b"} {
		if _, err := blob.Open(bad, dir); err == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
	if _, err := blob.Open("s3://bucket/pre/fix?endpoint=http://127.0.0.1:1&region=eu-west-1&sse=aws:kms&kms_key=k1&timeout=2s&retries=1", dir); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if _, err := blob.Open("s3://bucket", dir); err == nil || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") {
		t.Fatalf("missing credentials: %v", err)
	}
}
