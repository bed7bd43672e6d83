package verify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/faceprint/faceprint/internal/blob"
	"github.com/faceprint/faceprint/internal/store"
)

// URLFunc turns a blob key into a signed, expiring URL.
type URLFunc func(key string) string

// VerifyResult is result/detail's verify_result.
type VerifyResult struct {
	Score         float64 `json:"score"`
	LivenessScore float64 `json:"liveness_score"`
	Spoofing      float64 `json:"spoofing"`
	VerifyLogID   string  `json:"verify_log_id"`
}

// IDCardImages is result/detail's idcard_images.
type IDCardImages struct {
	FrontBase64 string `json:"front_base64,omitempty"`
	BackBase64  string `json:"back_base64,omitempty"`
}

// IDCardConfirm is result/detail's idcard_confirm.
type IDCardConfirm struct {
	IDCardNumber string `json:"idcard_number"`
	Name         string `json:"name"`
	IDCardType   string `json:"idcard_type,omitempty"` // getall only
}

// Detail is result/detail's result object (seed shape).
type Detail struct {
	VerifyResult    VerifyResult   `json:"verify_result"`
	IDCardOCRResult *IDCardFields  `json:"idcard_ocr_result,omitempty"`
	IDCardImages    *IDCardImages  `json:"idcard_images,omitempty"`
	IDCardConfirm   *IDCardConfirm `json:"idcard_confirm,omitempty"`
	IsDemote        bool           `json:"is_demote"`
	Checks          []Check        `json:"checks,omitempty"` // faceprint extension: every sub-decision explained
	Reason          string         `json:"reason,omitempty"` // faceprint extension: failure reason code
}

// finished loads a session whose result may be read now.
//
// Expired and abandoned sessions are final: they never answer 283415 (not
// finished). With attempts they answer like a failed session (reason
// "abandoned" or "token_expired"); without any, detail/simple/media answer
// 283414 "Token无效或者已过期" (what Baidu answers for a token whose 2 h ran
// out), while getall (withoutAttempts) answers verify_count 0 with the state
// and reason extensions, so the business always gets a final record.
func (s *Service) finished(ctx context.Context, appID, token string, withoutAttempts bool) (*session, error) {
	ss, err := s.load(ctx, appID, token)
	if err != nil {
		return nil, err
	}
	switch st := ss.state(); {
	case ss.rec.Purged || (st.Final() && s.now().After(ss.rec.ResultUntil)):
		return nil, ErrResultExpired
	case (st == StateExpired || st == StateAbandoned) && len(ss.data.Attempts) == 0 && !withoutAttempts:
		return nil, ErrTokenInvalid
	case !st.Final():
		return nil, ErrNotFinished
	}
	return ss, nil
}

func (ss *session) lastAttempt() *Attempt {
	if len(ss.data.Attempts) == 0 {
		return nil
	}
	return &ss.data.Attempts[len(ss.data.Attempts)-1]
}

func (ss *session) confirm(mask bool) *IDCardConfirm {
	id := ss.identity()
	if id == nil {
		return nil
	}
	c := &IDCardConfirm{Name: id.Name, IDCardNumber: id.IDNumber}
	if mask {
		c.Name, c.IDCardNumber = MaskName(c.Name), MaskIDNumber(c.IDCardNumber)
	}
	return c
}

func (ss *session) ocrFields(mask bool) *IDCardFields {
	if ss.data.Front == nil && ss.data.Back == nil {
		return nil
	}
	var f IDCardFields
	if ss.data.Front != nil {
		f = ss.data.Front.Fields
	}
	if ss.data.Back != nil {
		b := ss.data.Back.Fields
		f.IssueAuthority, f.IssueTime, f.ExpireTime = b.IssueAuthority, b.IssueTime, b.ExpireTime
	}
	if mask {
		f.Name, f.IDCardNumber = MaskName(f.Name), MaskIDNumber(f.IDCardNumber)
		if f.Address != "" {
			r := []rune(f.Address)
			f.Address = string(r[:min(3, len(r))]) + "***********"
		}
	}
	return &f
}

