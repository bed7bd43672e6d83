// Package crash checks that faceprint never loses an acknowledged write: a
// verify_token the server has answered with must survive `kill -9` of the
// server in the middle of a burst of writes.
package crash

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/faceprint/faceprint/client"
	"github.com/faceprint/faceprint/internal/testenv/pgtest"
)

// repoRoot finds the module root (the directory holding go.mod).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds cmd/faceprint once per test process.
func buildBinary(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "faceprint-crash-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "faceprint")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/faceprint")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cli runs a faceprint subcommand with -o json and decodes its output.
func cli(t *testing.T, bin, dataDir string, out any, args ...string) {
	t.Helper()
	full := append([]string{"--data-dir", dataDir, "-o", "json"}, args...)
	cmd := exec.Command(bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("faceprint %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("faceprint %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer collects the server's output; exec copies into it from its
// own goroutine while the test may read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a running `faceprint serve`.
type server struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
}

func startServer(t *testing.T, bin, dataDir, db, addr string) *server {
	t.Helper()
	logBuf := &syncBuffer{}
	args := []string{"--data-dir", dataDir, "--models-dir", filepath.Join(dataDir, "no-models"),
		"serve", "--addr", addr, "--log-level", "warn"}
	if db != "" {
		args = append(args, "--db", db)
	}
	cmd := exec.Command(bin, args...)
	// The burst is far above the default per-app limit (200/s).
	cmd.Env = append(os.Environ(), "FACEPRINT_DEFAULT_QPS=1000000")
	cmd.Stdout, cmd.Stderr = logBuf, logBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, log: logBuf, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	// Ready when the token endpoint answers (any JSON).
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + client.PathToken)
		if err == nil {
			resp.Body.Close()
			return s
		}
		select {
		case err := <-s.done:
			t.Fatalf("faceprint serve exited: %v\n%s", err, logBuf.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("faceprint serve not ready after 30s\n%s", logBuf.String())
		}
	}
}

// kill9 sends SIGKILL and waits for the process to be gone.
func (s *server) kill9(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-s.done
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("server did not die of SIGKILL: %v", err)
	}
}

type appOut struct {
	AppID     string `json:"app_id"`
	APIKey    string `json:"api_key"`
	SecretKey string `json:"secret_key"`
}

type planOut struct {
	PlanID string `json:"plan_id"`
}

func TestKill9MidBurstSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	runCrash(t, "")
}

func TestKill9MidBurstPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	runCrash(t, pgtest.URL(t))
}

// runCrash sets up an app and a plan with the CLI, starts `faceprint serve`,
// kills it with SIGKILL in the middle of a burst of verifyToken/generate,
// restarts it on the same data, and checks every acknowledged token.
func runCrash(t *testing.T, db string) {
	bin := buildBinary(t)
	dataDir := t.TempDir()
	var dbArgs []string
	if db != "" {
		dbArgs = []string{"--db", db}
	}

	var app appOut
	cli(t, bin, dataDir, &app, append([]string{"app", "create", "--name", "crash-test"}, dbArgs...)...)
	var plan planOut
	cli(t, bin, dataDir, &plan, append([]string{"plan", "create", "--app", app.AppID, "--name", "crash-plan",
		"--identity-input", "manual", "--compare-source", "none", "--liveness", "silent"}, dbArgs...)...)
	planID := plan.PlanID
	if app.APIKey == "" || app.SecretKey == "" || planID == "" {
		t.Fatalf("CLI gave app %+v plan %+v", app, plan)
	}

	addr := freeAddr(t)
	srv := startServer(t, bin, dataDir, db, addr)
	c := client.New("http://"+addr, app.APIKey, app.SecretKey,
		client.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	ctx := context.Background()
	if _, err := c.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}

	// Burst: 32 writers generate tokens until the server dies under them.
	const writers = 32
	var (
		mu        sync.Mutex
		acked     []string
		preKill   []error // errors while the server was up: a finding in itself
		ok        atomic.Int64
		killed    atomic.Bool
		afterKill atomic.Int64
	)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for {
				tok, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: planID})
				if err != nil {
					if killed.Load() {
						afterKill.Add(1)
						return
					}
					mu.Lock()
					preKill = append(preKill, err)
					mu.Unlock()
					continue
				}
				mu.Lock()
				acked = append(acked, tok)
				mu.Unlock()
				ok.Add(1)
			}
		})
	}
	// Kill mid-burst: once writes are flowing, so some are in flight.
	deadline := time.Now().Add(20 * time.Second)
	for ok.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	ackedAtKill := ok.Load()
	killed.Store(true)
	srv.kill9(t)
	wg.Wait()
	t.Logf("%d tokens acknowledged (%d when SIGKILL was sent); %d writers cut off", len(acked), ackedAtKill, afterKill.Load())
	if ackedAtKill == 0 {
		t.Fatalf("no generate succeeded before the kill (%d errors, first %v)\n%s", len(preKill), first(preKill), srv.log.String())
	}
	if len(preKill) > 0 {
		t.Errorf("%d generate calls failed while the server was up; first: %v", len(preKill), preKill[0])
	}
	if afterKill.Load() != writers {
		t.Fatalf("%d of %d writers saw the server die", afterKill.Load(), writers)
	}

	// Restart on the same data dir and port; the cached access_token must
	// still be good (30-day tokens survive restarts) and so must every
	// acknowledged verify_token.
	fetchesBefore := c.TokenFetches()
	startServer(t, bin, dataDir, db, addr)
	var lost []string
	for _, tok := range acked {
		stat, err := c.ResultStat(ctx, tok)
		if err != nil {
			lost = append(lost, fmt.Sprintf("%s: %v", tok, err))
			continue
		}
		if _, ok := stat[client.StatIDCardOCR]; !ok {
			lost = append(lost, fmt.Sprintf("%s: stat without %s: %v", tok, client.StatIDCardOCR, stat))
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d of %d acknowledged tokens lost after kill -9; first: %s", len(lost), len(acked), lost[0])
	}
	if c.TokenFetches() != fetchesBefore {
		t.Errorf("the access_token issued before the crash was refused after restart (client refetched)")
	}
	// The restarted server still takes writes.
	if _, err := c.GenerateVerifyToken(ctx, client.GenerateRequest{PlanID: planID}); err != nil {
		t.Fatalf("generate after restart: %v", err)
	}
}

func first(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errs[0]
}
