package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/authority"
	"github.com/faceprint/faceprint/internal/liveness"
	"github.com/faceprint/faceprint/internal/livesession"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/vision"
	"github.com/faceprint/faceprint/internal/vision/face"
)

// Liveness REST error codes beyond the common ones (docs/liveness.md).
const (
	CodeLivenessNoFace   = liveness.CodeNoFace        // 216501
	CodeLivenessFailed   = liveness.CodeFailed        // 216434
	CodeLivenessManyFace = liveness.CodeMultipleFaces // 216507
	CodeServiceNotSupp   = 216102                     // service not support (voice / lip reading)
	CodeAuthorityBusy    = authority.CodeUnavailable  // 222361
)

// livenessVideoMaxBase64 bounds video_base64 (Baidu recommends 5–15 s of mp4).
const livenessVideoMaxBase64 = 28 << 20

const livenessMissingModels = "Service temporarily unavailable: liveness needs the face models " +
	"(run scripts/fetch-models.sh) and ffmpeg (apt-get install ffmpeg)"

// actionDigits map the digits of an action session code to actions, as
// Baidu's clients read them (0 眨眼, 2 右转, 3 左转, 4 抬头, 5 低头).
var actionDigits = map[byte]string{'0': "blink", '2': "right", '3': "left", '4': "up", '5': "down"}

// SetLivenessSessionKey sets the HMAC key of faceliveness session ids
// (≥ 32 bytes) on livesession.Default; call it before serving.
//
// Deprecated: kept for internal/app; use livesession.Default.SetKey or
// Server.LiveSessions.
func SetLivenessSessionKey(key []byte) error { return livesession.Default.SetKey(key) }

// liveSessions is the session-code service: the server's own, else the
// process default.
func (s *Server) liveSessions() *livesession.Service {
	if s.LiveSessions != nil {
		return s.LiveSessions
	}
	return livesession.Default
}

// registerLivenessRoutes adds /rest/2.0/face/v1/faceliveness/sessioncode|verify
// and /rest/2.0/face/v3/person/verify.
func (s *Server) registerLivenessRoutes(mux *http.ServeMux) {
	s.handleREST(mux, "POST /rest/2.0/face/v1/faceliveness/sessioncode", s.handleSessionCode)
	s.handleREST(mux, "POST /rest/2.0/face/v1/faceliveness/verify", s.handleLivenessVerify)
	s.handleREST(mux, "POST /rest/2.0/face/v3/person/verify", s.handlePersonVerify)
}

func appIDOf(app *auth.App) string {
	if app == nil {
		return ""
	}
	return app.ID
}

// handleSessionCode issues a session code: type 1 (default) a sequence of
// action digits, type 0 a digit string to read aloud (issued, but its
// verification answers "not supported": this server reads no lips or voices).
func (s *Server) handleSessionCode(w http.ResponseWriter, r *http.Request, app *auth.App, body Body) {
	now := s.now()
	typ := 1
	if v, ok, err := body.String("type"); err != nil {
		WriteFaceError(w, r, now, CodeInvalidParam, "param[type] format error")
		return
	} else if ok && v != "" {
		t, err := strconv.Atoi(v)
		if err != nil || (t != 0 && t != 1) {
			WriteFaceError(w, r, now, CodeInvalidParam, "param[type] format error")
			return
		}
		typ = t
	}
	lo, hi := 3, 3
	if typ == 1 {
		lo, hi = 2, 2
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"min_code_length", &lo}, {"max_code_length", &hi}} {
		v, ok, err := body.String(p.name)
		if err != nil {
			WriteFaceError(w, r, now, CodeInvalidParam, "param["+p.name+"] format error")
			return
		}
		if ok && v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 6 {
				WriteFaceError(w, r, now, CodeInvalidParam, "param["+p.name+"] format error")
				return
			}
			*p.dst = n
		}
	}
	if lo > hi {
		WriteFaceError(w, r, now, CodeInvalidParam, "min_code_length is larger than max_code_length")
		return
	}
	if typ == 1 {
		hi = min(hi, 4) // more than four actions in one video is not a usable challenge
		lo = min(lo, hi)
	}
	code, err := randomCode(typ, lo, hi)
	if err != nil {
		WriteFaceError(w, r, now, CodeInternal, "")
		return
	}
	id, _ := s.liveSessions().Issue(appIDOf(app), typ, code, now)
	WriteFaceResult(w, r, now, map[string]string{"session_id": id, "code": code})
}

