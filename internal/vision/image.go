package vision

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"
)

// Image intake errors. Each maps to one Baidu error code (see IntakeCode).
var (
	ErrEmpty    = errors.New("vision: empty image")                 // 216200
	ErrFormat   = errors.New("vision: image format error")          // 216201
	ErrTooLarge = errors.New("vision: image too large")             // 216202
	ErrTooSmall = errors.New("vision: image too small")             // 216202
	ErrBase64   = errors.New("vision: image base64 encoding error") // 216203
)

// IntakeCode maps an intake error to its Baidu error code and error_msg;
// ok is false for other errors.
func IntakeCode(err error) (code int, msg string, ok bool) {
	switch {
	case errors.Is(err, ErrEmpty):
		return 216200, "empty image", true
	case errors.Is(err, ErrFormat):
		return 216201, "image format error", true
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrTooSmall):
		return 216202, "image size error", true
	case errors.Is(err, ErrBase64):
		return 216203, "image size error", true
	}
	return 0, "", false
}

// Limits bound what Decode accepts. Zero fields take the default.
type Limits struct {
	MaxBytes  int // encoded size (after base64 decoding)
	MaxSide   int // longest side in pixels
	MaxPixels int // width × height; checked from the header, before decoding
	MinSide   int // shortest side in pixels
}

// DefaultLimits follow Baidu's documented image limits (10 MB, sides 15…8192 px)
// with a pixel cap that keeps one decoded image under ~160 MB.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 10 << 20, MaxSide: 8192, MaxPixels: 40_000_000, MinSide: 15}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxSide <= 0 {
		l.MaxSide = d.MaxSide
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	if l.MinSide <= 0 {
		l.MinSide = d.MinSide
	}
	return l
}

// DecodeBase64 decodes a base64 image (standard or URL alphabet, padding
// optional, an optional "data:image/…;base64," prefix and whitespace
// tolerated) and then Decode's it.
func DecodeBase64(s string, lim Limits) (*image.NRGBA, error) {
	data, err := Base64Bytes(s, lim)
	if err != nil {
		return nil, err
	}
	return Decode(data, lim)
}

// Base64Bytes decodes a base64 image payload without decoding the image,
// with the same tolerance and size limit as DecodeBase64.
func Base64Bytes(s string, lim Limits) ([]byte, error) {
	lim = lim.withDefaults()
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ErrEmpty
	}
	if strings.HasPrefix(s, "data:") {
		i := strings.Index(s, ",")
		if i < 0 {
			return nil, ErrBase64
		}
		s = s[i+1:]
	}
	if len(s) > lim.MaxBytes/3*4+8 {
		return nil, fmt.Errorf("%w: %d base64 characters", ErrTooLarge, len(s))
	}
	if strings.ContainsAny(s, " \r\n\t") {
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\r' || r == '\n' || r == '\t' {
				return -1
			}
			return r
		}, s)
	}
	s = strings.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	data, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBase64, err)
	}
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	return data, nil
}

// Decode reads a JPEG, PNG, BMP or WebP image within lim and returns it
// upright (JPEG EXIF orientation applied) as opaque NRGBA (transparency is
// composited on white). Sizes are checked from the header before any pixel
// is decoded, so a decompression bomb costs nothing.
func Decode(data []byte, lim Limits) (*image.NRGBA, error) {
	lim = lim.withDefaults()
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	if len(data) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrTooLarge, len(data), lim.MaxBytes)
	}
	format := sniff(data)
	if format == "" {
		return nil, fmt.Errorf("%w: not JPEG, PNG, BMP or WebP", ErrFormat)
	}
	cfg, err := decodeConfig(format, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrFormat, format, err)
	}
	w, h := cfg.Width, cfg.Height
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("%w: %d×%d", ErrFormat, w, h)
	}
	if w > lim.MaxSide || h > lim.MaxSide || int64(w)*int64(h) > int64(lim.MaxPixels) {
		return nil, fmt.Errorf("%w: %d×%d pixels", ErrTooLarge, w, h)
	}
	if w < lim.MinSide || h < lim.MinSide {
		return nil, fmt.Errorf("%w: %d×%d pixels (min side %d)", ErrTooSmall, w, h, lim.MinSide)
	}
	img, err := decodeImage(format, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, format, err)
	}
	out := ToNRGBA(img)
	if format == "jpeg" {
		if o := jpegOrientation(data); o > 1 {
			out = Orient(out, o)
		}
	}
	return out, nil
}

