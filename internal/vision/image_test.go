package vision

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/image/bmp"
)

func encJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gradient is a 64×48 image whose top-left pixel is red and top-right blue,
// so orientation transforms can be checked.
func gradient() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			c := color.NRGBA{128, 128, 128, 255}
			switch {
			case x < 16 && y < 16:
				c = color.NRGBA{255, 0, 0, 255}
			case x >= 48 && y < 16:
				c = color.NRGBA{0, 0, 255, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// withOrientation inserts an EXIF APP1 segment carrying orientation o right after SOI.
func withOrientation(jpg []byte, o uint16, bo binary.ByteOrder) []byte {
	var tiff bytes.Buffer
	if bo == binary.LittleEndian {
		tiff.WriteString("II")
	} else {
		tiff.WriteString("MM")
	}
	binary.Write(&tiff, bo, uint16(42))
	binary.Write(&tiff, bo, uint32(8))
	binary.Write(&tiff, bo, uint16(1))      // one entry
	binary.Write(&tiff, bo, uint16(0x0112)) // orientation
	binary.Write(&tiff, bo, uint16(3))      // SHORT
	binary.Write(&tiff, bo, uint32(1))
	binary.Write(&tiff, bo, o)
	binary.Write(&tiff, bo, uint16(0))
	binary.Write(&tiff, bo, uint32(0))
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2])
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(jpg[2:])
	return out.Bytes()
}

func isRed(c color.NRGBA) bool  { return c.R > 200 && c.G < 60 && c.B < 60 }
func isBlue(c color.NRGBA) bool { return c.B > 200 && c.R < 60 && c.G < 60 }

func TestDecodeEXIFOrientation(t *testing.T) {
	base := encJPEG(t, gradient())
	cases := []struct {
		o             uint16
		w, h          int
		redAt, blueAt image.Point
	}{
		{1, 64, 48, image.Pt(2, 2), image.Pt(61, 2)},
		{3, 64, 48, image.Pt(61, 45), image.Pt(2, 45)},
		{6, 48, 64, image.Pt(45, 2), image.Pt(45, 61)}, // rotate 90° clockwise to display
		{8, 48, 64, image.Pt(2, 61), image.Pt(2, 2)},
		{2, 64, 48, image.Pt(61, 2), image.Pt(2, 2)},
	}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, c := range cases {
			img, err := Decode(withOrientation(base, c.o, bo), Limits{})
			if err != nil {
				t.Fatalf("orientation %d: %v", c.o, err)
			}
			if img.Rect.Dx() != c.w || img.Rect.Dy() != c.h {
				t.Fatalf("orientation %d: size %v, want %dx%d", c.o, img.Rect, c.w, c.h)
			}
			if r := img.NRGBAAt(c.redAt.X, c.redAt.Y); !isRed(r) {
				t.Errorf("orientation %d (%v): pixel at %v is %v, want red", c.o, bo, c.redAt, r)
			}
			if b := img.NRGBAAt(c.blueAt.X, c.blueAt.Y); !isBlue(b) {
				t.Errorf("orientation %d (%v): pixel at %v is %v, want blue", c.o, bo, c.blueAt, b)
			}
		}
	}
}

// pngHeaderOnly builds a PNG that declares w×h but has no pixel data: the
// decompression-bomb shape (a real bomb compresses to kilobytes).
func pngHeaderOnly(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestDecodeBadInput(t *testing.T) {
	good := encJPEG(t, gradient())
	tiny := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	var tinyPNG bytes.Buffer
	png.Encode(&tinyPNG, tiny)
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"text", []byte("hello, this is not an image at all"), ErrFormat},
		{"truncated jpeg", good[:len(good)/2], ErrFormat},
		{"jpeg header only", good[:20], ErrFormat},
		{"1x1 png", tinyPNG.Bytes(), ErrTooSmall},
		{"20000x20000 png bomb", pngHeaderOnly(20000, 20000), ErrTooLarge},
		{"gif", mustRead(t, filepath.Join(runtime.GOROOT(), "src/image/testdata/video-001.gif")), ErrFormat},
	}
	for _, c := range cases {
		img, err := Decode(c.data, Limits{})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
		if img != nil {
			t.Errorf("%s: got an image", c.name)
		}
		if code, _, ok := IntakeCode(err); !ok || code < 216200 || code > 216203 {
			t.Errorf("%s: code %d", c.name, code)
		}
	}
	if _, err := Decode(good, Limits{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxBytes: %v", err)
	}
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("%s: %v", p, err)
	}
	return b
}

