package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/faceprint/faceprint/internal/plan"
	"github.com/faceprint/faceprint/internal/testenv"
)

func TestScratchOCR(t *testing.T) {
	e := testenv.Start(t, testenv.Options{})
	cam, person := cardThenFace(t)
	o := plan.Defaults()
	o.Liveness.Mode = plan.LivenessSilent
	tok := e.Generate(e.CreatePlan(o))
	p := newPhone(t, phoneOptions{Camera: cam})
	p.do(chromedp.Navigate(e.H5URL(tok)))
	p.wait("#start", 10*time.Second)
	p.tap("#consent")
	p.tap("#start")
	p.wait("#screen-card-front", 15*time.Second)
	t0 := time.Now()
	p.captureCard("#screen-confirm, #screen-card-rejected", 40*time.Second)
	t.Logf("card step %v", time.Since(t0))
	p.shot("scratch-ocr")
	if p.visible("#screen-card-rejected") {
		t.Fatalf("card rejected: %s", p.eval(`document.getElementById('card-reason').dataset.reason`))
	}
	t.Logf("name %q number %q (want %q %q)", p.value("#name"), p.value("#id-number"), person.Name, person.Number)
}
