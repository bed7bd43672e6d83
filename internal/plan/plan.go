// Package plan holds the verification plan (方案) model: what steps a verify
// session has and how strictly each is judged. Plans are versioned; a session
// is always judged by the version it was created under.
package plan

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Identity input modes (身份信息录入方式).
const (
	InputOCR       = "ocr"       // 身份证识别OCR: the user photographs the card
	InputManual    = "manual"    // 手动输入: the user types name + number
	InputSubmitted = "submitted" // 指定用户身份核验: the business calls idcard/submit first
)

// Card sides for OCR plans.
const (
	SidesFront     = "front"
	SidesFrontBack = "front_back"
)

// Compare sources (比对源).
const (
	CompareAuthority = "authority" // an external authority gateway (权威库)
	CompareRegistry  = "registry"  // the local enrolment registry
	CompareUploaded  = "uploaded"  // uploadMatchImage (自建人脸库比对)
	CompareIDCard    = "idcard"    // the ID-card portrait from the OCR step (人证比对)
	CompareNone      = "none"      // liveness only (仅活体检测)
)

// Liveness modes.
const (
	LivenessAction  = "action"
	LivenessFlash   = "flash"
	LivenessSilent  = "silent"
	LivenessNearFar = "nearfar"
	LivenessNone    = "none"
)

// Levels for quality, liveness and spoofing checks (严格/正常/宽松).
const (
	LevelStrict = "strict"
	LevelNormal = "normal"
	LevelLoose  = "loose"
)

// Actions a liveness action challenge may ask for.
var AllActions = []string{"blink", "mouth", "left", "right", "up", "down"}

// Plan is one version of a plan.
type Plan struct {
	ID        string    `json:"plan_id"`
	AppID     string    `json:"app_id"`
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	Options   Options   `json:"options"`
}

// Options is everything a plan decides. Zero values are replaced by defaults
// in Normalize, so a plan file only needs the settings it changes.
type Options struct {
	IdentityInput    string `json:"identity_input" yaml:"identity_input"`
	CardSides        string `json:"card_sides" yaml:"card_sides"`
	CardRiskCheck    bool   `json:"card_risk_check" yaml:"card_risk_check"`       // reject copies / screen re-captures
	AllowExpiredCard bool   `json:"allow_expired_card" yaml:"allow_expired_card"` // accept a card whose expiry date passed

	CompareSource string `json:"compare_source" yaml:"compare_source"`
	Authority     string `json:"authority,omitempty" yaml:"authority,omitempty"` // configured authority name for compare_source=authority

	Liveness LivenessOptions `json:"liveness" yaml:"liveness"`

	QualityLevel        string  `json:"quality_level" yaml:"quality_level"`
	SimilarityThreshold float64 `json:"similarity_threshold" yaml:"similarity_threshold"` // 0–100, default 80

	InvalidateOnFailure bool `json:"invalidate_on_failure" yaml:"invalidate_on_failure"` // 认证未通过时URL失效
	MaxAttempts         int  `json:"max_attempts" yaml:"max_attempts"`

	RedirectAllowList []string `json:"redirect_allow_list" yaml:"redirect_allow_list"` // origins (scheme://host[:port]) allowed for successUrl/failedUrl
	FrameAncestors    []string `json:"frame_ancestors" yaml:"frame_ancestors"`         // origins allowed to embed the H5 pages

	RetentionHours int    `json:"retention_hours" yaml:"retention_hours"` // result window after the session ends, default 72
	MaskPII        bool   `json:"mask_pii" yaml:"mask_pii"`               // mask name/number in result APIs (柴*, 370***5826)
	CallbackURL    string `json:"callback_url,omitempty" yaml:"callback_url,omitempty"`
	// CallbackEvents chooses the lifecycle events POSTed to CallbackURL
	// (EventStarted, …); empty means session.finished only, as before events existed.
	CallbackEvents []string `json:"callback_events,omitempty" yaml:"callback_events,omitempty"`

	Title        string `json:"title" yaml:"title"`
	ShowTitleBar bool   `json:"show_title_bar" yaml:"show_title_bar"`
	ConsentText  string `json:"consent_text" yaml:"consent_text"`
	Language     string `json:"language" yaml:"language"` // zh | en

	AllowVideoFallback bool `json:"allow_video_fallback" yaml:"allow_video_fallback"` // recorded video when live capture is unavailable
}

