package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/face"
)

// Face V3 error codes (wire-reference §2.2).
const (
	CodeFaceParamNull       = 222001 // param[…] is null
	CodeFaceParamImage      = 222013 // param[image] format error
	CodeFaceParamImageType  = 222015
	CodeFaceParamMaxFaceNum = 222016
	CodeFaceParamFaceField  = 222017
	CodeFaceParamQuality    = 222019
	CodeFaceParamLiveness   = 222020
	CodeFaceParamFaceType   = 222024
	CodeFaceNoFace          = 222202
	CodeFaceImageCheck      = 222203
	CodeFaceURLDownload     = 222204
	CodeFaceImageCount      = 222208
	CodeFaceTokenMissing    = 222209
)

// faceImageMaxBase64 is Baidu's face image limit: 10 MB of base64.
const faceImageMaxBase64 = 10 << 20

// faceMaxFaceNum is the largest max_face_num detect accepts.
const faceMaxFaceNum = 10

const faceMissingModels = "Service temporarily unavailable: face models are not installed " +
	"(models/face/fr_detect.onnx, fr_landmark.onnx, fr_feature.onnx, fr_liveness.onnx, fr_eye.onnx, fr_pose.onnx " +
	"and models/lib/libonnxruntime.so.1; run scripts/fetch-models.sh)"

// registerFaceRoutes adds /rest/2.0/face/v3/detect and /match.
func (s *Server) registerFaceRoutes(mux *http.ServeMux) {
	s.handleREST(mux, "POST /rest/2.0/face/v3/detect", s.handleFaceDetect)
	s.handleREST(mux, "POST /rest/2.0/face/v3/match", s.handleFaceMatch)
}

// faceErr is a face V3 error to answer.
type faceErr struct {
	code int
	msg  string
}

func (e *faceErr) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

func paramNull(name string) *faceErr {
	return &faceErr{CodeFaceParamNull, "param[" + name + "] is null"}
}

func paramFormat(code int, name string) *faceErr {
	return &faceErr{code, "param[" + name + "] format error"}
}

// faceImageParams are the per-image parameters of detect and match.
type faceImageParams struct {
	image     string
	faceType  string
	quality   face.Level
	liveness  face.Level
	imageType string
}

// parseFaceImage reads image, image_type, face_type, quality_control and liveness_control.
func parseFaceImage(b Body) (faceImageParams, *faceErr) {
	var p faceImageParams
	img, ok, err := b.String("image")
	if err != nil {
		return p, paramFormat(CodeFaceParamImage, "image")
	}
	if !ok || img == "" {
		return p, paramNull("image")
	}
	p.image = img
	it, ok, err := b.String("image_type")
	if err != nil {
		return p, paramFormat(CodeFaceParamImageType, "image_type")
	}
	if !ok || it == "" {
		return p, paramNull("image_type")
	}
	p.imageType = strings.ToUpper(it)
	switch p.imageType {
	case "BASE64":
	case "URL":
		// Fetching caller-chosen URLs from the server is an SSRF risk; this
		// server takes images inline only.
		return p, &faceErr{CodeFaceURLDownload, "image_url_download_fail: image_type URL is not supported by this server, send BASE64"}
	case "FACE_TOKEN":
		return p, &faceErr{CodeFaceTokenMissing, "face token not exist"}
	default:
		return p, paramFormat(CodeFaceParamImageType, "image_type")
	}
	ft, _, err := b.String("face_type")
	p.faceType = strings.ToUpper(strings.TrimSpace(ft))
	if p.faceType == "" {
		p.faceType = "LIVE"
	}
	switch {
	case err != nil:
		return p, paramFormat(CodeFaceParamFaceType, "face_type")
	case p.faceType != "LIVE" && p.faceType != "IDCARD" && p.faceType != "WATERMARK" && p.faceType != "CERT" && p.faceType != "INFRARED":
		return p, paramFormat(CodeFaceParamFaceType, "face_type")
	}
	qc, _, err := b.String("quality_control")
	lvl, ok := face.ParseLevel(qc)
	if err != nil || !ok {
		return p, paramFormat(CodeFaceParamQuality, "quality_control")
	}
	p.quality = lvl
	lc, _, err := b.String("liveness_control")
	lvl, ok = face.ParseLevel(lc)
	if err != nil || !ok {
		return p, paramFormat(CodeFaceParamLiveness, "liveness_control")
	}
	p.liveness = lvl
	return p, nil
}

