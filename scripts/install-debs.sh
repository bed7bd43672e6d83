#!/usr/bin/env bash
# Installs the Debian packages faceprint needs: ffmpeg (video liveness) and the
# CJK fonts (the ID card reader checks unsure characters against their glyphs)
# always; for the test suite also PostgreSQL, Chromium (H5 browser tests) and
# the OCR-B font (synthetic ID cards). As root it runs apt-get; otherwise it says
# what is missing.
# Usage: scripts/install-debs.sh [run|test]
. "$(dirname "$0")/lib.sh"

mode=${1:-run}
pkgs=(ffmpeg ca-certificates fonts-noto-cjk)
if [ "$mode" = test ]; then
	pkgs+=(postgresql chromium fonts-ocr-b)
fi
fp_apt_install "${pkgs[@]}"
fp_log "Debian packages ready (${pkgs[*]})"
