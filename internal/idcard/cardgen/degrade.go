package cardgen

import (
	"image"
	"math"
	"math/rand/v2"

	"github.com/faceprint/faceprint/internal/idcard"
	"github.com/faceprint/faceprint/internal/vision/ocr"
)

// Capture describes how a card is photographed.
type Capture struct {
	Width, Height int     // photo size
	CardFrac      float64 // card width / photo long side
	Rotation      int     // 0, 90, 180, 270: clockwise turn of the card in the photo
	Tilt          float64 // in-plane tilt, degrees
	Yaw, Pitch    float64 // out-of-plane tilt, degrees (perspective)
	Blur          float64 // Gaussian sigma, pixels
	Noise         float64 // Gaussian noise sigma, grey levels
	Glare         float64 // peak strength of a glare spot (0 = none)
	Shadow        float64 // darkest factor of a shadow gradient (0 = none)
	BusyBG        bool
	Screen        bool       // re-captured from a screen (pixel grid + moiré)
	Photocopy     bool       // greyscale photocopy
	Quality       string     // "", "blurred", "over_exposure", "over_dark"
	Shift         [2]float64 // card centre offset as a fraction of the photo (cut-off cards)
	JPEGQuality   int
}

// RandomCapture draws a phone-capture degradation.
func RandomCapture(r *rand.Rand, mix Mix) Capture {
	c := Capture{
		Width:       1024 + 32*r.IntN(14),
		CardFrac:    0.5 + 0.3*r.Float64(),
		Tilt:        (r.Float64()*2 - 1) * 8,
		Yaw:         (r.Float64()*2 - 1) * 20,
		Pitch:       (r.Float64()*2 - 1) * 20,
		Blur:        r.Float64() * 1.2,
		Noise:       r.Float64() * 5,
		BusyBG:      r.IntN(2) == 0,
		JPEGQuality: 40 + r.IntN(53),
	}
	c.Height = c.Width * 3 / 4
	if r.Float64() < 0.3 {
		c.Glare = 0.2 + 0.25*r.Float64()
	}
	if r.Float64() < 0.3 {
		c.Shadow = 0.55 + 0.3*r.Float64()
	}
	if r.Float64() < mix.Rotated {
		c.Rotation = 90 * (1 + r.IntN(3))
		if c.Rotation != 180 {
			c.Width, c.Height = c.Height, c.Width
		}
	}
	switch x := r.Float64(); {
	case x < mix.Screen:
		c.Screen = true
	case x < mix.Screen+mix.Photocopy:
		c.Photocopy = true
	}
	if r.Float64() < mix.BadQuality {
		c.Quality = pick(r, []string{"blurred", "over_exposure", "over_dark"})
	}
	return c
}

// Degrade photographs the card: it places it in a scene with perspective,
// then applies lighting, screen or copy effects, blur and noise. It returns
// the photo and the card's corners in it (TL, TR, BR, BL of the card).
func Degrade(card *image.RGBA, c Capture, r *rand.Rand) (*image.RGBA, ocr.Quad) {
	W, H := c.Width, c.Height
	img := scene(r, W, H, c)
	src := card
	if c.Photocopy {
		src = photocopy(card, r)
	}
	// Project the card plane: tilt about its axes, turn in-plane, place.
	long := float64(max(W, H))
	cw := c.CardFrac * long
	if c.Rotation == 90 || c.Rotation == 270 {
		cw = c.CardFrac * float64(H)
	} else {
		cw = c.CardFrac * float64(W)
	}
	ch := cw * idcard.CardH / idcard.CardW
	yaw, pitch := c.Yaw*math.Pi/180, c.Pitch*math.Pi/180
	rot := (float64(c.Rotation) + c.Tilt) * math.Pi / 180
	f := math.Hypot(float64(W), float64(H)) * 1.1
	cx := float64(W)/2 + (r.Float64()*2-1)*float64(W)*0.05 + c.Shift[0]*float64(W)
	cy := float64(H)/2 + (r.Float64()*2-1)*float64(H)*0.05 + c.Shift[1]*float64(H)
	project := func(x, y float64) ocr.Point {
		// yaw about the vertical axis, pitch about the horizontal one.
		X := x * math.Cos(yaw)
		Z1 := x * math.Sin(yaw)
		Y := y*math.Cos(pitch) - Z1*math.Sin(pitch)
		Z := y*math.Sin(pitch) + Z1*math.Cos(pitch)
		px, py := f*X/(f+Z), f*Y/(f+Z)
		return ocr.Point{
			X: cx + px*math.Cos(rot) - py*math.Sin(rot),
			Y: cy + px*math.Sin(rot) + py*math.Cos(rot),
		}
	}
	quad := ocr.Quad{project(-cw/2, -ch/2), project(cw/2, -ch/2), project(cw/2, ch/2), project(-cw/2, ch/2)}
	cardRect := []ocr.Point{{X: 0, Y: 0}, {X: idcard.CardW, Y: 0}, {X: idcard.CardW, Y: idcard.CardH}, {X: 0, Y: idcard.CardH}}
	toCard, ok := ocr.FitHomography(quad[:], cardRect)
	if ok {
		composite(img, src, toCard, quad)
	}
	if c.Shadow > 0 {
		shadow(img, r, c.Shadow)
	}
	if c.Glare > 0 {
		p := quad.Along(0.2+0.6*r.Float64(), 0.2+0.6*r.Float64())
		glare(img, p, cw*(0.08+0.1*r.Float64()), c.Glare)
	}
	if c.Screen {
		screen(img, r)
	}
	switch c.Quality {
	case "blurred":
		c.Blur = 4 + 2*r.Float64()
	case "over_exposure":
		scale(img, 2.2, 60)
	case "over_dark":
		scale(img, 0.16, 0)
	}
	if c.Blur > 0.3 {
		blur(img, c.Blur)
	}
	if c.Noise > 0 {
		noise(img, r, c.Noise, c.Photocopy)
	}
	if c.Photocopy {
		// Room light tints the grey copy slightly.
		tint(img, 1+0.05*r.Float64(), 1, 1-0.06*r.Float64())
	}
	return img, quad
}

