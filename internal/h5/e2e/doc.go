// Package e2e drives the H5 pages in real Chromium with a fake camera
// (a Y4M file made with ffmpeg at test time): against the in-memory verify
// fake (fast) and against the whole server with real models (internal/testenv).
package e2e
