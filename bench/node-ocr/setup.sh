#!/usr/bin/env bash
# Installs the Node.js OCR baseline outside the repo, in the download cache:
# pinned versions, lifecycle scripts disabled (onnxruntime-node's postinstall
# would download CUDA libraries; the CPU library is in its tarball).
. "$(dirname "$0")/../../scripts/lib.sh"
dir="$FP_CACHE/node-ocr"
mkdir -p "$dir"
cp "$FP_ROOT/bench/node-ocr/package.json" "$FP_ROOT/bench/node-ocr/run.mjs" "$dir/"
if [ ! -d "$dir/node_modules/@gutenye/ocr-node" ]; then
	command -v npm >/dev/null || fp_die "npm is needed for the Node.js baseline"
	fp_log "npm install --ignore-scripts (node-ocr baseline)"
	(cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) || fp_die "npm install failed"
fi
printf '%s\n' "$dir"
