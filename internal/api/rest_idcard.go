package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/faceprint/faceprint/internal/auth"
	"github.com/faceprint/faceprint/internal/idcard"
	"github.com/faceprint/faceprint/internal/vision"
)

// Baidu OCR codes used by the ID card API (wire-reference §2.1).
const (
	CodeRecognizeIDCard = 216633
	CodeURLFormat       = 282111
)

// idcardImageMaxBase64 is Baidu's documented limit: the image is at most
// 8 MB after base64 encoding.
const idcardImageMaxBase64 = 8 << 20

// registerIDCardRoutes adds /rest/2.0/ocr/v1/idcard.
func (s *Server) registerIDCardRoutes(mux *http.ServeMux) {
	s.handleREST(mux, "POST /rest/2.0/ocr/v1/idcard", s.handleIDCard)
}

// idcardMissingModels names what must be installed for the ID card API.
const idcardMissingModels = "Service temporarily unavailable: ID card OCR models are not installed " +
	"(models/ocr/ch_PP-OCRv4_det_infer.onnx, ch_PP-OCRv4_rec_infer.onnx, ch_ppocr_mobile_v2.0_cls_infer.onnx, ppocr_keys_v1.txt " +
	"and models/lib/libonnxruntime.so.1; run scripts/fetch-models.sh)"

func (s *Server) handleIDCard(w http.ResponseWriter, r *http.Request, _ *auth.App, body Body) {
	opt, image, code, msg := parseIDCardParams(body)
	if code != 0 {
		WriteRestError(w, r, code, msg)
		return
	}
	reader := s.Engines.IDCard
	if reader == nil {
		WriteRestError(w, r, CodeUnavailable, idcardMissingModels)
		return
	}
	lim := vision.DefaultLimits()
	lim.MaxBytes = idcardImageMaxBase64 / 4 * 3
	data, err := vision.Base64Bytes(image, lim)
	if err != nil {
		c, m, _ := vision.IntakeCode(err)
		if c == 0 {
			c, m = CodeImageFormat, ""
		}
		WriteRestError(w, r, c, m)
		return
	}
	opt.Now = s.now()
	rd, err := reader.ReadBytes(r.Context(), data, lim, opt)
	if err != nil {
		if c, m, ok := vision.IntakeCode(err); ok {
			WriteRestError(w, r, c, m)
			return
		}
		switch {
		case errors.Is(err, vision.ErrBusy):
			WriteRestError(w, r, CodeQPSLimit, "")
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			WriteRestError(w, r, CodeInternal, "")
		default:
			if s.Log != nil {
				s.Log.Error("idcard read", "log_id", LogID(r), "err", err)
			}
			WriteRestError(w, r, CodeRecognizeIDCard, "recognize idcard error")
		}
		return
	}
	resp := rd.Response
	resp.LogID = LogID(r)
	writeJSON(w, http.StatusOK, resp)
}

// parseIDCardParams reads the form (or JSON) parameters. It returns a
// Baidu error code and message for a bad request.
func parseIDCardParams(body Body) (idcard.Options, string, int, string) {
	var opt idcard.Options
	image, hasImage, err := body.String("image")
	if err != nil {
		return opt, "", CodeInvalidParam, "invalid param: image must be a base64 string"
	}
	if !hasImage || strings.TrimSpace(image) == "" {
		if u, hasURL, _ := body.String("url"); hasURL && u != "" {
			// This server fetches nothing from outside: the image must come inline.
			return opt, "", CodeURLFormat, "url format illegal: url is not supported by this server, send image (base64)"
		}
		if hasImage {
			return opt, "", CodeEmptyImage, "empty image"
		}
		// image and url are one-of: neither given is "not enough param".
		return opt, "", CodeNotEnoughParam, "not enough param: image (base64) is required"
	}
	if len(image) > idcardImageMaxBase64 {
		return opt, "", CodeImageSize, "image size error"
	}
	side, hasSide, err := body.String("id_card_side")
	if err != nil {
		return opt, "", CodeInvalidParam, "invalid param: id_card_side"
	}
	if !hasSide || side == "" {
		return opt, "", CodeMissingParam, "missing parameters: id_card_side"
	}
	side = strings.ToLower(strings.TrimSpace(side))
	if side != "front" && side != "back" {
		return opt, "", CodeInvalidParam, "invalid param: id_card_side must be front or back"
	}
	opt.Side = side
	flags := []struct {
		name string
		dst  *bool
	}{
		{"detect_direction", &opt.DetectDirection},
		{"detect_risk", &opt.DetectRisk},
		{"detect_quality", &opt.DetectQuality},
		{"detect_photo", &opt.DetectPhoto},
		{"detect_card", &opt.DetectCard},
	}
	for _, f := range flags {
		v, ok, err := body.String(f.name)
		if err != nil {
			return opt, "", CodeInvalidParam, "invalid param: " + f.name
		}
		if !ok || v == "" {
			continue
		}
		switch strings.ToLower(v) {
		case "true", "1":
			*f.dst = true
		case "false", "0":
		default:
			return opt, "", CodeInvalidParam, "invalid param: " + f.name + " must be true or false"
		}
	}
	return opt, image, 0, ""
}
