package idcard

// The second-generation resident ID card is 85.6 × 54 mm. Positions are on a
// normalised 856 × 540 card image (0.1 mm per pixel). They approximate the
// GB 19104 layout (not measured on a real card scan): the synthetic card
// generator draws with these constants and the reader maps label anchors
// found in a photo back to them to rectify the card. Field assignment uses
// the labels first and positions (±30 px bands) only for unlabelled lines,
// so small differences from a real card are tolerated.
const (
	CardW = 856
	CardH = 540
)

// Box is an axis-aligned rectangle on the normalised card.
type Box struct{ X0, Y0, X1, Y1 float64 }

// Anchor is where a printed label starts on the card: the top-left corner
// of its first character, its text height and the label's run length.
type Anchor struct {
	Label string
	X, Y  float64 // top-left of the label's first glyph box
	W, H  float64 // the label's width and glyph height
}

// Front side (人像面).
var (
	AnchorName    = Anchor{"姓名", 70, 62, 70, 24}
	AnchorSex     = Anchor{"性别", 70, 124, 70, 24}
	AnchorNation  = Anchor{"民族", 300, 124, 70, 24}
	AnchorBirth   = Anchor{"出生", 70, 184, 70, 24}
	AnchorAddress = Anchor{"住址", 70, 244, 70, 24}
	AnchorNumber  = Anchor{"公民身份号码", 70, 448, 200, 24}

	// ValueX is where the front's values start after their labels.
	FrontValueX = 160.0
	// NationValueX is where the nation starts, after its label.
	NationValueX = AnchorNation.X + AnchorNation.W + 20
	// ValueEm is the size of the short values (sex, nation, birth, address).
	ValueEm = 26.0
	NumberX = 290.0
	// The 18 characters of the number: centre of the first, centre-to-centre
	// pitch, and the row's centre line.
	NumberFirstX = 302.0
	NumberPitch  = 24.4
	NumberMidY   = 460.0
	// AddressLineStep is the distance between address lines.
	AddressLineStep = 40.0
	// PortraitBox is the photo area.
	PortraitBox = Box{540, 50, 810, 380}
)

// Back side (国徽面).
var (
	AnchorAuthority = Anchor{"签发机关", 170, 392, 120, 24}
	AnchorValidity  = Anchor{"有效期限", 170, 452, 120, 24}
	BackValueX      = 310.0
	TitleCountry    = Anchor{"中华人民共和国", 250, 70, 420, 40}
	TitleCard       = Anchor{"居民身份证", 230, 150, 480, 62}
	EmblemBox       = Box{60, 40, 200, 180}
)

// FrontAnchors and BackAnchors list the anchors used for rectification.
var (
	FrontAnchors = []Anchor{AnchorName, AnchorSex, AnchorNation, AnchorBirth, AnchorAddress, AnchorNumber}
	BackAnchors  = []Anchor{TitleCountry, TitleCard, AnchorAuthority, AnchorValidity}
)
