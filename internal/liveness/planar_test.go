package liveness

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/faceprint/faceprint/internal/vision/face"
)

// scene renders a textured face-sized surface, 200 px across, seen by a
// pinhole camera (focal 600 px, 600 px away) turned by yaw degrees about the
// surface's vertical axis. With nose > 0 the surface has a bump of that
// height (px) in the middle, as a nose stands out of a face; with 0 it is a
// flat picture, whose every view is a homography of every other.
type scene struct {
	nose  float64
	mouth float64 // 0…1: how far the mouth is open (a dark slot below the nose)
	rng   *rand.Rand
}

const (
	sceneF, sceneD = 600.0, 600.0
	sceneW, sceneH = 320, 320
)

func (s scene) depth(u, v float64) float64 {
	return s.nose * math.Exp(-(u*u+(v-5)*(v-5))/(2*22*22))
}

// project maps a surface point (u, v) to the image at the given yaw.
func (s scene) project(u, v, yaw float64) face.Point {
	z := s.depth(u, v)
	sn, cs := math.Sincos(yaw * math.Pi / 180)
	x := u*cs + z*sn
	d := sceneD - (-u*sn + z*cs)
	return face.Point{X: sceneW/2 + sceneF*x/d, Y: sceneH/2 + sceneF*v/d}
}

// texture is a smooth grey pattern with face-like detail (a few px to tens of px).
func texture(u, v float64) float64 {
	return 120 + 35*math.Sin(u/6.0)*math.Sin(v/8.0) + 25*math.Sin((u+2*v)/13.0) + 20*math.Cos((3*u-v)/17.0)
}

// render draws the surface at yaw with brightness gain and sensor noise.
func (s scene) render(yaw, gain float64) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, sceneW, sceneH))
	sn, cs := math.Sincos(yaw * math.Pi / 180)
	for y := range sceneH {
		for x := range sceneW {
			px, py := float64(x)+0.5, float64(y)+0.5
			// invert the flat projection, then correct for the depth by
			// fixed-point iteration
			u, v := 0.0, 0.0
			for range 8 {
				z := s.depth(u, v)
				// the ray through (px, py) meets the depth-shifted surface
				xn, yn := (px-sceneW/2)/sceneF, (py-sceneH/2)/sceneF
				// x = u·cs + z·sn, d = D + u·sn − z·cs, x/d = xn
				u = (xn*(sceneD-z*cs) - z*sn) / (cs - xn*sn)
				d := sceneD + u*sn - z*cs
				v = yn * d
			}
			g := 230.0
			if math.Abs(u) <= 100 && math.Abs(v) <= 110 {
				g = texture(u, v)
			}
			if mu, mv := u/25, (v-45)/(12*s.mouth+1e-9); mu*mu+mv*mv < 1 {
				g = 25
			}
			g = g*gain + s.rng.NormFloat64()*1.5
			p := img.Pix[img.PixOffset(x, y):]
			c := uint8(max(0, min(255, g)))
			p[0], p[1], p[2], p[3] = c, c, c, 255
		}
	}
	return img
}

// frame is the observation of the surface at yaw: image, pose, 68
// landmark-like points (scattered over the face, with a pixel of jitter),
// the five key points and the box.
func (s scene) frame(yaw, gain float64) obs {
	var f face.Face
	f.HasPose, f.HasLandmarks = true, true
	f.Pose.Yaw = yaw
	for i := range 68 {
		u := -80 + 160*float64(i%9)/8
		v := -90 + 180*float64(i/9)/7
		p := s.project(u, v, yaw)
		f.Landmarks[i] = face.Point{X: p.X + s.rng.NormFloat64(), Y: p.Y + s.rng.NormFloat64()}
	}
	for i, uv := range [5][2]float64{{-30, -25}, {30, -25}, {0, 5}, {-25, 40}, {25, 40}} {
		f.KeyPoints[i] = s.project(uv[0], uv[1], yaw)
	}
	l, r := s.project(-100, 0, yaw), s.project(100, 0, yaw)
	f.Box = face.Box{Left: l.X, Top: sceneH/2 - 110, Width: r.X - l.X, Height: 220}
	return obs{HasFace: true, Face: f, Img: s.render(yaw, gain), Shape: f.Landmarks[:]}
}

// sceneAnalysis observes the surface at each yaw; with talk the mouth
// opens over the capture.
func sceneAnalysis(s scene, yaws []float64, talk bool) *analysis {
	a := &analysis{th: LevelThresholds("normal")}
	for k, y := range yaws {
		if talk {
			s.mouth = float64(k) / float64(len(yaws)-1)
		}
		a.obs = append(a.obs, s.frame(y, 1+0.02*float64(k)))
		a.faces = append(a.faces, k)
	}
	return a
}

