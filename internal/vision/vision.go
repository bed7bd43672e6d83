// Package vision holds the ONNX Runtime setup (one environment per process,
// model sessions checked against their expected inputs and outputs), a
// bounded-concurrency gate, and image intake (decoding with limits, EXIF
// orientation) shared by the face and OCR engines.
package vision
