// Package s3test gives tests a real S3-compatible server: gofakes3 (pinned,
// built by scripts/fetch-s3server.sh into the download cache) started once
// per test binary, or the service FACEPRINT_TEST_S3_URL names
// (s3://bucket?endpoint=…, credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).
package s3test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/testenv/pgtest"
)

// Bucket is the bucket the local server creates at start.
const Bucket = "faceprint-test"

var (
	once    sync.Once
	baseURL string // s3://bucket?endpoint=… of the server, "" when none
	why     string // why there is none
	proc    *exec.Cmd
)

// Binary is where scripts/fetch-s3server.sh puts the server (FACEPRINT_S3_SERVER overrides).
func Binary() string {
	if p := os.Getenv("FACEPRINT_S3_SERVER"); p != "" {
		return p
	}
	cache := os.Getenv("FACEPRINT_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		cache = filepath.Join(dir, "faceprint")
	}
	return filepath.Join(cache, "bin", "gofakes3")
}

func start() {
	if u := os.Getenv("FACEPRINT_TEST_S3_URL"); u != "" {
		baseURL = u
		return
	}
	bin := Binary()
	if _, err := os.Stat(bin); err != nil {
		why = fmt.Sprintf("no S3 server binary at %s (run scripts/fetch-s3server.sh, or set FACEPRINT_TEST_S3_URL)", bin)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		why = err.Error()
		return
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-host", addr, "-backend", "memory", "-initialbucket", Bucket, "-quiet")
	if err := cmd.Start(); err != nil {
		why = fmt.Sprintf("start %s: %v", bin, err)
		return
	}
	proc = cmd
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			// gofakes3 takes any credentials; a real service's come from the environment.
			os.Setenv("AWS_ACCESS_KEY_ID", "faceprint-test")
			os.Setenv("AWS_SECRET_ACCESS_KEY", "faceprint-test-secret")
			baseURL = "s3://" + Bucket + "?endpoint=http://" + addr + "&region=us-east-1"
			return
		}
	}
	why = fmt.Sprintf("%s did not listen on %s within 15 s", bin, addr)
}

// URL returns an s3:// URL under a fresh prefix of the test bucket, with
// extra query parameters (e.g. "sse=AES256"); it skips the test (fails
// under CI) when no server can be had.
func URL(t testing.TB, params string) string {
	t.Helper()
	once.Do(start)
	if baseURL == "" {
		pgtest.SkipOrFail(t, "S3 backend not tested: %s", why)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base, query, _ := strings.Cut(baseURL, "?")
	u := base + "/t" + hex.EncodeToString(b) + "/blobs"
	if q := strings.Trim(query+"&"+params, "&"); q != "" {
		u += "?" + q
	}
	return u
}

// Endpoint is the local server's http://host:port ("" for an external service or none).
func Endpoint() string {
	once.Do(start)
	if proc == nil {
		return ""
	}
	_, q, _ := strings.Cut(baseURL, "endpoint=")
	e, _, _ := strings.Cut(q, "&")
	return e
}

// Stop ends the local server; call it from TestMain after m.Run.
func Stop() {
	if proc != nil {
		_ = proc.Process.Kill()
		_ = proc.Wait()
		proc = nil
	}
}
