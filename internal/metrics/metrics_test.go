package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/faceprint/faceprint/internal/metrics"
)

func TestExposition(t *testing.T) {
	r := metrics.NewRegistry(func() map[string]int64 { return map[string]int64{"get app": 2} })
	for _, d := range []time.Duration{3 * time.Millisecond, 5 * time.Millisecond, 40 * time.Millisecond, time.Minute} {
		r.ObserveRequest("POST /rest/2.0/face/v3/match", d)
	}
	r.ObserveRequest("", time.Millisecond)
	r.ObserveBlob("get", "not_found", time.Millisecond)
	r.ObserveBlob("get", "ok", 2*time.Millisecond)
	r.ObserveBlob("put", "error", time.Second)
	out := r.String()
	for _, want := range []string{
		`faceprint_http_request_duration_seconds_bucket{route="POST /rest/2.0/face/v3/match",le="0.005"} 2`, // 5 ms is ≤ 0.005 (le)
		`faceprint_http_request_duration_seconds_bucket{route="POST /rest/2.0/face/v3/match",le="0.05"} 3`,
		`faceprint_http_request_duration_seconds_bucket{route="POST /rest/2.0/face/v3/match",le="30"} 3`,
		`faceprint_http_request_duration_seconds_bucket{route="POST /rest/2.0/face/v3/match",le="+Inf"} 4`,
		`faceprint_http_request_duration_seconds_count{route="POST /rest/2.0/face/v3/match"} 4`,
		`faceprint_http_request_duration_seconds_count{route="unmatched"} 1`,
		`faceprint_blob_operations_total{op="get",result="not_found"} 1`,
		`faceprint_blob_operations_total{op="put",result="error"} 1`,
		`faceprint_blob_operation_duration_seconds_count{op="get"} 2`,
		`faceprint_db_errors_total{op="get app"} 2`,
		"# TYPE faceprint_http_request_duration_seconds histogram",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}
