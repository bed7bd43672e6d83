package idcard

import "github.com/faceprint/faceprint/internal/vision/ocr"

// Baidu field names (words_result keys).
const (
	KeyName      = "姓名"
	KeySex       = "性别"
	KeyNation    = "民族"
	KeyBirth     = "出生"
	KeyAddress   = "住址"
	KeyNumber    = "公民身份号码"
	KeyAuthority = "签发机关"
	KeyIssue     = "签发日期"
	KeyExpire    = "失效日期"
)

// FrontKeys and BackKeys are each side's fields in Baidu's order.
var (
	FrontKeys = []string{KeyName, KeyNation, KeyAddress, KeyNumber, KeyBirth, KeySex}
	BackKeys  = []string{KeyAuthority, KeyIssue, KeyExpire}
)

// Image statuses and risk types, as Baidu spells them.
const (
	StatusNormal       = "normal"
	StatusReversedSide = "reversed_side"
	StatusNonIDCard    = "non_idcard"
	StatusBlurred      = "blurred"
	StatusOverExposure = "over_exposure"
	StatusOverDark     = "over_dark"
	StatusOtherType    = "other_type_card"
	StatusUnknown      = "unknown"

	RiskNormal    = "normal"
	RiskCopy      = "copy"
	RiskTemporary = "temporary"
	RiskScreen    = "screen"
	RiskUnknown   = "unknown"
)

// Location is a field's axis-aligned box in the submitted image.
type Location struct {
	Left   int `json:"left"`
	Top    int `json:"top"`
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Word is one words_result entry.
type Word struct {
	Location Location `json:"location"`
	Words    string   `json:"words"`
}

// CardQuality is Baidu's card_quality (the "propobility" spelling is Baidu's).
type CardQuality struct {
	IsClear               int     `json:"IsClear"`
	IsClearPropobility    float64 `json:"IsClear_propobility"`
	IsComplete            int     `json:"IsComplete"`
	IsCompletePropobility float64 `json:"IsComplete_propobility"`
	IsNoCover             int     `json:"IsNoCover"`
	IsNoCoverPropobility  float64 `json:"IsNoCover_propobility"`
}

// Response is the body of a successful /rest/2.0/ocr/v1/idcard call. The
// API layer sets LogID. Optional parts are nil/empty unless asked for.
type Response struct {
	LogID            uint64          `json:"log_id"`
	Direction        *int            `json:"direction,omitempty"`
	ImageStatus      string          `json:"image_status"`
	RiskType         string          `json:"risk_type,omitempty"`
	EditTool         *string         `json:"edit_tool,omitempty"`
	IDCardNumberType *int            `json:"idcard_number_type,omitempty"`
	WordsResultNum   int             `json:"words_result_num"`
	WordsResult      map[string]Word `json:"words_result"`
	CardQuality      *CardQuality    `json:"card_quality,omitempty"`
	Photo            string          `json:"photo,omitempty"`
	PhotoLocation    *Location       `json:"photo_location,omitempty"`
	CardImage        string          `json:"card_image,omitempty"`
	CardLocation     *Location       `json:"card_location,omitempty"`
	// NumberCorrected is faceprint's own addition (Baidu has no such
	// field): present only when one low-confidence digit of the number was
	// repaired through the GB 11643 checksum.
	NumberCorrected *NumberCorrection `json:"idcard_number_corrected,omitempty"`
	// GlyphCorrected (faceprint's addition) lists the characters where the
	// recogniser's first choice was replaced by an alternative whose glyph
	// matched the card clearly better (a rare name character such as 旸
	// first read as the common 肠).
	GlyphCorrected []GlyphCorrection `json:"glyph_corrected,omitempty"`
}

// GlyphCorrection is one character re-decided by its printed shape.
type GlyphCorrection struct {
	Field    string `json:"field"`
	Position int    `json:"position"` // 0-based, in runes
	Read     string `json:"read"`
	Written  string `json:"written"`
}

// NumberCorrection says which digit of the number was repaired.
type NumberCorrection struct {
	Position int    `json:"position"` // 0-based
	Read     string `json:"read"`
	Written  string `json:"written"`
}

// Measures are the raw quality and risk measurements behind the decisions,
// kept for evaluation and explanations.
type Measures struct {
	Sharpness     float64 // normalised Laplacian energy of the card (higher = sharper)
	MeanLuma      float64 // mean luminance of the card, 0–255
	Saturated     float64 // share of card pixels at ≥ 250
	InkLuma       float64 // 0.5th percentile of luminance (how dark the ink is)
	Chroma        float64 // mean colour distance from grey after grey-world balance
	ScreenPeak    float64 // strongest periodic peak in the card's spectrum (× local median)
	Anchors       int     // label anchors found
	CardCoverage  float64 // share of the card inside the image
	RecConfidence float64 // mean recognition confidence of the fields

	// The whole photo, for photos without a readable card.
	WholeLuma, WholeSaturated, WholeSharpness float64
	TextBoxes                                 int // text boxes the detector found
}

// Reading is everything the reader found on one side.
type Reading struct {
	Response   Response
	Side       string // side recognised on the card: front, back or "" (none)
	Fields     map[string]string
	Expired    bool          // back side: expiry date before now
	Portrait   []byte        // JPEG of the portrait (front), when found
	Correction *Correction   // checksum repair of the number, when one was made
	Glyphs     []GlyphChoice // characters re-decided by the glyph check
	Measures   Measures
	Millis     int64
	Timing     ocr.Timing
}