// decodeFaceImage decodes the base64 image with the face API limits.
func decodeFaceImage(s string) (*image.NRGBA, *faceErr) {
	lim := vision.DefaultLimits()
	lim.MaxBytes = faceImageMaxBase64 / 4 * 3
	img, err := vision.DecodeBase64(s, lim)
	if err != nil {
		if c, m, ok := vision.IntakeCode(err); ok {
			return nil, &faceErr{c, m}
		}
		return nil, &faceErr{CodeFaceImageCheck, "image check fail"}
	}
	return img, nil
}

// engineErr maps an engine error to a face V3 error.
func engineErr(err error) *faceErr {
	switch {
	case errors.Is(err, vision.ErrBusy):
		return &faceErr{CodeQPSLimit, RestMessage(CodeQPSLimit)}
	case errors.Is(err, face.ErrNoFace):
		return &faceErr{CodeFaceNoFace, "pic not has face"}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &faceErr{CodeUnavailable, RestMessage(CodeUnavailable)}
	}
	return &faceErr{CodeInternal, RestMessage(CodeInternal)}
}

// applyControls checks quality_control and liveness_control on the face.
// ID card, watermark and certificate photos are photos of photos: liveness
// does not apply to them.
func applyControls(f face.Face, p faceImageParams) *faceErr {
	if is := face.CheckQuality(f, p.quality); !is.OK() {
		return &faceErr{is.Code, is.Reason}
	}
	if p.faceType == "LIVE" {
		if is := face.CheckLiveness(f, p.liveness); !is.OK() {
			return &faceErr{is.Code, is.Reason}
		}
	}
	return nil
}

func faceToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// --- detect ---

type faceLocation struct {
	Left     float64 `json:"left"`
	Top      float64 `json:"top"`
	Width    float64 `json:"width"`
	Height   float64 `json:"height"`
	Rotation int     `json:"rotation"`
}

type faceAngle struct {
	Yaw   float64 `json:"yaw"`
	Pitch float64 `json:"pitch"`
	Roll  float64 `json:"roll"`
}

type facePoint struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

type faceOcclusion struct {
	LeftEye     float64 `json:"left_eye"`
	RightEye    float64 `json:"right_eye"`
	Nose        float64 `json:"nose"`
	Mouth       float64 `json:"mouth"`
	LeftCheek   float64 `json:"left_cheek"`
	RightCheek  float64 `json:"right_cheek"`
	ChinContour float64 `json:"chin_contour"`
}

type faceQuality struct {
	Occlusion    faceOcclusion `json:"occlusion"`
	Blur         float64       `json:"blur"`
	Illumination float64       `json:"illumination"`
	Completeness int           `json:"completeness"`
}

type faceEyeStatus struct {
	LeftEye  float64 `json:"left_eye"`
	RightEye float64 `json:"right_eye"`
}

type faceTypeResult struct {
	Type        string  `json:"type"`
	Probability float64 `json:"probability"`
}

type faceLiveness struct {
	LiveMapScore float64 `json:"livemapscore"`
}

// detectFace is one face_list entry. Optional fields appear when face_field
// asks for them. landmark68 is a faceprint extension (iBUG 68-point layout);
// landmark72 and landmark150 are derived from it (landmarks.go,
// docs/landmarks.md).
type detectFace struct {
	FaceToken       string          `json:"face_token"`
	Location        faceLocation    `json:"location"`
	FaceProbability float64         `json:"face_probability"`
	Angle           faceAngle       `json:"angle"`
	Landmark        []facePoint     `json:"landmark,omitempty"`
	Landmark72      []facePoint     `json:"landmark72,omitempty"`
	Landmark68      []facePoint     `json:"landmark68,omitempty"`
	Landmark150     landmark150JSON `json:"landmark150,omitempty"`
	Quality         *faceQuality    `json:"quality,omitempty"`
	EyeStatus       *faceEyeStatus  `json:"eye_status,omitempty"`
	Spoofing        *float64        `json:"spoofing,omitempty"`
	Liveness        *faceLiveness   `json:"liveness,omitempty"`
	FaceType        *faceTypeResult `json:"face_type,omitempty"`
}

type detectResult struct {
	FaceNum  int          `json:"face_num"`
	FaceList []detectFace `json:"face_list"`
}

