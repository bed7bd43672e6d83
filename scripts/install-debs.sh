#!/usr/bin/env bash
# Installs the Debian packages faceprint needs: ffmpeg (video liveness) always;
# for the test suite also PostgreSQL, Chromium (H5 browser tests) and the CJK and
# OCR-B fonts (synthetic ID cards). As root it runs apt-get; otherwise it says
# what is missing.
# Usage: scripts/install-debs.sh [run|test]
. "$(dirname "$0")/lib.sh"

mode=${1:-run}
pkgs=(ffmpeg ca-certificates)
if [ "$mode" = test ]; then
	pkgs+=(postgresql chromium fonts-noto-cjk fonts-ocr-b)
fi
fp_apt_install "${pkgs[@]}"
fp_log "Debian packages ready (${pkgs[*]})"