// Detail answers result/detail.
func (s *Service) Detail(ctx context.Context, appID, token string) (Detail, error) {
	ss, err := s.finished(ctx, appID, token, false)
	if err != nil {
		return Detail{}, err
	}
	mask := ss.plan.Options.MaskPII
	d := Detail{IDCardConfirm: ss.confirm(mask), IDCardOCRResult: ss.ocrFields(mask), Reason: ss.data.Reason}
	if a := ss.lastAttempt(); a != nil {
		d.VerifyResult = VerifyResult{Score: round4(a.Score), LivenessScore: round4(a.LivenessScore), Spoofing: round4(a.Spoofing), VerifyLogID: ss.rec.ID}
		d.Checks, d.IsDemote = a.Checks, a.Demoted
	}
	if d.IDCardOCRResult != nil {
		imgs := &IDCardImages{}
		if ss.data.Front != nil {
			imgs.FrontBase64 = s.blobBase64(ctx, ss.data.Front.ImageKey)
		}
		if ss.data.Back != nil {
			imgs.BackBase64 = s.blobBase64(ctx, ss.data.Back.ImageKey)
		}
		d.IDCardImages = imgs
	}
	return d, nil
}

func round4(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }

func (s *Service) blobBase64(ctx context.Context, key string) string {
	if key == "" {
		return ""
	}
	b, err := s.Blobs.Get(ctx, key)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// SimpleResult is result/simple's result.
type SimpleResult struct {
	Image string `json:"image"`
}

// Simple answers result/simple: the collected face, only for passed sessions.
func (s *Service) Simple(ctx context.Context, appID, token string, url URLFunc) (SimpleResult, error) {
	ss, err := s.finished(ctx, appID, token, false)
	if err != nil {
		return SimpleResult{}, err
	}
	if ss.state() != StatePassed {
		return SimpleResult{}, ErrVerifyFailed
	}
	if ss.data.FaceKey == "" {
		return SimpleResult{Image: ""}, nil
	}
	return SimpleResult{Image: url(ss.data.FaceKey)}, nil
}

// StatRow is one result/stat entry.
type StatRow struct {
	ErrorCode int `json:"error_code"`
	Count     int `json:"count"`
}

// StatResult is result/stat's result, in the seed's field order.
type StatResult struct {
	IDCard   []StatRow `json:"身份证识别"`
	Liveness []StatRow `json:"h5活体视频分析"`
	Verify   []StatRow `json:"人脸实名认证-V3"`
}

// Stat answers result/stat: per component API, how often each error code
// occurred so far. It works before the session finishes.
func (s *Service) Stat(ctx context.Context, appID, token string) (StatResult, error) {
	ss, err := s.load(ctx, appID, token)
	if err != nil {
		return StatResult{}, err
	}
	if ss.rec.Purged || (ss.state().Final() && s.now().After(ss.rec.ResultUntil)) {
		return StatResult{}, ErrResultExpired
	}
	rows, err := s.Store.Stats(ctx, ss.rec.ID)
	if err != nil {
		return StatResult{}, err
	}
	out := StatResult{IDCard: []StatRow{}, Liveness: []StatRow{}, Verify: []StatRow{}}
	for _, r := range rows {
		row := StatRow{ErrorCode: r.ErrorCode, Count: r.Count}
		switch r.API {
		case APIIDCard:
			out.IDCard = append(out.IDCard, row)
		case APILiveness:
			out.Liveness = append(out.Liveness, row)
		case APIVerify:
			out.Verify = append(out.Verify, row)
		}
	}
	return out, nil
}

// AttemptDetail is one getall verify_result entry.
type AttemptDetail struct {
	Order          int            `json:"order"`
	IsVerifyPassed bool           `json:"is_verify_passed"`
	Code           string         `json:"code"`
	Message        string         `json:"message"`
	VerifyTime     string         `json:"verify_time"`
	IsCharged      bool           `json:"is_charged"`
	ChargeType     string         `json:"charge_type,omitempty"`
	VerifyDetail   map[string]any `json:"verify_detail"`
	IDCardConfirm  *IDCardConfirm `json:"idcard_confirm,omitempty"`
	IDCardOCR      *IDCardFields  `json:"idcard_ocr_result,omitempty"`
	Reason         string         `json:"reason,omitempty"`
	Checks         []Check        `json:"checks"`
}

// GetAll is result/getall's result.
type GetAll struct {
	VerifyCount       int             `json:"verify_count"`
	OCRChargeCount    int             `json:"ocr_charge_count"`
	MatchChargeCount  int             `json:"match_charge_count"`
	VerifyChargeCount int             `json:"verify_charge_count"`
	LiveChargeCount   int             `json:"live_charge_count"`
	VerifyResult      []AttemptDetail `json:"verify_result"`
	Diagnostics       []Diagnostics   `json:"diagnostics,omitempty"` // faceprint extension: H5 pre-flight reports
	Steps             []StepRecord    `json:"steps,omitempty"`       // faceprint extension: audit trail
	State             string          `json:"state,omitempty"`       // faceprint extension: passed, failed, abandoned, expired
	Reason            string          `json:"reason,omitempty"`      // faceprint extension: the session's final reason code
	Consent           *ConsentRecord  `json:"consent,omitempty"`     // faceprint extension: what the user accepted, when, where
}

// GetAll answers result/getall: every attempt with its checks. Self-hosted, nothing is charged.
func (s *Service) GetAll(ctx context.Context, appID, token string, url URLFunc) (GetAll, error) {
	ss, err := s.finished(ctx, appID, token, true)
	if err != nil {
		return GetAll{}, err
	}
	mask := ss.plan.Options.MaskPII
	g := GetAll{VerifyCount: len(ss.data.Attempts), Diagnostics: ss.data.Diagnostics, Steps: ss.data.Steps, VerifyResult: []AttemptDetail{},
		State: string(ss.state()), Reason: ss.data.Reason, Consent: ss.data.Consent}
	conf := ss.confirm(mask)
	if conf != nil {
		conf.IDCardType = "0"
	}
	for _, a := range ss.data.Attempts {
		face := ""
		if a.FaceKey != "" {
			face = url(a.FaceKey)
		}
		g.VerifyResult = append(g.VerifyResult, AttemptDetail{
			Order: a.Order, IsVerifyPassed: a.Passed, Code: fmt.Sprint(a.Code), Message: a.Message,
			VerifyTime: a.At.In(cst).Format("2006-01-02 15:04:05"),
			VerifyDetail: map[string]any{"face_image": face, "verify_log_id": ss.rec.ID, "score": round4(a.Score), "threshold": a.Threshold,
				"liveness_score": round4(a.LivenessScore), "spoofing_score": round4(a.Spoofing), "is_demote": a.Demoted},
			IDCardConfirm: conf, IDCardOCR: ss.ocrFields(mask), Reason: a.Reason, Checks: a.Checks,
		})
	}
	return g, nil
}

var cst = time.FixedZone("CST", 8*3600)

// Media is result/media/query's result.
type Media struct {
	ProcessVideo []string `json:"processVideo"`
	Images       []string `json:"images"`
	Video        string   `json:"video"`
	ExtInfo      string   `json:"extInfo"`
}

// Media answers result/media/query: the capture video and face images of the last attempt.
func (s *Service) Media(ctx context.Context, appID, token string, url URLFunc) (Media, error) {
	ss, err := s.finished(ctx, appID, token, false)
	if err != nil {
		return Media{}, err
	}
	m := Media{ProcessVideo: []string{}, Images: []string{}}
	if a := ss.lastAttempt(); a != nil {
		if a.VideoKey != "" {
			m.ProcessVideo = append(m.ProcessVideo, url(a.VideoKey))
			m.Video = url(a.VideoKey)
		}
		if a.FaceKey != "" {
			m.Images = append(m.Images, url(a.FaceKey))
		}
		for _, k := range a.FrameKeys {
			m.Images = append(m.Images, url(k))
		}
	}
	return m, nil
}

// PurgeExpired deletes the personal data and blobs of sessions whose result
// window ended, keeping the session row, its state and its stats (aggregate
// counts survive). It returns how many sessions were purged.
//
// It first closes the open sessions that are due (abandoned, expired: see
// CloseDue), so every session reaches a final, queryable state even when
// nobody queries it, and drops delivery history older than deliveryHistory.
func (s *Service) PurgeExpired(ctx context.Context, batch int) (int, error) {
	var errs []error
	if _, err := s.CloseDue(ctx, batch); err != nil {
		errs = append(errs, err)
	}
	if _, err := s.Store.DeleteDoneWebhooks(ctx, s.now().Add(-deliveryHistory)); err != nil {
		errs = append(errs, err)
	}
	ids, err := s.Store.SessionsToPurge(ctx, s.now(), batch)
	if err != nil {
		return 0, errors.Join(append(errs, err)...)
	}
	n := 0
	for _, id := range ids {
		// One bad row must not stop the purge of the others.
		if err := s.purge(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("purge %s: %w", id, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func (s *Service) purge(ctx context.Context, id string) error {
	for range 5 {
		rec, err := s.Store.GetSession(ctx, id)
		if err != nil {
			return err
		}
		d, err := s.decodeRecord(rec)
		if err != nil {
			// Unreadable (e.g. sealed with a key no longer configured): drop it all.
			d = Data{Reason: "unreadable"}
		}
		// Blobs go first: a crash between the two steps leaves a row that the next run purges again.
		if err := s.Blobs.DeletePrefix(ctx, "s/"+id+"/"); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return err
		}
		kept, _, _ := scrub(d)
		raw, _ := json.Marshal(kept)
		s.shred(rec, raw)
		rec.Purged, rec.IDHash = true, ""
		if !State(rec.State).Final() {
			rec.State = string(StateExpired)
		}
		err = s.Store.UpdateSession(ctx, rec)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return err
	}
	return ErrBusy
}

// deliveryHistory is how long delivered and failed callback rows are kept for the console.
const deliveryHistory = 30 * 24 * time.Hour

// Summary is a session as the operator console shows it: states, attempts
// and every check, with the identity masked.
type Summary struct {
	ID          string         `json:"id"`
	PlanID      string         `json:"plan_id"`
	PlanVersion int            `json:"plan_version"`
	State       string         `json:"state"`
	CreatedAt   time.Time      `json:"created_at"`
	FinishedAt  *time.Time     `json:"finished_at,omitempty"`
	Purged      bool           `json:"purged"`
	Name        string         `json:"name,omitempty"`
	IDNumber    string         `json:"id_number,omitempty"`
	Reason      string         `json:"reason,omitempty"`
	Attempts    []Attempt      `json:"attempts"`
	Diagnostics []Diagnostics  `json:"diagnostics,omitempty"`
	Steps       []StepRecord   `json:"steps,omitempty"`
	Consent     *ConsentRecord `json:"consent,omitempty"`
}

// Summaries lists an app's recent sessions for the console.
func (s *Service) Summaries(ctx context.Context, appID string, limit int) ([]Summary, error) {
	recs, err := s.Store.ListSessions(ctx, appID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(recs))
	for _, r := range recs {
		d, err := s.decodeRecord(&r)
		if err != nil {
			d = Data{Reason: "unreadable: " + err.Error()} // one bad row must not hide the others
		}
		sm := Summary{ID: r.ID, PlanID: r.PlanID, PlanVersion: r.PlanVersion, State: r.State, CreatedAt: r.CreatedAt, Purged: r.Purged,
			Reason: d.Reason, Attempts: d.Attempts, Diagnostics: d.Diagnostics, Steps: d.Steps, Consent: d.Consent}
		if !r.FinishedAt.IsZero() {
			f := r.FinishedAt
			sm.FinishedAt = &f
		}
		if sm.Attempts == nil {
			sm.Attempts = []Attempt{}
		}
		for i := range sm.Attempts {
			sm.Attempts[i].FaceKey, sm.Attempts[i].VideoKey, sm.Attempts[i].FrameKeys = "", "", nil
		}
		id := d.Submitted
		if id == nil {
			id = d.Confirmed
		}
		if id != nil {
			sm.Name, sm.IDNumber = MaskName(id.Name), MaskIDNumber(id.IDNumber)
		}
		out = append(out, sm)
	}
	return out, nil
}
