package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	cdplog "github.com/chromedp/cdproto/log"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Console records the console errors, uncaught exceptions and browser log
// errors of a tab, for Audit.
type Console struct {
	mu   sync.Mutex
	errs []string
}

// RecordConsole starts recording the errors of the tab ctx.
func RecordConsole(t testing.TB, ctx context.Context) *Console {
	t.Helper()
	c := &Console{}
	if err := chromedp.Listen(ctx, c.event); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *Console) event(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *cdpruntime.EventConsoleAPICalled:
		if ev.Type != cdpruntime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg = "console.error: " + strings.Join(parts, " ")
	case *cdpruntime.EventExceptionThrown:
		msg = "uncaught exception: " + ev.ExceptionDetails.Text
		if e := ev.ExceptionDetails.Exception; e != nil {
			msg += " " + e.Description
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level != cdplog.EntryLevelError {
			return
		}
		msg = fmt.Sprintf("log %s error: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
	default:
		return
	}
	c.mu.Lock()
	c.errs = append(c.errs, msg)
	c.mu.Unlock()
}

// Take returns the errors recorded since the last call and forgets them.
func (c *Console) Take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	errs := c.errs
	c.errs = nil
	return errs
}

// axeSource reads the axe-core build the accessibility tests inject (see
// portal/testdata/axe/README.md).
func axeSource(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	src, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "portal", "testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatalf("reading axe-core: %v", err)
	}
	return string(src)
}

const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(function (r) {
  return r.violations.map(function (v) {
    return {id: v.id, impact: v.impact || "", help: v.help,
      targets: v.nodes.slice(0, 3).map(function (n) { return [].concat(n.target).join(" "); })};
  });
})`

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// Audit runs axe-core on the loaded page (injected through DevTools, so
// the page's CSP does not apply) and fails the test for each critical or
// serious violation, and for each error console recorded since the last
// audit. Lesser violations are logged. A page that answers an error status
// on purpose (a refused form) passes expectedDocument, its URL: the
// browser's report of that status is expected.
func Audit(t testing.TB, ctx context.Context, name string, console *Console, expectedDocument ...string) {
	t.Helper()
	for _, v := range violations(t, ctx, name) {
		line := fmt.Sprintf("%s: axe %s (%s): %s: %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
		if v.Impact == "critical" || v.Impact == "serious" {
			t.Error(line)
		} else {
			t.Log(line)
		}
	}
	if console != nil {
	next:
		for _, e := range console.Take() {
			for _, u := range expectedDocument {
				if strings.HasSuffix(e, "("+u+")") && strings.Contains(e, "the server responded with a status of 4") {
					t.Logf("%s: expected: %s", name, e)
					continue next
				}
			}
			t.Errorf("%s: %s", name, e)
		}
	}
}

// violations injects axe-core into the loaded page and returns what it
// finds.
func violations(t testing.TB, ctx context.Context, name string) []axeViolation {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Evaluate[chromedp.Void](axeSource(t))); err != nil {
		t.Fatalf("%s: injecting axe-core: %v", name, err)
	}
	vs, err := chromedp.Run(tctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: running axe-core: %v", name, err)
	}
	return vs
}