// randomCode draws a code of lo…hi digits; action codes use the action
// digits only and never repeat a digit back to back.
func randomCode(typ, lo, hi int) (string, error) {
	rnd := func(n int) (int, error) {
		var b [1]byte
		for {
			if _, err := rand.Read(b[:]); err != nil {
				return 0, err
			}
			if int(b[0]) < 256-256%n {
				return int(b[0]) % n, nil
			}
		}
	}
	k, err := rnd(hi - lo + 1)
	if err != nil {
		return "", err
	}
	alphabet := "0123456789"
	if typ == 1 {
		alphabet = "02345"
	}
	var sb strings.Builder
	prev := byte(0)
	for sb.Len() < lo+k {
		i, err := rnd(len(alphabet))
		if err != nil {
			return "", err
		}
		if typ == 1 && alphabet[i] == prev {
			continue
		}
		prev = alphabet[i]
		sb.WriteByte(prev)
	}
	return sb.String(), nil
}

// livenessResult is faceliveness/verify's result.
type livenessResult struct {
	Score         float64            `json:"score"`
	MaxSpoofing   float64            `json:"maxspoofing"`
	SpoofingScore float64            `json:"spoofing_score"`
	Thresholds    map[string]float64 `json:"thresholds"`
	Code          livenessCode       `json:"code"`
	ActionVerify  string             `json:"action_verify"`
	Reason        string             `json:"reason,omitempty"` // faceprint extension: failed checks
	BestImage     *livenessPic       `json:"best_image,omitempty"`
	PicList       []livenessPic      `json:"pic_list"`
}

type livenessCode struct {
	Create     string  `json:"create"`
	Identify   string  `json:"identify"`
	Similarity float64 `json:"similarity"`
}

type livenessPic struct {
	FaceToken     string  `json:"face_token"`
	Pic           string  `json:"pic"`
	LivenessScore float64 `json:"liveness_score"`
	Spoofing      float64 `json:"spoofing"`
}

// livenessThresholds are reported with every result. A passed video scores
// ≥ 0.9 and a failed one < 0.05, so any of them gives faceprint's decision.
var livenessThresholds = map[string]float64{"frr_1e-4": 0.05, "frr_1e-3": 0.3, "frr_1e-2": 0.9}

