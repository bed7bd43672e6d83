#!/usr/bin/env bash
# Side by side on the same photos: @gutenye/ocr-node vs faceprint's Go OCR.
# Usage: bench/node-ocr/compare.sh DIR [LIMIT]   (DIR from `faceprint idcard generate`)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=$(cd "$1" && pwd)
limit=${2:-0}
nodedir=$("$here/setup.sh")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [ "$limit" -gt 0 ]; then
	(cd "$nodedir" && node run.mjs "$dir" "$limit") >"$out"
else
	(cd "$nodedir" && node run.mjs "$dir") >"$out"
fi
cd "$root"
go run ./cmd/faceprint eval ocr-text "$dir" --other "$out" --other-name "@gutenye/ocr-node 1.4.8" --limit "$limit"
