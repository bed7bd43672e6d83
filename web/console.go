package web

import "embed"

// Console holds the operator console (console/index.html, app.js, style.css),
// served by internal/console.
//
//go:embed console
var Console embed.FS
