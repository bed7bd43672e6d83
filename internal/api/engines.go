package api

import (
	"github.com/faceprint/faceprint/internal/idcard"
	"github.com/faceprint/faceprint/internal/liveness"
	"github.com/faceprint/faceprint/internal/verify"
	"github.com/faceprint/faceprint/internal/vision/face"
)

// Engines are the vision engines behind the component REST APIs. A nil
// engine means its models are not installed: its endpoints answer error 2
// (Service temporarily unavailable) with a message that says so.
type Engines struct {
	Face       *face.Engine
	IDCard     *idcard.Reader
	Liveness   *liveness.Engine
	References verify.References // authorities + local registry, for person/verify
}
