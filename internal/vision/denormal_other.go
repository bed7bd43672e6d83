//go:build !amd64

package vision

// withFlushDenormals runs fn; flushing denormals is implemented for amd64 only.
func withFlushDenormals(fn func() error) error { return fn() }
