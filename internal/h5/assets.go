package h5

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
)

// assets are the static files of web/h5/static, served under a path that
// contains a hash of all of them (/face/print/static/<version>/<file>), so
// they can be cached forever and a new build never mixes old and new modules.
type assets struct {
	version string
	files   map[string]asset
}

type asset struct {
	body  []byte
	gz    []byte // gzip-compressed body (nil when not smaller)
	ctype string
	etag  string
}

func loadAssets(root fs.FS) (*assets, error) {
	entries, err := fs.ReadDir(root, "static")
	if err != nil {
		return nil, err
	}
	a := &assets{files: map[string]asset{}}
	names := make([]string, 0, len(entries))
	all := sha256.New()
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(root, "static/"+n)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		all.Write([]byte(n))
		all.Write(sum[:])
		ct := mime.TypeByExtension(path.Ext(n))
		if strings.HasSuffix(n, ".js") {
			ct = "text/javascript; charset=utf-8"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		f := asset{body: b, ctype: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		if buf.Len() < len(b) {
			f.gz = buf.Bytes()
		}
		a.files[n] = f
	}
	a.version = hex.EncodeToString(all.Sum(nil)[:6])
	return a, nil
}

// prefix is the URL folder of this build's assets.
func (a *assets) prefix() string { return Base + "static/" + a.version + "/" }

// TransferSizes reports, per file, the bytes sent to a browser that accepts
// gzip (what counts against the page budget).
func (h *Handler) TransferSizes() map[string]int {
	out := map[string]int{}
	for n, f := range h.assets.files {
		if f.gz != nil {
			out[n] = len(f.gz)
		} else {
			out[n] = len(f.body)
		}
	}
	return out
}

func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	f, ok := h.assets.files[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", f.etag)
	hd.Set("Vary", "Accept-Encoding")
	if strings.HasSuffix(r.PathValue("file"), ".svg") {
		hd.Set("Content-Security-Policy", "default-src 'none'") // see icon
	}
	if r.PathValue("version") == h.assets.version {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// An old page asking for its assets gets today's, revalidated.
		hd.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if f.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		hd.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	w.Write(body)
}

// icon serves the embedded SVG app icon at a version-less address. Its own
// CSP forbids everything: opened directly, an SVG is a document, and this one
// needs no script, style sheet or other resource.
func (h *Handler) icon(w http.ResponseWriter, r *http.Request) {
	f, ok := h.assets.files["icon.svg"]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/svg+xml")
	hd.Set("Content-Security-Policy", "default-src 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "public, max-age=86400")
	hd.Set("ETag", f.etag)
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(f.body)
}
