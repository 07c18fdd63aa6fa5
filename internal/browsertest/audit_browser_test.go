package browsertest

import (
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAxeFindsViolations checks the audit itself: on a page with
// known faults, axe-core reports the low contrast and the missing
// alternative text, with the impacts Audit fails on.
func TestBrowserAxeFindsViolations(t *testing.T) {
	ctx := New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><title>Faults</title></head><body><main>
<h1>Faults</h1>
<p style="color:#bbbbbb;background:#ffffff">Light grey text on white.</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
</main></body></html>`)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	Do(t, ctx, "faulty page", chromedp.Navigate("http://"+ln.Addr().String()+"/"))
	got := map[string]string{}
	for _, v := range violations(t, ctx, "faulty page") {
		got[v.ID] = v.Impact
	}
	for id, impact := range map[string]string{"color-contrast": "serious", "image-alt": "critical"} {
		if got[id] != impact {
			t.Errorf("axe-core reported %s as %q, want %q (all: %v)", id, got[id], impact, got)
		}
	}
}
