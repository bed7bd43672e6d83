package blob_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/blob/s3test"
)

// TestS3Timeout: a server that accepts connections and never answers costs
// an operation its timeout, not a hung request goroutine.
func TestS3Timeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // hold it open, say nothing
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	t.Setenv("AWS_ACCESS_KEY_ID", "id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	s, err := blob.NewS3("s3://bucket?endpoint=http://" + ln.Addr().String() + "&region=us-east-1&timeout=700ms&retries=2")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Get(context.Background(), "x.jpg")
	if err == nil {
		t.Fatal("get from a silent server succeeded")
	}
	t.Logf("silent server: %v after %v", err, time.Since(start))
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("get took %v with timeout=700ms", d)
	}
}

// TestS3SendsSSE: with sse=AES256 every PUT asks the service to encrypt at
// rest (the header is checked on the wire; gofakes3 itself does not encrypt).
func TestS3SendsSSE(t *testing.T) {
	endpoint := s3test.Endpoint()
	if endpoint == "" {
		t.Skip("needs the local S3 server process (scripts/fetch-s3server.sh)")
	}
	target, _ := url.Parse(endpoint)
	var mu sync.Mutex
	var puts, encrypted int
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			mu.Lock()
			puts++
			if r.Header.Get("X-Amz-Server-Side-Encryption") == "AES256" {
				encrypted++
			}
			mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	s, err := blob.NewS3("s3://faceprint-test/sse?endpoint=" + srv.URL + "&region=us-east-1&sse=AES256")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []string{"a.jpg", "b/c.jpg"} {
		if err := s.Put(ctx, k, []byte("img")); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Get(ctx, "b/c.jpg"); err != nil || string(got) != "img" {
		t.Fatalf("get: %q %v", got, err)
	}
	if puts != 2 || encrypted != 2 {
		t.Fatalf("%d PUTs, %d with SSE AES256", puts, encrypted)
	}
}

// TestS3Retries: a transient 503 is retried when retries allow it, and
// surfaces at once when retries=0.
func TestS3Retries(t *testing.T) {
	endpoint := s3test.Endpoint()
	if endpoint == "" {
		t.Skip("needs the local S3 server process (scripts/fetch-s3server.sh)")
	}
	target, _ := url.Parse(endpoint)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	failNext := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fail := r.Method == http.MethodGet && failNext > 0
		if fail {
			failNext--
		}
		mu.Unlock()
		if fail {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>busy</Message></Error>`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx := context.Background()
	for _, tc := range []struct {
		retries, failures int
		ok                bool
	}{{2, 2, true}, {0, 1, false}} {
		s, err := blob.NewS3(fmt.Sprintf("s3://%s/retry?endpoint=%s&region=us-east-1&retries=%d", s3test.Bucket, srv.URL, tc.retries))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "a.jpg", []byte("img")); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		failNext = tc.failures
		mu.Unlock()
		b, err := s.Get(ctx, "a.jpg")
		if tc.ok && (err != nil || string(b) != "img") {
			t.Fatalf("retries=%d after %d 503s: %q %v", tc.retries, tc.failures, b, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "busy")) {
			t.Fatalf("retries=%d: the 503 did not surface: %v", tc.retries, err)
		}
		mu.Lock()
		left := failNext
		mu.Unlock()
		if left != 0 {
			t.Fatalf("retries=%d: %d injected failures never reached", tc.retries, left)
		}
	}
}
