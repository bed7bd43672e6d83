package liveness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// VideoLimits bound what a recorded video may cost to decode.
type VideoLimits struct {
	MaxBytes   int           // encoded size
	MaxSeconds float64       // decoded duration (longer videos are cut)
	MaxFrames  int           // frames after resampling to FPS
	FPS        int           // resampling rate
	MaxWidth   int           // frames are scaled down to this width
	Timeout    time.Duration // wall clock for ffmpeg
	FFmpegPath string        // default "ffmpeg" from PATH
	TempDir    string        // default os.TempDir()
}

// DefaultVideoLimits fit the H5 capture (≤ 15 s) and the REST video API
// (Baidu recommends 5–15 s mp4).
func DefaultVideoLimits() VideoLimits {
	return VideoLimits{MaxBytes: 20 << 20, MaxSeconds: 20, MaxFrames: 200, FPS: 10, MaxWidth: 640, Timeout: 30 * time.Second}
}

// ErrVideo marks a video that cannot be decoded (bad format, too big, too long to decode).
var ErrVideo = errors.New("video cannot be decoded")

// ErrNoFFmpeg is returned when ffmpeg is not installed.
var ErrNoFFmpeg = errors.New("ffmpeg is not installed (apt-get install ffmpeg)")

// DecodedFrame is one decoded frame with its time since the video start.
type DecodedFrame struct {
	AtMillis int64
	Image    *image.NRGBA
}

// DecodeVideo decodes a recorded video (mp4/webm/mov/…) with ffmpeg into
// frames resampled to lim.FPS. The bytes go through a private temp file
// (mp4 often needs seeking to its index); ffmpeg may read only that file and
// writes PPM frames to a pipe, so no frame touches the disk.
func DecodeVideo(ctx context.Context, data []byte, lim VideoLimits) ([]DecodedFrame, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrVideo)
	}
	if lim.MaxBytes > 0 && len(data) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrVideo, len(data), lim.MaxBytes)
	}
	bin := lim.FFmpegPath
	if bin == "" {
		bin = "ffmpeg"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, ErrNoFFmpeg
	}
	f, err := os.CreateTemp(lim.TempDir, "faceprint-video-*")
	if err != nil {
		return nil, fmt.Errorf("video temp file: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("video temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("video temp file: %w", err)
	}
	if lim.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim.Timeout)
		defer cancel()
	}
	fps := max(lim.FPS, 1)
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error",
		"-protocol_whitelist", "file", "-threads", "2",
		"-t", strconv.FormatFloat(lim.MaxSeconds, 'f', 2, 64),
		"-i", f.Name(), "-an", "-sn", "-dn",
		"-vf", fmt.Sprintf("fps=%d,scale='min(%d,iw)':-2:flags=bilinear", fps, max(lim.MaxWidth, 64)),
		"-frames:v", strconv.Itoa(max(lim.MaxFrames, 1)),
		"-f", "image2pipe", "-c:v", "ppm", "pipe:1"}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = []string{} // no proxies or other settings from the server's environment
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("ffmpeg: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("ffmpeg: %w", err)
	}
	frames, perr := readPPMStream(bufio.NewReaderSize(out, 1<<16), lim, fps)
	if perr != nil {
		_ = cmd.Process.Kill()
	}
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w: ffmpeg took longer than %v", ErrVideo, lim.Timeout)
	}
	if perr != nil {
		return nil, perr
	}
	if werr != nil && len(frames) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrVideo, bytes.TrimSpace(stderr.Bytes()))
	}
	if len(frames) == 0 {
		return nil, fmt.Errorf("%w: no video frames", ErrVideo)
	}
	return frames, nil
}

// readPPMStream splits concatenated binary PPM (P6, maxval 255) frames.
func readPPMStream(r *bufio.Reader, lim VideoLimits, fps int) ([]DecodedFrame, error) {
	var frames []DecodedFrame
	for {
		if _, err := r.Peek(1); err == io.EOF {
			return frames, nil
		}
		if lim.MaxFrames > 0 && len(frames) >= lim.MaxFrames {
			return frames, nil
		}
		var magic string
		var w, h, maxv int
		if _, err := fmt.Fscan(r, &magic, &w, &h, &maxv); err != nil || magic != "P6" || maxv != 255 {
			return nil, fmt.Errorf("%w: unexpected ffmpeg output", ErrVideo)
		}
		if _, err := r.ReadByte(); err != nil { // the single whitespace after maxval
			return nil, fmt.Errorf("%w: truncated frame", ErrVideo)
		}
		if w <= 0 || h <= 0 || w > 4096 || h > 4096 {
			return nil, fmt.Errorf("%w: frame size %dx%d", ErrVideo, w, h)
		}
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		row := make([]byte, 3*w)
		for y := range h {
			if _, err := io.ReadFull(r, row); err != nil {
				return nil, fmt.Errorf("%w: truncated frame", ErrVideo)
			}
			p := img.Pix[y*img.Stride:]
			for x := range w {
				p[4*x], p[4*x+1], p[4*x+2], p[4*x+3] = row[3*x], row[3*x+1], row[3*x+2], 255
			}
		}
		frames = append(frames, DecodedFrame{AtMillis: int64(len(frames)) * 1000 / int64(fps), Image: img})
	}
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		_, _ = l.w.Write(p[:k])
	}
	return len(p), nil
}
