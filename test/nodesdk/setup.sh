#!/usr/bin/env bash
# Installs the official npm SDK baidu-aip-sdk@4.16.16 and its runtime
# dependencies OUTSIDE the repo, in the faceprint cache, and prints the
# directory that holds node_modules/baidu-aip-sdk. Idempotent: a second run
# with the same package-lock.json only prints the path.
#
# The SDK tarball comes from `npm pack` (scripts/lib.sh fp_npm_pack) and is
# checked against its registry sha256; its dependencies are installed with
# `npm ci --ignore-scripts` from the committed package-lock.json.
. "$(dirname "$0")/../../scripts/lib.sh"

SDK=baidu-aip-sdk@4.16.16
# sha256 of the registry tarball (npm dist.shasum 3d66128bcb021008914a9ea03b7a3de735e0b5ba).
SDK_SHA256=3afbd4ba3d932b5f79024d241e66884d67443f69c4ca3d4ec50b77531208f0f5

here=$(cd "$(dirname "$0")" && pwd)
key=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
dir="$FP_CACHE/nodesdk/$key"

if [ ! -f "$dir/.done" ]; then
	command -v npm >/dev/null || fp_die "npm is needed for the node SDK test (apt-get install npm, or install Node.js)"
	tgz=$(fp_npm_pack "$SDK")
	fp_check "$tgz" "$SDK_SHA256"
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
	cp "$here/package.json" "$here/package-lock.json" "$dir.tmp/"
	fp_log "npm ci (runtime dependencies of $SDK) in $dir"
	(cd "$dir.tmp" && npm ci --ignore-scripts --no-audit --no-fund --omit=optional --loglevel=error >/dev/null) ||
		fp_die "npm ci failed: is the npm registry reachable?"
	mkdir -p "$dir.tmp/node_modules/baidu-aip-sdk"
	tar -xzf "$tgz" -C "$dir.tmp/node_modules/baidu-aip-sdk" --strip-components=1
	touch "$dir.tmp/.done"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
printf '%s\n' "$dir"