// detectFields are the face_field values; unknown names are ignored as
// Baidu does, and attributes this server has no model for (age, beauty,
// expression, gender, glasses, emotion, mask, face_shape) are not returned.
type detectFields struct {
	landmark, landmark150, quality, eyeStatus, spoofing, liveness, faceType bool
}

func parseFaceFields(s string) (detectFields, *faceErr) {
	var f detectFields
	if len(s) > 512 {
		return f, paramFormat(CodeFaceParamFaceField, "face_field")
	}
	for _, name := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "landmark", "landmark72":
			f.landmark = true
		case "landmark150":
			f.landmark150 = true
		case "quality":
			f.quality = true
		case "eye_status":
			f.eyeStatus = true
		case "spoofing":
			f.spoofing = true
		case "liveness":
			f.liveness = true
		case "face_type":
			f.faceType = true
		}
	}
	return f, nil
}

func (s *Server) handleFaceDetect(w http.ResponseWriter, r *http.Request, _ *auth.App, body Body) {
	res, ferr := s.faceDetect(r.Context(), body)
	if ferr != nil {
		WriteFaceError(w, r, s.now(), ferr.code, ferr.msg)
		return
	}
	WriteFaceResult(w, r, s.now(), res)
}

func (s *Server) faceDetect(ctx context.Context, body Body) (*detectResult, *faceErr) {
	if body.Object == nil && body.Form == nil {
		return nil, paramNull("image")
	}
	p, ferr := parseFaceImage(body)
	if ferr != nil {
		return nil, ferr
	}
	ff, _, err := body.String("face_field")
	if err != nil {
		return nil, paramFormat(CodeFaceParamFaceField, "face_field")
	}
	fields, ferr := parseFaceFields(ff)
	if ferr != nil {
		return nil, ferr
	}
	maxFaces := 1
	if v, ok, err := body.String("max_face_num"); err != nil {
		return nil, paramFormat(CodeFaceParamMaxFaceNum, "max_face_num")
	} else if ok && v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > faceMaxFaceNum {
			return nil, paramFormat(CodeFaceParamMaxFaceNum, "max_face_num")
		}
		maxFaces = n
	}
	eng := s.Engines.Face
	if eng == nil {
		return nil, &faceErr{CodeUnavailable, faceMissingModels}
	}
	img, ferr := decodeFaceImage(p.image)
	if ferr != nil {
		return nil, ferr
	}
	opts := face.DetectOptions{
		MaxFaces: maxFaces, Landmarks: true, Pose: true,
		Eyes:     fields.eyeStatus,
		Quality:  fields.quality || p.quality != face.LevelNone,
		Liveness: fields.spoofing || fields.liveness || p.liveness != face.LevelNone,
	}
	faces, err := eng.Detect(ctx, img, opts)
	if err != nil {
		return nil, engineErr(err)
	}
	if len(faces) == 0 {
		return nil, &faceErr{CodeFaceNoFace, "pic not has face"}
	}
	if ferr := applyControls(faces[0], p); ferr != nil {
		return nil, ferr
	}
	res := &detectResult{FaceNum: len(faces), FaceList: make([]detectFace, 0, len(faces))}
	for _, f := range faces {
		res.FaceList = append(res.FaceList, detectEntry(f, fields))
	}
	return res, nil
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func detectEntry(f face.Face, fields detectFields) detectFace {
	d := detectFace{
		FaceToken: faceToken(),
		Location: faceLocation{
			Left: round(f.Box.Left, 2), Top: round(f.Box.Top, 2),
			Width: round(f.Box.Width, 0), Height: round(f.Box.Height, 0),
			Rotation: int(math.Round(f.Pose.Roll)),
		},
		FaceProbability: round(f.Score, 4),
		Angle:           faceAngle{round(f.Pose.Yaw, 2), round(f.Pose.Pitch, 2), round(f.Pose.Roll, 2)},
	}
	if fields.landmark && f.HasLandmarks {
		// Baidu's 4-point landmark: eye centres (image left first), nose tip, mouth centre.
		k := f.KeyPoints
		mouth := face.Point{X: (k[3].X + k[4].X) / 2, Y: (k[3].Y + k[4].Y) / 2}
		for _, p := range []face.Point{k[0], k[1], k[2], mouth} {
			d.Landmark = append(d.Landmark, facePoint{round(p.X, 2), round(p.Y, 2)})
		}
		for _, p := range f.Landmarks {
			d.Landmark68 = append(d.Landmark68, facePoint{round(p.X, 2), round(p.Y, 2)})
		}
		for _, p := range landmark72(&f.Landmarks) {
			d.Landmark72 = append(d.Landmark72, facePoint{round(p.X, 2), round(p.Y, 2)})
		}
	}
	if fields.landmark150 && f.HasLandmarks {
		d.Landmark150 = landmark150(&f.Landmarks)
	}
	if fields.quality && f.HasQuality {
		q := f.Quality
		o := q.Occlusion
		comp := 0
		if q.Completeness >= 0.999 {
			comp = 1
		}
		d.Quality = &faceQuality{
			Occlusion: faceOcclusion{o.LeftEye, o.RightEye, o.Nose, o.Mouth, o.LeftCheek, o.RightCheek, o.Chin},
			Blur:      round(q.Blur, 4), Illumination: round(q.Brightness, 0), Completeness: comp,
		}
	}
	if fields.eyeStatus && f.HasEyes {
		d.EyeStatus = &faceEyeStatus{LeftEye: round(f.Eyes.LeftOpen, 4), RightEye: round(f.Eyes.RightOpen, 4)}
	}
	if f.HasLive {
		if fields.spoofing {
			sp := round(1-f.Live, 6)
			d.Spoofing = &sp
		}
		d.Liveness = &faceLiveness{LiveMapScore: round(f.Live, 6)}
	}
	if fields.faceType {
		d.FaceType = &faceTypeResult{Type: "human", Probability: round(f.Score, 4)}
	}
	return d
}

