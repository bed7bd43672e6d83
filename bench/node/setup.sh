#!/usr/bin/env bash
# Unpacks onnxruntime-node (+ onnxruntime-common) from their npm tarballs into
# bench/node/node_modules (gitignored) for bench.mjs: npm pack, never npm
# install (its postinstall downloads CUDA libraries). The native library in the
# tarball is the same file as models/lib/libonnxruntime.so.1 (sha256 pinned in models.lock).
. "$(dirname "$0")/../../scripts/lib.sh"

nm="$FP_ROOT/bench/node/node_modules"
lib_sha=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
for spec in onnxruntime-node@1.30.0 onnxruntime-common@1.30.0; do
	name=${spec%@*}
	dest="$nm/$name"
	if [ -f "$dest/package.json" ] && grep -q "\"version\": \"${spec##*@}\"" "$dest/package.json"; then
		continue
	fi
	tgz=$(fp_npm_pack "$spec")
	rm -rf "$dest" && mkdir -p "$dest"
	tar -xzf "$tgz" -C "$dest" --strip-components=1
	fp_log "unpacked $spec into $dest"
done
fp_check "$nm/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$lib_sha"
