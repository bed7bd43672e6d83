#!/usr/bin/env bash
# Installs the official npm SDK @alicloud/cloudauth20190307@3.5.0 and its
# dependencies OUTSIDE the repo, in the faceprint cache, and prints the
# directory that holds node_modules/@alicloud/cloudauth20190307. Idempotent:
# a second run with the same package-lock.json only prints the path.
#
# `npm ci --ignore-scripts` installs exactly what the committed
# package-lock.json pins, each tarball checked against its sha512
# "integrity"; the SDK's own entry is checked once more here.
. "$(dirname "$0")/../../scripts/lib.sh"

SDK=@alicloud/cloudauth20190307
SDK_VERSION=3.5.0
# npm dist.integrity of the registry tarball, as pinned in package-lock.json.
SDK_INTEGRITY=sha512-cUeNWfinrx7rvjGCoSurBtSlsnRbC45wi+5p3DyC+uf0JvA8dB7LbhwYXOt+bk1LIzG3OzL+zx9dNtO1wwGyyA==

here=$(cd "$(dirname "$0")" && pwd)
key=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
dir="$FP_CACHE/alisdk/$key"

if [ ! -f "$dir/.done" ]; then
	command -v npm >/dev/null || fp_die "npm is needed for the Alibaba SDK test (apt-get install npm, or install Node.js)"
	got=$(sed -n '/"node_modules\/@alicloud\/cloudauth20190307": {/,/}/s/.*"integrity": "\(.*\)".*/\1/p' "$here/package-lock.json")
	[ "$got" = "$SDK_INTEGRITY" ] || fp_die "package-lock.json pins $SDK with integrity $got, want $SDK_INTEGRITY"
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
	cp "$here/package.json" "$here/package-lock.json" "$dir.tmp/"
	fp_log "npm ci ($SDK@$SDK_VERSION and its dependencies) in $dir"
	(cd "$dir.tmp" && npm ci --ignore-scripts --no-audit --no-fund --omit=optional --loglevel=error >/dev/null) ||
		fp_die "npm ci failed: is the npm registry reachable?"
	v=$(sed -n 's/^ *"version": "\(.*\)",$/\1/p' "$dir.tmp/node_modules/$SDK/package.json" | head -1)
	[ "$v" = "$SDK_VERSION" ] || fp_die "installed $SDK is $v, want $SDK_VERSION"
	touch "$dir.tmp/.done"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
printf '%s\n' "$dir"