// --- match ---

type matchFaceToken struct {
	FaceToken string `json:"face_token"`
}

type matchResult struct {
	Score    float64          `json:"score"`
	FaceList []matchFaceToken `json:"face_list"`
}

func (s *Server) handleFaceMatch(w http.ResponseWriter, r *http.Request, _ *auth.App, body Body) {
	res, ferr := s.faceMatch(r.Context(), body)
	if ferr != nil {
		WriteFaceError(w, r, s.now(), ferr.code, ferr.msg)
		return
	}
	WriteFaceResult(w, r, s.now(), res)
}

func (s *Server) faceMatch(ctx context.Context, body Body) (*matchResult, *faceErr) {
	if body.Array == nil {
		if body.Object == nil && len(body.Form) == 0 {
			return nil, paramNull("image")
		}
		// Baidu's V3 match takes a JSON array of two image objects.
		return nil, &faceErr{CodeFaceImageCount, "image count error: the body must be a JSON array of two images"}
	}
	if len(body.Array) != 2 {
		return nil, &faceErr{CodeFaceImageCount, "image count error: match compares exactly two images"}
	}
	var params [2]faceImageParams
	for i := range params {
		ob, err := body.ObjectOf(i)
		if err != nil {
			return nil, paramFormat(CodeFaceParamImage, "image")
		}
		p, ferr := parseFaceImage(ob)
		if ferr != nil {
			return nil, ferr
		}
		params[i] = p
	}
	eng := s.Engines.Face
	if eng == nil {
		return nil, &faceErr{CodeUnavailable, faceMissingModels}
	}
	var imgs [2]*image.NRGBA
	for i, p := range params {
		img, ferr := decodeFaceImage(p.image)
		if ferr != nil {
			return nil, ferr
		}
		imgs[i] = img
	}
	var (
		wg    sync.WaitGroup
		faces [2]face.FaceEmbedding
		errs  [2]error
	)
	for i := range imgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := params[i]
			opts := face.DetectOptions{Quality: true, Pose: p.quality == face.LevelHigh,
				Liveness: p.faceType == "LIVE" && p.liveness != face.LevelNone}
			faces[i], errs[i] = eng.LargestWith(ctx, imgs[i], opts)
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			return nil, engineErr(errs[i])
		}
	}
	for i := range faces {
		if ferr := applyControls(faces[i].Face, params[i]); ferr != nil {
			return nil, ferr
		}
	}
	cos := face.Cosine(faces[0].Embedding, faces[1].Embedding)
	return &matchResult{
		Score:    round(face.Score(cos), 5),
		FaceList: []matchFaceToken{{faceToken()}, {faceToken()}},
	}, nil
}