// scene paints the background: plain or busy clutter.
func scene(r *rand.Rand, w, h int, c Capture) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	base := [3]float64{60 + r.Float64()*150, 60 + r.Float64()*150, 60 + r.Float64()*150}
	if c.Photocopy {
		base = [3]float64{235, 235, 232} // the copy paper
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g := 0.85 + 0.15*float64(x+y)/float64(w+h)
			o := y*img.Stride + x*4
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = u8(base[0]*g), u8(base[1]*g), u8(base[2]*g), 255
		}
	}
	if c.BusyBG && !c.Photocopy {
		for i := 0; i < 25; i++ {
			col := [3]uint8{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256))}
			x0, y0 := r.IntN(w), r.IntN(h)
			x1, y1 := min(w, x0+20+r.IntN(w/3)), min(h, y0+20+r.IntN(h/3))
			circle := r.IntN(2) == 0
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					if circle {
						dx := float64(x-x0)/float64(x1-x0) - 0.5
						dy := float64(y-y0)/float64(y1-y0) - 0.5
						if dx*dx+dy*dy > 0.25 {
							continue
						}
					}
					o := y*img.Stride + x*4
					img.Pix[o], img.Pix[o+1], img.Pix[o+2] = col[0], col[1], col[2]
				}
			}
		}
	}
	return img
}

// composite draws the card into img through the homography (photo → card),
// only inside quad; transparent card pixels (rounded corners) keep the scene.
func composite(img, card *image.RGBA, toCard ocr.Homography, quad ocr.Quad) {
	lo, hi := quad.Bounds()
	x0, y0 := max(0, int(lo.X)), max(0, int(lo.Y))
	x1, y1 := min(img.Rect.Dx()-1, int(hi.X)+1), min(img.Rect.Dy()-1, int(hi.Y)+1)
	cw, ch := card.Rect.Dx(), card.Rect.Dy()
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			p := toCard.Apply(ocr.Point{X: float64(x) + 0.5, Y: float64(y) + 0.5})
			if p.X < 0 || p.Y < 0 || p.X >= float64(cw) || p.Y >= float64(ch) {
				continue
			}
			sx, sy := p.X-0.5, p.Y-0.5
			ix, iy := int(math.Max(0, sx)), int(math.Max(0, sy))
			if card.Pix[iy*card.Stride+ix*4+3] == 0 {
				continue
			}
			fx, fy := math.Max(0, sx)-float64(ix), math.Max(0, sy)-float64(iy)
			jx, jy := min(ix+1, cw-1), min(iy+1, ch-1)
			o := y*img.Stride + x*4
			for k := 0; k < 3; k++ {
				a := float64(card.Pix[iy*card.Stride+ix*4+k])*(1-fx) + float64(card.Pix[iy*card.Stride+jx*4+k])*fx
				b := float64(card.Pix[jy*card.Stride+ix*4+k])*(1-fx) + float64(card.Pix[jy*card.Stride+jx*4+k])*fx
				img.Pix[o+k] = u8(a*(1-fy) + b*fy)
			}
		}
	}
}

// photocopy turns the card grey with copier contrast (whites blown, blacks crushed).
func photocopy(card *image.RGBA, r *rand.Rand) *image.RGBA {
	out := image.NewRGBA(card.Rect)
	gain := 1.3 + 0.3*r.Float64()
	for i := 0; i < len(card.Pix); i += 4 {
		y := 0.299*float64(card.Pix[i]) + 0.587*float64(card.Pix[i+1]) + 0.114*float64(card.Pix[i+2])
		v := u8((y-128)*gain + 150)
		out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = v, v, v, card.Pix[i+3]
	}
	return out
}

func shadow(img *image.RGBA, r *rand.Rand, darkest float64) {
	a := r.Float64() * 2 * math.Pi
	dx, dy := math.Cos(a), math.Sin(a)
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	span := math.Abs(dx)*w + math.Abs(dy)*h
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			t := ((float64(x)-w/2)*dx+(float64(y)-h/2)*dy)/span + 0.5
			f := darkest + (1-darkest)*math.Min(1, math.Max(0, t*1.6))
			o := y*img.Stride + x*4
			for k := 0; k < 3; k++ {
				img.Pix[o+k] = u8(float64(img.Pix[o+k]) * f)
			}
		}
	}
}