// LivenessOptions configures the liveness step.
type LivenessOptions struct {
	Mode          string   `json:"mode" yaml:"mode"`
	Level         string   `json:"level" yaml:"level"`
	SpoofingLevel string   `json:"spoofing_level" yaml:"spoofing_level"`
	Actions       []string `json:"actions" yaml:"actions"`               // pool to draw from (action mode)
	ActionCount   int      `json:"action_count" yaml:"action_count"`     // N of the pool, random order
	AllowNoFlash  bool     `json:"allow_no_flash" yaml:"allow_no_flash"` // flash mode: users may choose an action challenge instead
}

// Lifecycle events a plan's callback may receive (issue #16).
const (
	EventStarted    = "session.started"
	EventStepFailed = "session.step_failed"
	EventAbandoned  = "session.abandoned"
	EventExpired    = "session.expired"
	EventFinished   = "session.finished"
)

// AllEvents lists the lifecycle events in the order a session can emit them.
var AllEvents = []string{EventStarted, EventStepFailed, EventAbandoned, EventExpired, EventFinished}

// WantsEvent reports whether the plan's callback receives event.
func (o Options) WantsEvent(event string) bool {
	if o.CallbackURL == "" {
		return false
	}
	if len(o.CallbackEvents) == 0 {
		return event == EventFinished
	}
	return slices.Contains(o.CallbackEvents, event)
}

// Defaults returns the options of a new plan: OCR of the front side,
// ID-card portrait comparison, a two-action liveness challenge, threshold 80.
func Defaults() Options {
	return Options{
		IdentityInput: InputOCR,
		CardSides:     SidesFront,
		CardRiskCheck: true,
		CompareSource: CompareIDCard,
		Liveness: LivenessOptions{
			Mode: LivenessAction, Level: LevelNormal, SpoofingLevel: LevelNormal,
			Actions: []string{"blink", "mouth", "left", "right"}, ActionCount: 2,
		},
		QualityLevel:        LevelNormal,
		SimilarityThreshold: 80,
		MaxAttempts:         3,
		RetentionHours:      72,
		Title:               "实名认证",
		ShowTitleBar:        true,
		ConsentText:         "我同意为核验身份之目的采集并处理我的身份证信息和人脸信息。",
		Language:            "zh",
		AllowVideoFallback:  true,
	}
}

