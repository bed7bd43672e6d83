package cli

import (
	"fmt"
	"image"
	"math"
	"os"

	"github.com/spf13/cobra"

	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/face"
)

func init() { register(newFaceCmd) }

func newFaceCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "face",
		Short: "Detect and compare faces with the local models",
	}
	cmd.AddCommand(newFaceDetectCmd(env), newFaceCompareCmd(env))
	return cmd
}

// openFaceEngine opens the runtime and the face models under modelsDir.
func openFaceEngine(modelsDir string, opts face.Options) (*face.Engine, func(), error) {
	rt, err := vision.OpenRuntime(vision.LibPath(modelsDir))
	if err != nil {
		return nil, nil, err
	}
	e, err := face.Open(rt, modelsDir, opts)
	if err != nil {
		rt.Close()
		return nil, nil, err
	}
	return e, func() { e.Close(); rt.Close() }, nil
}

func readImage(path string) (*imageFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, err := vision.Decode(data, vision.DefaultLimits())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &imageFile{path: path, bytes: len(data), img: img}, nil
}

// faceJSON is the CLI's description of one face.
type faceJSON struct {
	Box       face.Box      `json:"box"`
	Score     float64       `json:"score"`
	Pose      face.Pose     `json:"pose"`
	Eyes      face.Eyes     `json:"eyes"`
	MouthOpen float64       `json:"mouth_open"`
	Live      float64       `json:"live"`
	Quality   face.Quality  `json:"quality"`
	KeyPoints [5]face.Point `json:"key_points"`
}

func toFaceJSON(f face.Face) faceJSON {
	return faceJSON{Box: f.Box, Score: f.Score, Pose: f.Pose, Eyes: f.Eyes, MouthOpen: f.MouthOpen, Live: f.Live, Quality: f.Quality, KeyPoints: f.KeyPoints}
}

func newFaceDetectCmd(env *Env) *cobra.Command {
	var maxFaces int
	cmd := &cobra.Command{
		Use:     "detect IMAGE",
		Short:   "Detect faces and print box, pose, eyes, liveness and quality as JSON",
		Example: "  faceprint face detect photo.jpg --max 5",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			im, err := readImage(args[0])
			if err != nil {
				return err
			}
			e, done, err := openFaceEngine(env.ModelsDir, face.Options{})
			if err != nil {
				return err
			}
			defer done()
			faces, err := e.Detect(cmd.Context(), im.img, face.DetectOptions{MaxFaces: maxFaces, Landmarks: true, Pose: true, Eyes: true, Liveness: true, Quality: true})
			if err != nil {
				return err
			}
			out := struct {
				Image  string     `json:"image"`
				Width  int        `json:"width"`
				Height int        `json:"height"`
				Faces  []faceJSON `json:"faces"`
				Model  string     `json:"model"`
			}{args[0], im.img.Rect.Dx(), im.img.Rect.Dy(), []faceJSON{}, e.ModelVersion()}
			for _, f := range faces {
				out.Faces = append(out.Faces, toFaceJSON(f))
			}
			return env.PrintJSON(out)
		},
	}
	cmd.Flags().IntVar(&maxFaces, "max", 10, "most faces to report (largest first)")
	return cmd
}

func newFaceCompareCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compare IMAGE_A IMAGE_B",
		Short: "Compare the largest face of two images; prints the calibrated score (0–100, 80 ≈ FAR 1e-4)",
		Example: `  faceprint face compare a.jpg b.jpg
  {"score": 93.3, "cosine": 0.731, "match": true, ...}`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := readImage(args[0])
			if err != nil {
				return err
			}
			b, err := readImage(args[1])
			if err != nil {
				return err
			}
			e, done, err := openFaceEngine(env.ModelsDir, face.Options{})
			if err != nil {
				return err
			}
			defer done()
			r, err := e.Compare(cmd.Context(), a.img, b.img)
			if err != nil {
				return err
			}
			return env.PrintJSON(struct {
				Score     float64  `json:"score"`
				Cosine    float64  `json:"cosine"`
				Match     bool     `json:"match"`
				Threshold float64  `json:"threshold"`
				A         faceJSON `json:"face_a"`
				B         faceJSON `json:"face_b"`
				Millis    int64    `json:"millis"`
				Model     string   `json:"model"`
			}{round2(r.Score), round4(r.Cosine), r.Score >= 80, 80, toFaceJSON(r.A), toFaceJSON(r.B), r.Millis, e.ModelVersion()})
		},
	}
	return cmd
}

type imageFile struct {
	path  string
	bytes int
	img   *image.NRGBA
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
