package face

import (
	"context"
	"testing"
)

// BenchmarkDetectLandmarksEmbed is the per-face cost: detection, 68
// landmarks, alignment and embedding of a 640×480 photo (run with -cpu 1
// for the one-core figure; the engine uses one intra-op thread).
func BenchmarkDetectLandmarksEmbed(b *testing.B) {
	e := testEngine(b)
	img := photo(b, "gocv/face.jpg")
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fs, err := e.Detect(ctx, img, DetectOptions{Landmarks: true})
		if err != nil || len(fs) == 0 {
			b.Fatal(err)
		}
		if _, err := e.Embed(ctx, img, fs[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmbedTwoWorkers measures embeddings/s with two goroutines on the
// shared sessions (b.N embeddings in total; see the ns/op → 1e9/ns = per s).
func BenchmarkEmbedTwoWorkers(b *testing.B) {
	e := testEngine(b)
	img := photo(b, "gocv/face.jpg")
	fe, ok := largestEmb(b, e, img)
	if !ok {
		b.Fatal("no face")
	}
	b.SetParallelism(1) // with -cpu 2: two goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Embed(context.Background(), img, fe.Face); err != nil {
				b.Fatal(err)
			}
		}
	})
}