// Normalize fills unset fields with defaults.
func (o *Options) Normalize() {
	d := Defaults()
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.IdentityInput, d.IdentityInput)
	def(&o.CardSides, d.CardSides)
	def(&o.CompareSource, d.CompareSource)
	def(&o.Liveness.Mode, d.Liveness.Mode)
	def(&o.Liveness.Level, d.Liveness.Level)
	def(&o.Liveness.SpoofingLevel, d.Liveness.SpoofingLevel)
	def(&o.QualityLevel, d.QualityLevel)
	def(&o.Title, d.Title)
	def(&o.ConsentText, d.ConsentText)
	def(&o.Language, d.Language)
	if o.Liveness.Mode == LivenessAction && len(o.Liveness.Actions) == 0 {
		o.Liveness.Actions = d.Liveness.Actions
	}
	if o.Liveness.Mode == LivenessAction && o.Liveness.ActionCount == 0 {
		o.Liveness.ActionCount = min(d.Liveness.ActionCount, len(o.Liveness.Actions))
	}
	if o.SimilarityThreshold == 0 {
		o.SimilarityThreshold = d.SimilarityThreshold
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = d.MaxAttempts
	}
	if o.RetentionHours == 0 {
		o.RetentionHours = d.RetentionHours
	}
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var errs []error
	oneOf := func(field, v string, allowed ...string) {
		if !slices.Contains(allowed, v) {
			errs = append(errs, fmt.Errorf("%s: %q is not one of %s", field, v, strings.Join(allowed, ", ")))
		}
	}
	oneOf("identity_input", o.IdentityInput, InputOCR, InputManual, InputSubmitted)
	oneOf("card_sides", o.CardSides, SidesFront, SidesFrontBack)
	oneOf("compare_source", o.CompareSource, CompareAuthority, CompareRegistry, CompareUploaded, CompareIDCard, CompareNone)
	oneOf("liveness.mode", o.Liveness.Mode, LivenessAction, LivenessFlash, LivenessSilent, LivenessNearFar, LivenessNone)
	oneOf("liveness.level", o.Liveness.Level, LevelStrict, LevelNormal, LevelLoose)
	oneOf("liveness.spoofing_level", o.Liveness.SpoofingLevel, LevelStrict, LevelNormal, LevelLoose)
	oneOf("quality_level", o.QualityLevel, LevelStrict, LevelNormal, LevelLoose)
	oneOf("language", o.Language, "zh", "en")
	if o.CompareSource == CompareIDCard && o.IdentityInput != InputOCR {
		errs = append(errs, errors.New("compare_source idcard needs identity_input ocr (the portrait comes from the card photo)"))
	}
	if o.CompareSource == CompareAuthority && o.Authority == "" {
		errs = append(errs, errors.New("compare_source authority needs authority (the configured authority's name)"))
	}
	if o.Liveness.Mode == LivenessAction {
		for _, a := range o.Liveness.Actions {
			oneOf("liveness.actions", a, AllActions...)
		}
		if o.Liveness.ActionCount < 1 || o.Liveness.ActionCount > len(o.Liveness.Actions) {
			errs = append(errs, fmt.Errorf("liveness.action_count: %d must be between 1 and the number of actions (%d)", o.Liveness.ActionCount, len(o.Liveness.Actions)))
		}
	}
	if o.Liveness.Mode == LivenessNone && o.CompareSource == CompareNone {
		errs = append(errs, errors.New("a plan needs liveness or a comparison: both are none"))
	}
	if o.SimilarityThreshold < 0 || o.SimilarityThreshold > 100 {
		errs = append(errs, fmt.Errorf("similarity_threshold: %v must be within 0–100", o.SimilarityThreshold))
	}
	if o.MaxAttempts < 1 || o.MaxAttempts > 20 {
		errs = append(errs, fmt.Errorf("max_attempts: %d must be within 1–20", o.MaxAttempts))
	}
	if o.RetentionHours < 1 || o.RetentionHours > 24*365 {
		errs = append(errs, fmt.Errorf("retention_hours: %d must be within 1–8760", o.RetentionHours))
	}
	for _, a := range o.RedirectAllowList {
		if _, err := ParseOrigin(a); err != nil {
			errs = append(errs, fmt.Errorf("redirect_allow_list: %w", err))
		}
	}
	for _, a := range o.FrameAncestors {
		if _, err := ParseOrigin(a); err != nil {
			errs = append(errs, fmt.Errorf("frame_ancestors: %w", err))
		}
	}
	if o.CallbackURL != "" {
		if u, err := url.Parse(o.CallbackURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("callback_url: %q is not an http(s) URL", o.CallbackURL))
		}
	}
	for _, e := range o.CallbackEvents {
		oneOf("callback_events", e, AllEvents...)
	}
	if len(o.Title) > 64 || len(o.ConsentText) > 4000 {
		errs = append(errs, errors.New("title must be ≤ 64 bytes and consent_text ≤ 4000 bytes"))
	}
	return errors.Join(errs...)
}

// ParseOrigin checks that s is an origin (scheme://host[:port], no path) and returns it normalised.
func ParseOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("%q is not an origin like https://example.com", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// RedirectAllowed reports whether target may be used as a redirect for this plan:
// an absolute http(s) URL whose origin is on the allow-list.
func (o Options) RedirectAllowed(target string) bool {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return false
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, a := range o.RedirectAllowList {
		if n, err := ParseOrigin(a); err == nil && n == origin {
			return true
		}
	}
	return false
}
