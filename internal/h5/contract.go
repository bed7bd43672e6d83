package h5

import (
	"context"

	"github.com/faceprint/faceprint/internal/verify"
)

// Verify is the part of the verify service the H5 pages use. *verify.Service
// satisfies it; unit tests use a fake.
type Verify interface {
	Open(ctx context.Context, token string) (verify.View, error)
	Start(ctx context.Context, token string) (verify.View, error)
	RecordDiagnostics(ctx context.Context, token string, d verify.Diagnostics) error
	SubmitCard(ctx context.Context, token string, side verify.CardSide, image []byte) (verify.CardResult, verify.View, error)
	ConfirmIdentity(ctx context.Context, token, name, idNumber string) (verify.View, error)
	IssueChallenge(ctx context.Context, token string, noFlash bool) (verify.IssuedChallenge, verify.View, error)
	SubmitCapture(ctx context.Context, token, challengeID string, c verify.Capture) (verify.Decision, verify.View, error)
}

var _ Verify = (*verify.Service)(nil)

// Short names for the verify types used throughout the package.
type (
	View        = verify.View
	Diagnostics = verify.Diagnostics
	TokenError  = verify.TokenError
)

// Steps a View may point at.
const (
	StepConsent  = "consent"
	StepConfirm  = "confirm"
	StepLiveness = "liveness"
	StepDone     = "done"
)
