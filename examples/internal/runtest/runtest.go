// Package runtest starts an example's run function the way its main does,
// for the examples' tests.
package runtest

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Run is an example's run function: main's body with its arguments and
// outputs passed in.
type Run func(ctx context.Context, args []string, out, logOut io.Writer) error

// Twice starts run with args twice in a row (the second start finds what
// the first one stored), each time reads the URL printed after label,
// checks that a GET of it answers 200 with want in the body, and stops run
// by cancelling its context, which must end it without error.
func Twice(t *testing.T, run Run, args []string, label, want string) {
	t.Helper()
	for range 2 {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		runCtx, stop := context.WithCancel(ctx)
		outR, outW := io.Pipe()
		done := make(chan error, 1)
		go func() {
			err := run(runCtx, args, outW, io.Discard)
			outW.Close()
			done <- err
		}()
		var page string
		sc := bufio.NewScanner(outR)
		for page == "" && sc.Scan() {
			_, page, _ = strings.Cut(sc.Text(), label)
		}
		go io.Copy(io.Discard, outR)
		if page == "" {
			stop()
			t.Fatalf("no %q line printed: %v", label, <-done)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("%s %s: status %d, body without %q", label, page, resp.StatusCode, want)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatalf("run: %v", err)
		}
		cancel()
	}
}
