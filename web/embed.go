// Package web holds the static assets of the end-user pages.
package web

import "embed"

// H5 holds h5/page.html (the page shell template) and h5/static (scripts,
// styles), served by internal/h5.
//
//go:embed h5
var H5 embed.FS
