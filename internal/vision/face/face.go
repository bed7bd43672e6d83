// Package face is the face pipeline: detection, landmarks, alignment,
// embedding, anti-spoofing, eye state, head pose and quality, on the
// faceplugin ONNX models (scripts/fetch-models.sh installs them).
package face

import (
	"errors"
	"image"
	"time"
)

// ErrNoFace means no face was found where one was needed (Baidu 222202).
var ErrNoFace = errors.New("face: no face found")

// Point is a pixel position in the input image.
type Point struct{ X, Y float64 }

// Box is a face rectangle in pixels of the input image.
type Box struct{ Left, Top, Width, Height float64 }

// Rect returns the box as an integer rectangle (may extend past the image).
func (b Box) Rect() image.Rectangle {
	return image.Rect(int(b.Left), int(b.Top), int(b.Left+b.Width+0.5), int(b.Top+b.Height+0.5))
}

// Center is the centre of the box.
func (b Box) Center() Point { return Point{b.Left + b.Width/2, b.Top + b.Height/2} }

// Area is width × height.
func (b Box) Area() float64 { return b.Width * b.Height }

// Pose is the head pose in degrees (fr_pose): yaw left/right, pitch up/down,
// roll in-plane. fr_pose reads a frontal face as about +5…+10 yaw.
type Pose struct{ Yaw, Pitch, Roll float64 }

// Eyes is the eye state: open probabilities from fr_eye (0…1) and eye
// aspect ratios from the 68 landmarks (≈0.3 open, < 0.2 closed). The
// landmark ratio also works on low-resolution webcams where fr_eye does not.
type Eyes struct {
	LeftOpen, RightOpen float64 // subject's left/right eye (image right/left)
	LeftEAR, RightEAR   float64
}

// Occlusion is the share (0…1) of each face part judged covered, Baidu style.
// It is derived from the landmark model's local consistency and skin
// statistics, so it is coarse: 0 means not occluded as far as we can tell.
type Occlusion struct {
	LeftEye, RightEye, Nose, Mouth, LeftCheek, RightCheek, Chin float64
}

// Quality measures how usable a face is for comparison.
type Quality struct {
	Size         float64   // face box shorter side in pixels
	Blur         float64   // 0 sharp … 1 blurry (Baidu semantics), from the variance of the Laplacian
	Sharpness    float64   // raw variance of the Laplacian of the 112×112 aligned grey face
	Brightness   float64   // mean grey level of the face, 0…255 (Baidu "illumination")
	Completeness float64   // 1 when the whole face box lies inside the image, else the visible share
	Occlusion    Occlusion // coarse occlusion estimate
}

// Face is one detected face. Fields beyond Box and Score are filled as the
// DetectOptions asked; Has* tell which.
type Face struct {
	Box   Box
	Score float64 // detector confidence 0…1

	HasLandmarks bool
	Landmarks    [68]Point // iBUG 68-point layout
	KeyPoints    [5]Point  // image-left eye, image-right eye, nose tip, mouth left, mouth right (ArcFace order)
	MouthOpen    float64   // inner-lip gap / face height (~0.01 closed, ~0.15 open)

	HasPose bool
	Pose    Pose

	HasEyes bool
	Eyes    Eyes

	HasLive bool
	Live    float64    // fr_liveness probability that the face is live (BGR input)
	Spoof   [3]float64 // fr_liveness softmax: [live, attack class 1, attack class 2]

	HasQuality bool
	Quality    Quality
}

// DetectOptions say how many faces to return and what to measure on each.
type DetectOptions struct {
	MaxFaces  int // ≤ 0 means 1; faces are returned largest first
	Landmarks bool
	Pose      bool
	Eyes      bool // implies Landmarks
	Liveness  bool
	Quality   bool    // implies Landmarks
	MinScore  float64 // detector threshold; 0 means the default (0.7)
	MinSize   int     // smallest face side in pixels to report; 0 means 20
}

// EmbeddingSize is the length of a face embedding.
const EmbeddingSize = 512

// Embedding is an L2-normalised fr_feature vector.
type Embedding [EmbeddingSize]float32

// CompareResult is the comparison of the largest face in each of two images.
type CompareResult struct {
	Score  float64 // calibrated 0…100 (80 ≈ FAR 1e-4, 70 ≈ FAR 1e-3)
	Cosine float64 // raw cosine similarity of the embeddings
	A, B   Face    // the faces compared, with landmarks and quality
	Millis int64   // wall time of the comparison
}

// Options tune the engine.
type Options struct {
	Threads int           // intra-op threads per model session; 0 means 1
	Workers int           // concurrent Detect/Embed jobs; 0 means 2
	Queue   time.Duration // longest wait for a worker before vision.ErrBusy; 0 means 2 s
	// AnchorsFile is a score-anchors file (`faceprint eval faces DIR
	// --calibrate --write FILE`) to use instead of DefaultAnchors; empty
	// means modelsDir/face/score_anchors.json when it exists. The anchors
	// are process-wide: Score has no engine.
	AnchorsFile string
	// Skip* leave optional models unloaded (saves memory where unused).
	SkipPose, SkipEyes, SkipLiveness bool
}
