// Package wire holds what every vendor wire (Baidu in internal/api, Tencent
// in internal/api/tencent) shares below its own envelope: the bounded body
// read and the public base URL of links (the per-app QPS limit is
// internal/ratelimit, applied by api.Server for every wire).
// Keeping them here means a new wire cannot forget a limit, and one app's
// QPS budget is counted once whichever wire it calls.
package wire

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrTooLarge is returned by ReadBody when the body exceeds the limit.
var ErrTooLarge = errors.New("request body too large")

// ReadBody reads at most limit bytes of the request body.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, ErrTooLarge
	}
	return data, nil
}

// PublicBase is the scheme://host links are built on: the configured public
// URL (behind a TLS proxy), else what the client used.
func PublicBase(public string, r *http.Request) string {
	if public != "" {
		return public
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
