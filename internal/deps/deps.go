//go:build tools

// Package deps pins modules that packages under construction will import, so go.mod stays stable while they are written.
package deps

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/spf13/cobra"
	_ "github.com/yalue/onnxruntime_go"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/image/webp"
	_ "golang.org/x/time/rate"
	_ "modernc.org/sqlite"
)