func glare(img *image.RGBA, c ocr.Point, radius, strength float64) {
	x0, x1 := max(0, int(c.X-3*radius)), min(img.Rect.Dx(), int(c.X+3*radius))
	y0, y1 := max(0, int(c.Y-3*radius)), min(img.Rect.Dy(), int(c.Y+3*radius))
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			d2 := (float64(x)-c.X)*(float64(x)-c.X) + (float64(y)-c.Y)*(float64(y)-c.Y)
			g := strength * math.Exp(-d2/(2*radius*radius))
			o := y*img.Stride + x*4
			for k := 0; k < 3; k++ {
				img.Pix[o+k] = u8(float64(img.Pix[o+k]) + (255-float64(img.Pix[o+k]))*g)
			}
		}
	}
}

// screen imitates photographing a display: the RGB sub-pixel grid, mostly
// below the camera's resolution, shows as a faint texture and as moiré
// bands where it beats with the sensor; plus a blue cast and raised blacks.
func screen(img *image.RGBA, r *rand.Rand) {
	pitch := 2.6 + 1.4*r.Float64()
	ang := (r.Float64()*2 - 1) * 0.08
	ca, sa := math.Cos(ang), math.Sin(ang)
	mT := 7 + 14*r.Float64()
	mA := r.Float64() * math.Pi
	mc, ms := math.Cos(mA), math.Sin(mA)
	amp := 0.05 + 0.07*r.Float64()
	grid := 0.08 + 0.1*r.Float64()
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			u := float64(x)*ca + float64(y)*sa
			v := -float64(x)*sa + float64(y)*ca
			sub := int(math.Floor(u/pitch*3)) % 3
			if sub < 0 {
				sub += 3
			}
			row := 1.0
			if math.Mod(math.Abs(v), pitch) < pitch*0.25 {
				row = 1 - grid
			}
			// Colour moiré: the bands shift hue as well as brightness.
			ph := 2 * math.Pi * (float64(x)*mc + float64(y)*ms) / mT
			o := y*img.Stride + x*4
			for k := 0; k < 3; k++ {
				g := 1 - grid
				if k == sub {
					g = 1.0
				}
				m := 1 + amp*math.Sin(ph+float64(k)*2.1)
				v := float64(img.Pix[o+k])*0.88 + 22
				if k == 2 {
					v += 10
				}
				img.Pix[o+k] = u8(v * g * row * m * (1 + grid))
			}
		}
	}
}

func scale(img *image.RGBA, gain, offset float64) {
	for i := 0; i < len(img.Pix); i += 4 {
		for k := 0; k < 3; k++ {
			img.Pix[i+k] = u8(float64(img.Pix[i+k])*gain + offset)
		}
	}
}

// blur applies a separable Gaussian blur.
func blur(img *image.RGBA, sigma float64) {
	rad := int(math.Ceil(sigma * 2.5))
	k := make([]float64, 2*rad+1)
	var s float64
	for i := range k {
		d := float64(i - rad)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		s += k[i]
	}
	for i := range k {
		k[i] /= s
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	tmp := make([]float64, w*h*3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var a [3]float64
			for i, kv := range k {
				xx := min(w-1, max(0, x+i-rad))
				o := y*img.Stride + xx*4
				a[0] += kv * float64(img.Pix[o])
				a[1] += kv * float64(img.Pix[o+1])
				a[2] += kv * float64(img.Pix[o+2])
			}
			copy(tmp[(y*w+x)*3:], a[:])
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var a [3]float64
			for i, kv := range k {
				yy := min(h-1, max(0, y+i-rad))
				t := tmp[(yy*w+x)*3:]
				a[0] += kv * t[0]
				a[1] += kv * t[1]
				a[2] += kv * t[2]
			}
			o := y*img.Stride + x*4
			img.Pix[o], img.Pix[o+1], img.Pix[o+2] = u8(a[0]), u8(a[1]), u8(a[2])
		}
	}
}

func noise(img *image.RGBA, r *rand.Rand, sigma float64, grey bool) {
	for i := 0; i < len(img.Pix); i += 4 {
		if grey {
			n := r.NormFloat64() * sigma
			for k := 0; k < 3; k++ {
				img.Pix[i+k] = u8(float64(img.Pix[i+k]) + n)
			}
			continue
		}
		for k := 0; k < 3; k++ {
			img.Pix[i+k] = u8(float64(img.Pix[i+k]) + r.NormFloat64()*sigma)
		}
	}
}

func tint(img *image.RGBA, fr, fg, fb float64) {
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i] = u8(float64(img.Pix[i]) * fr)
		img.Pix[i+1] = u8(float64(img.Pix[i+1]) * fg)
		img.Pix[i+2] = u8(float64(img.Pix[i+2]) * fb)
	}
}