// handleLivenessVerify analyses an uploaded video against its session code.
func (s *Server) handleLivenessVerify(w http.ResponseWriter, r *http.Request, app *auth.App, body Body) {
	now := s.now()
	if s.Engines.Liveness == nil {
		WriteFaceError(w, r, now, CodeUnavailable, livenessMissingModels)
		return
	}
	typ, _, err := body.String("type_identify")
	if err != nil {
		WriteFaceError(w, r, now, CodeInvalidParam, "param[type_identify] format error")
		return
	}
	switch strings.ToLower(strings.TrimSpace(typ)) {
	case "", "action":
	case "voice":
		WriteFaceError(w, r, now, CodeServiceNotSupp, "service not support: type_identify voice (lip reading / voice codes) is not supported by this server; use action")
		return
	default:
		WriteFaceError(w, r, now, CodeInvalidParam, "param[type_identify] format error")
		return
	}
	if lip, _, _ := body.String("lip_identify"); lip != "" && !strings.EqualFold(lip, "OFF") {
		WriteFaceError(w, r, now, CodeServiceNotSupp, "service not support: lip_identify is not supported by this server")
		return
	}
	video, ok, err := body.String("video_base64")
	if err != nil {
		WriteFaceError(w, r, now, CodeInvalidParam, "param[video_base64] format error")
		return
	}
	if !ok || strings.TrimSpace(video) == "" {
		WriteFaceError(w, r, now, CodeNotEnoughParam, "not enough param: video_base64")
		return
	}
	if len(video) > livenessVideoMaxBase64 {
		WriteFaceError(w, r, now, CodeImageSize, "video too large (at most 20 MB)")
		return
	}
	data, err := vision.Base64Bytes(video, vision.Limits{MaxBytes: livenessVideoMaxBase64})
	if err != nil {
		WriteFaceError(w, r, now, CodeImageBase64, "video_base64 is not valid base64")
		return
	}
	sid, ok, err := body.String("session_id")
	if err != nil || !ok || sid == "" {
		WriteFaceError(w, r, now, CodeNotEnoughParam, "not enough param: session_id")
		return
	}
	var claims livesession.Claimer
	if s.Store != nil {
		claims = livesession.StoreClaimer{KV: s.Store} // single use across replicas
	}
	sess, err := s.liveSessions().Consume(r.Context(), claims, sid, appIDOf(app), now)
	switch {
	case errors.Is(err, livesession.ErrInvalid), errors.Is(err, livesession.ErrExpired), errors.Is(err, livesession.ErrUsed):
		WriteFaceError(w, r, now, CodeInvalidParam, "invalid param: "+err.Error())
		return
	case err != nil:
		s.Log.Error("faceliveness session claim", "log_id", LogID(r), "err", err)
		WriteFaceError(w, r, now, CodeUnavailable, "")
		return
	}
	if sess.Type == 0 {
		WriteFaceError(w, r, now, CodeServiceNotSupp, "service not support: voice session codes cannot be verified by this server")
		return
	}
	var actions []string
	for i := range len(sess.Code) {
		actions = append(actions, actionDigits[sess.Code[i]])
	}
	sec := liveness.ActionSecret(sess.Nonce, actions)
	out, err := s.Engines.Liveness.AnalyzeVideo(r.Context(), sec, plan.LivenessOptions{Mode: plan.LivenessAction, Level: plan.LevelNormal}, data)
	if err != nil {
		s.livenessEngineError(w, r, err)
		return
	}
	switch out.ErrorCode {
	case 0, liveness.CodeFailed:
	case liveness.CodeNoFace:
		WriteFaceError(w, r, now, out.ErrorCode, "没有找到人脸 (no face found in the video)")
		return
	case liveness.CodeMultipleFaces:
		WriteFaceError(w, r, now, out.ErrorCode, "视频中有多张脸 (several faces in the video)")
		return
	default:
		WriteFaceError(w, r, now, out.ErrorCode, "video cannot be decoded: "+out.Reason)
		return
	}
	res := livenessResult{
		Score: out.LivenessScore, MaxSpoofing: out.Spoofing, SpoofingScore: out.Spoofing,
		Thresholds: livenessThresholds, Code: livenessCode{Create: sess.Code}, ActionVerify: "fail",
		Reason: out.Reason, PicList: []livenessPic{},
	}
	if out.Passed {
		res.Code.Identify, res.Code.Similarity, res.ActionVerify = sess.Code, 1, "pass"
	}
	if len(out.BestFrame) > 0 {
		pic := livenessPic{FaceToken: faceToken(), Pic: base64.StdEncoding.EncodeToString(out.BestFrame), LivenessScore: out.LivenessScore, Spoofing: out.Spoofing}
		res.BestImage = &pic
		res.PicList = append(res.PicList, pic)
	}
	WriteFaceResult(w, r, now, res)
}

func (s *Server) livenessEngineError(w http.ResponseWriter, r *http.Request, err error) {
	now := s.now()
	switch {
	case errors.Is(err, liveness.ErrNoFFmpeg):
		WriteFaceError(w, r, now, CodeUnavailable, livenessMissingModels)
	case errors.Is(err, vision.ErrBusy):
		WriteFaceError(w, r, now, CodeQPSLimit, RestMessage(CodeQPSLimit))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		WriteFaceError(w, r, now, CodeUnavailable, RestMessage(CodeUnavailable))
	default:
		if s.Log != nil {
			s.Log.Error("liveness analysis failed", "err", err, "log_id", LogID(r))
		}
		WriteFaceError(w, r, now, CodeInternal, RestMessage(CodeInternal))
	}
}

// spoofingLimit is the largest fr_liveness attack probability a
// spoofing_control level accepts (NONE: not checked).
func spoofingLimit(l face.Level) float64 {
	switch l {
	case face.LevelLow:
		return 0.9
	case face.LevelNormal:
		return 0.7
	case face.LevelHigh:
		return 0.4
	}
	return 1
}

