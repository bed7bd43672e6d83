#!/usr/bin/env bash
# Builds the S3-compatible server the blob tests run against (gofakes3, a
# small Go implementation of the S3 API, pinned below) into the download
# cache, $FACEPRINT_CACHE/bin/gofakes3, and prints its path. The module and
# its dependencies come from the Go module proxy, checked against go.sum of
# that module (the Go checksum database); the repository's go.mod is not touched.
# Takes ~20 s on 2 cores the first time; later runs only check the binary.
# Why gofakes3 and not MinIO or SeaweedFS: it builds in seconds from one Go
# module, keeps buckets in memory, and speaks the calls faceprint uses
# (PUT/GET/list/multi-delete, SSE headers accepted); the MinIO server and
# SeaweedFS' `weed` are much larger programs to build on a 2-core runner.
. "$(dirname "$0")/lib.sh"

GOFAKES3_VERSION=v1.2.0
bin="$FP_CACHE/bin/gofakes3"
stamp="$FP_CACHE/bin/gofakes3.version"

if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$GOFAKES3_VERSION" ]; then
	echo "$bin"
	exit 0
fi
command -v go >/dev/null || fp_die "go is needed to build gofakes3"
mkdir -p "$FP_CACHE/bin"
fp_log "go install github.com/johannesboyne/gofakes3/cmd/gofakes3@$GOFAKES3_VERSION"
tmp="$FP_CACHE/tmp/gofakes3.$$"
rm -rf "$tmp" && mkdir -p "$tmp"
# Outside any module (cd), so `go install pkg@version` uses exactly that module's own go.mod.
(cd "$tmp" && GOBIN="$tmp" GOFLAGS=-mod=mod CGO_ENABLED=0 go install "github.com/johannesboyne/gofakes3/cmd/gofakes3@$GOFAKES3_VERSION") ||
	fp_die "building gofakes3 failed: is the Go module proxy reachable?"
mv "$tmp/gofakes3" "$bin"
echo "$GOFAKES3_VERSION" >"$stamp"
rm -rf "$tmp"
echo "$bin"