func TestFitHomography(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	flat := scene{rng: rng}
	var src, dst []face.Point
	for range 68 {
		u, v := -80+160*rng.Float64(), -90+180*rng.Float64()
		src = append(src, flat.project(u, v, 0))
		dst = append(dst, flat.project(u, v, 20))
	}
	h, res, ok := fitHomography(src, dst)
	if !ok || res > 1e-6 {
		t.Fatalf("flat picture turned 20°: residual %.3g px (ok %v), want ≈ 0", res, ok)
	}
	if p, _ := h.apply(src[7]); math.Hypot(p.X-dst[7].X, p.Y-dst[7].Y) > 1e-6 {
		t.Fatalf("H(src) = %v, want %v", p, dst[7])
	}
	// the same points on a surface with a nose: no homography explains them
	nose := scene{nose: 45, rng: rng}
	src, dst = src[:0], dst[:0]
	for i := range 68 {
		u, v := -80+160*float64(i%9)/8, -90+180*float64(i/9)/7
		src = append(src, nose.project(u, v, 0))
		dst = append(dst, nose.project(u, v, 20))
	}
	if _, res, _ := fitHomography(src, dst); res < 1 {
		t.Fatalf("surface with a nose turned 20°: residual %.3g px, want ≥ 1", res)
	}
}

// TestNonPlanar: a flat picture turned and lit differently is explained by
// a homography and a brightness change (score ≪ threshold); the same
// motion of a surface with a nose is not, nor of a flat face that opens
// its mouth; without a turn the check abstains.
func TestNonPlanar(t *testing.T) {
	var yaws []float64 // a turn, 2° a frame
	for y := -12.0; y <= 12; y += 2 {
		yaws = append(yaws, y)
	}
	th := LevelThresholds("normal").MinNonPlanar
	flat, pairs := sceneAnalysis(scene{rng: rand.New(rand.NewPCG(3, 4))}, yaws, false).nonPlanar()
	if pairs < planarMinPairs || flat > th/2 {
		t.Errorf("flat picture: score %.4f over %d pairs, want < %.3f", flat, pairs, th/2)
	}
	head, pairs := sceneAnalysis(scene{nose: 45, rng: rand.New(rand.NewPCG(5, 6))}, yaws, false).nonPlanar()
	if pairs < planarMinPairs || head < 1.5*th {
		t.Errorf("surface with a nose: score %.4f over %d pairs, want ≥ %.3f", head, pairs, 1.5*th)
	}
	talk, pairs := sceneAnalysis(scene{rng: rand.New(rand.NewPCG(11, 12))}, yaws, true).nonPlanar()
	if pairs < planarMinPairs || talk < 1.5*th {
		t.Errorf("flat face opening its mouth: score %.4f over %d pairs, want ≥ %.3f", talk, pairs, 1.5*th)
	}
	sa := sceneAnalysis(scene{nose: 45, rng: rand.New(rand.NewPCG(7, 8))}, []float64{0, 1, 2, 3, 2, 3, 2, 1}, false)
	sa.obs[4].Face.Pose.Yaw = 12 // the pose model misreads one frame
	still, _ := sa.nonPlanar()
	if still != 99 {
		t.Errorf("no turn (one jumpy pose reading): score %.4f, want 99 (not judged)", still)
	}
	t.Logf("flat %.4f, nose %.4f, mouth %.4f (threshold %.3f)", flat, head, talk, th)
}

// TestPhotometricRegistrationConverges: starting from landmarks several
// pixels off, the registration still finds the homography of a flat
// picture.
func TestPhotometricRegistrationConverges(t *testing.T) {
	s := scene{rng: rand.New(rand.NewPCG(9, 10))}
	fi, fj := s.frame(-10, 1), s.frame(10, 0.8)
	h, _, ok := fitHomography(fi.Shape, fj.Shape)
	if !ok {
		t.Fatal("no homography")
	}
	h[2] += 3 // 3 px off in x, 2 in y
	h[5] += 2
	grid, _ := faceGrid(fi.Face, planarGrid)
	r := planarResidual(facePyramid(fi.Img, fi.Face), facePyramid(fj.Img, fj.Face), grid, h)
	if !(r < 0.05) {
		t.Fatalf("residual %.4f, want < 0.05", r)
	}
}

// TestGreyPatchSampling: block averaging and bilinear sampling keep image
// coordinates (a linear ramp is reproduced exactly, with its gradient).
func TestGreyPatchSampling(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 90, 60))
	for y := range 60 {
		for x := range 90 {
			p := img.Pix[img.PixOffset(x, y):]
			v := uint8(2*x + y)
			p[0], p[1], p[2], p[3] = v, v, v, 255
		}
	}
	for _, d := range []int{1, 3} {
		g := newGreyPatch(img, image.Rect(10, 5, 80, 55), d)
		for _, pt := range [][2]float64{{20.3, 17.8}, {41, 30.5}, {66.7, 44.1}} {
			v, gx, gy, ok := g.at(pt[0], pt[1])
			want := 2*pt[0] + pt[1]
			if !ok || math.Abs(v-want) > 0.01 || math.Abs(gx-2) > 1e-3 || math.Abs(gy-1) > 1e-3 {
				t.Errorf("d %d at %v: %.3f (%.3f, %.3f) ok %v, want %.3f (2, 1)", d, pt, v, gx, gy, ok, want)
			}
		}
		if _, _, _, ok := g.at(5, 30); ok {
			t.Errorf("d %d: a point outside the patch sampled", d)
		}
	}
}