func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "png"
	case len(b) >= 2 && b[0] == 'B' && b[1] == 'M':
		return "bmp"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

func decodeConfig(format string, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		return jpeg.DecodeConfig(r)
	case "png":
		return png.DecodeConfig(r)
	case "bmp":
		return bmp.DecodeConfig(r)
	default:
		return webp.DecodeConfig(r)
	}
}

func decodeImage(format string, data []byte) (img image.Image, err error) {
	// The decoders are pure Go and return errors on bad input; the recover
	// is a last line of defence so a decoder bug can never take the server down.
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decoder panic: %v", p)
		}
	}()
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		return jpeg.Decode(r)
	case "png":
		return png.Decode(r)
	case "bmp":
		return bmp.Decode(r)
	default:
		return webp.Decode(r)
	}
}

// ToNRGBA converts any image to opaque NRGBA with origin (0,0), compositing
// transparent pixels on white.
func ToNRGBA(src image.Image) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch s := src.(type) {
	case *image.YCbCr, *image.Gray, *image.CMYK:
		// Opaque sources: draw into RGBA, which image/draw converts on its
		// fast paths (into NRGBA it goes pixel by pixel, 5× slower), and
		// reuse the bytes, which are the same for opaque pixels.
		rgba := &image.RGBA{Pix: dst.Pix, Stride: dst.Stride, Rect: dst.Rect}
		draw.Draw(rgba, rgba.Bounds(), s, b.Min, draw.Src)
		return dst
	}
	// Composite over white so transparent regions become white, not black.
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Over)
	for i := 3; i < len(dst.Pix); i += 4 {
		dst.Pix[i] = 0xFF
	}
	return dst
}

// Orient returns img transformed for EXIF orientation o (1…8) so that it
// displays upright. Orientation 1 or unknown values return img itself.
func Orient(img *image.NRGBA, o int) *image.NRGBA {
	if o < 2 || o > 8 {
		return img
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2: // mirrored horizontally
				dx, dy = w-1-x, y
			case 3: // rotated 180
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored vertically
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // rotate 90 clockwise to display
				dx, dy = h-1-y, x
			case 7: // transverse
				dx, dy = h-1-y, w-1-x
			case 8: // rotate 90 counter-clockwise to display
				dx, dy = y, w-1-x
			}
			si := y*img.Stride + x*4
			di := dy*dst.Stride + dx*4
			copy(dst.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return dst
}

// jpegOrientation returns the EXIF orientation tag (1…8) of a JPEG, or 0
// when there is none. It walks the marker segments up to the first scan and
// bounds-checks every offset, so hostile EXIF data just yields 0.
func jpegOrientation(b []byte) int {
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 0
		}
		m := b[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		if m == 0xDA || m == 0xD9 { // start of scan / end of image
			return 0
		}
		if m >= 0xD0 && m <= 0xD7 || m == 0x01 {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 0
		}
		seg := b[i+4 : i+2+n]
		if m == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 0
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for k := 0; k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			typ := bo.Uint16(t[e+2:])
			var v int
			switch typ {
			case 3: // SHORT
				v = int(bo.Uint16(t[e+8:]))
			case 4: // LONG
				v = int(bo.Uint32(t[e+8:]))
			default:
				return 0
			}
			if v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
	}
	return 0
}