func TestDecodeFormats(t *testing.T) {
	td := filepath.Join(runtime.GOROOT(), "src/image/testdata")
	for _, f := range []string{"video-001.cmyk.jpeg", "video-005.gray.jpeg", "video-001.progressive.jpeg", "video-001.png", "video-005.gray.png", "video-001.q50.420.jpeg"} {
		img, err := Decode(mustRead(t, filepath.Join(td, f)), Limits{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		// video-001 is 150×103 with a mostly blue-ish background at the top-left.
		if img.Rect.Dx() != 150 || img.Rect.Dy() != 103 {
			t.Errorf("%s: size %v", f, img.Rect)
		}
		if img.Pix[3] != 255 {
			t.Errorf("%s: not opaque", f)
		}
	}
	// CMYK and YCbCr decodes of the same picture agree.
	a, _ := Decode(mustRead(t, filepath.Join(td, "video-001.cmyk.jpeg")), Limits{})
	b, _ := Decode(mustRead(t, filepath.Join(td, "video-001.jpeg")), Limits{})
	if a != nil && b != nil {
		var diff float64
		for i := range a.Pix {
			d := float64(a.Pix[i]) - float64(b.Pix[i])
			diff += d * d
		}
		// Naive CMYK→RGB (no ICC profile) is off by ~40 levels; an inverted
		// decode would be off by ~150.
		if rms := diff / float64(len(a.Pix)); rms > 2500 {
			t.Errorf("CMYK decode differs from YCbCr: mean sq diff %.0f", rms)
		}
	}

	// PNG with alpha: transparent pixels become white, opaque ones keep their colour.
	al := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for i := 0; i < 32*16; i++ {
		al.Pix[i*4+0], al.Pix[i*4+3] = 200, 255
	}
	var pb bytes.Buffer
	png.Encode(&pb, al)
	img, err := Decode(pb.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if c := img.NRGBAAt(5, 30); c != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("transparent pixel = %v, want white", c)
	}
	if c := img.NRGBAAt(5, 2); c != (color.NRGBA{200, 0, 0, 255}) {
		t.Errorf("opaque pixel = %v", c)
	}

	// BMP round trip.
	var bb bytes.Buffer
	bmp.Encode(&bb, gradient())
	if img, err := Decode(bb.Bytes(), Limits{}); err != nil || !isRed(img.NRGBAAt(2, 2)) {
		t.Errorf("bmp: %v", err)
	}
}

func TestDecodeBase64(t *testing.T) {
	good := encJPEG(t, gradient())
	s := base64.StdEncoding.EncodeToString(good)
	for name, in := range map[string]string{
		"std":      s,
		"data url": "data:image/jpeg;base64," + s,
		"wrapped":  s[:60] + "\n" + s[60:],
		"url":      base64.RawURLEncoding.EncodeToString(good),
	} {
		if _, err := DecodeBase64(in, Limits{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := DecodeBase64("", Limits{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := DecodeBase64("@@@not base64@@@", Limits{}); !errors.Is(err, ErrBase64) {
		t.Errorf("garbage: %v", err)
	}
	if code, _, _ := IntakeCode(ErrBase64); code != 216203 {
		t.Errorf("base64 code %d", code)
	}
	big := make([]byte, 2000)
	if _, err := DecodeBase64(base64.StdEncoding.EncodeToString(big), Limits{MaxBytes: 1000}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too long: %v", err)
	}
}

// FuzzDecode checks that no input makes intake panic or exceed its limits.
// Seeds: testdata/fuzz/FuzzDecode plus the images made here.
func FuzzDecode(f *testing.F) {
	f.Add(encJPEG(f, gradient()))
	f.Add(withOrientation(encJPEG(f, gradient()), 6, binary.BigEndian))
	f.Add(pngHeaderOnly(100, 100))
	var pb bytes.Buffer
	png.Encode(&pb, gradient())
	f.Add(pb.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxBytes: 1 << 20, MaxSide: 2048, MaxPixels: 1 << 20, MinSide: 1}
		img, err := Decode(data, lim)
		if err != nil {
			if _, _, ok := IntakeCode(err); !ok {
				t.Fatalf("error without a Baidu code: %v", err)
			}
			return
		}
		w, h := img.Rect.Dx(), img.Rect.Dy()
		if w*h > lim.MaxPixels || w > lim.MaxSide || h > lim.MaxSide {
			t.Fatalf("decoded %d×%d past the limits", w, h)
		}
	})
}

// ToNRGBA's fast path (drawing opaque sources through RGBA) must give the
// same pixels as the colour model's own conversion.
func TestToNRGBAMatchesColorModel(t *testing.T) {
	r := image.Rect(0, 0, 37, 23)
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	gray := image.NewGray(r)
	cmyk := image.NewCMYK(r)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i * 7)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = uint8(i*13), uint8(255-i*5)
	}
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 3)
	}
	for i := range cmyk.Pix {
		cmyk.Pix[i] = uint8(i * 11)
	}
	for _, src := range []image.Image{ycc, gray, cmyk} {
		got := ToNRGBA(src)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				want := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
				if g := got.NRGBAAt(x, y); g != want {
					t.Fatalf("%T at (%d,%d): got %v, want %v", src, x, y, g, want)
				}
			}
		}
	}
}
