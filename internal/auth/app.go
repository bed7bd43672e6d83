// Package auth holds API clients (apps), their hashed secrets, and OAuth
// access tokens in the shape Baidu's SDKs expect.
package auth

import "github.com/faceprint/faceprint/internal/store"

// App is one API client (an application with API Key / Secret Key).
type App = store.App