// handlePersonVerify is 人脸实名认证 V3: quality → liveness → identity
// (the reference from the default authority or the registry, compared here,
// or the authority's own score).
func (s *Server) handlePersonVerify(w http.ResponseWriter, r *http.Request, app *auth.App, body Body) {
	now := s.now()
	fail := func(e *faceErr) { WriteFaceError(w, r, now, e.code, e.msg) }
	p, ferr := parseFaceImage(body)
	if ferr != nil {
		fail(ferr)
		return
	}
	id, ok, err := body.String("id_card_number")
	if err != nil {
		fail(paramFormat(222022, "id_card_number"))
		return
	}
	if !ok || strings.TrimSpace(id) == "" {
		fail(paramNull("id_card_number"))
		return
	}
	name, ok, err := body.String("name")
	if err != nil {
		fail(paramFormat(222023, "name"))
		return
	}
	if !ok || strings.TrimSpace(name) == "" {
		fail(paramNull("name"))
		return
	}
	sc, _, err := body.String("spoofing_control")
	spoofLvl, ok := face.ParseLevel(sc)
	if err != nil || !ok {
		fail(&faceErr{CodeInvalidParam, "param[spoofing_control] format error"})
		return
	}
	if code := authority.CheckIdentity(name, id); code != 0 {
		msg := map[int]string{authority.CodeNameFormat: "name format error", authority.CodeNumberFormat: "id card number format error"}[code]
		fail(&faceErr{code, msg})
		return
	}
	if s.Engines.Face == nil {
		fail(&faceErr{CodeUnavailable, faceMissingModels})
		return
	}
	if s.Engines.References == nil {
		fail(&faceErr{CodeUnavailable, "Service temporarily unavailable: no authority or registry is configured for person/verify"})
		return
	}
	raw, err := vision.Base64Bytes(p.image, vision.Limits{MaxBytes: faceImageMaxBase64 / 4 * 3})
	if err != nil {
		if c, m, ok := vision.IntakeCode(err); ok {
			fail(&faceErr{c, m})
		} else {
			fail(&faceErr{CodeFaceImageCheck, "image check fail"})
		}
		return
	}
	img, ferr := decodeFaceImage(p.image)
	if ferr != nil {
		fail(ferr)
		return
	}
	ctx := r.Context()
	live, err := s.Engines.Face.LargestWith(ctx, img, face.DetectOptions{Quality: true, Liveness: true, Pose: true})
	if err != nil {
		fail(engineErr(err))
		return
	}
	// 1. quality, 2. liveness (both in applyControls), then spoofing
	if e := applyControls(live.Face, p); e != nil {
		fail(e)
		return
	}
	if spoofLvl != face.LevelNone {
		if !live.Face.HasLive {
			fail(&faceErr{223119, "liveness control item error"})
			return
		}
		if sp := math.Max(live.Face.Spoof[1], live.Face.Spoof[2]); sp > spoofingLimit(spoofLvl) {
			fail(&faceErr{223120, fmt.Sprintf("liveness check fail (spoofing %.2f > %.2f)", sp, spoofingLimit(spoofLvl))})
			return
		}
	}
	// 3. identity
	// The app id travels in the request itself: wrappers between here and the
	// registry rebuild the context from it.
	ref, err := s.Engines.References.Reference(authority.WithAppID(ctx, appIDOf(app)), verify.ReferenceRequest{
		Source: plan.CompareAuthority, Name: name, IDNumber: id, Live: raw, AppID: appIDOf(app),
	})
	if err != nil && ref.ErrorCode == 0 {
		ref.ErrorCode = CodeAuthorityBusy
	}
	if err != nil && s.Log != nil {
		s.Log.Warn("person/verify reference lookup", "err", err, "log_id", LogID(r))
	}
	if ref.ErrorCode != 0 {
		fail(&faceErr{ref.ErrorCode, authorityMessage(ref.ErrorCode)})
		return
	}
	score := ref.Score
	if !ref.Scored {
		refImg, err := vision.Decode(ref.Photo, vision.DefaultLimits())
		if err != nil {
			fail(&faceErr{authority.CodeNoPhoto, authorityMessage(authority.CodeNoPhoto)})
			return
		}
		rf, err := s.Engines.Face.LargestWith(ctx, refImg, face.DetectOptions{})
		if errors.Is(err, face.ErrNoFace) {
			fail(&faceErr{authority.CodeNoPhoto, authorityMessage(authority.CodeNoPhoto)})
			return
		}
		if err != nil {
			fail(engineErr(err))
			return
		}
		score = face.Score(face.Cosine(live.Embedding, rf.Embedding))
	}
	WriteFaceResult(w, r, now, map[string]float64{"score": math.Round(score*100) / 100})
}

// authorityMessage is the error_msg of an authority error code.
func authorityMessage(code int) string {
	switch code {
	case authority.CodeNoPhoto:
		return "the reference photo does not exist or its quality is too low"
	case authority.CodeMismatch:
		return "id number and name not match or id number not exist"
	case authority.CodeNameFormat:
		return "name format error"
	case authority.CodeNumberFormat:
		return "id card number format error"
	case authority.CodeNumberUnknown:
		return "id number not exist"
	case authority.CodeNoPhotoOnFile:
		return "id number is correct but there is no photo on record"
	case authority.CodeInvalid:
		return "id number or name invalid"
	case authority.CodeUnavailable:
		return "system busy: the authority is unavailable"
	}
	return RestMessage(code)
}
