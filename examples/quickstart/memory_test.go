package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMemory runs the quickstart binary on a new database, reads its
// resident memory once idle, then provisions 10,000 users through its SCIM
// endpoint (four clients, with -scim-unlimited so that the per-directory
// rate limit does not pace them) and looks each up by userName, and reads
// it again. The budget: resident memory after the load within twice the
// idle figure. Linux only (it reads /proc/<pid>/status); it logs the
// figures, anonymous and file-backed apart:
//
//	go test -run TestMemory -v ./examples/quickstart
func TestMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the quickstart binary and sends it 20,000 requests")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if raceBuild {
		t.Skip("the race detector's own memory would be measured")
	}
	const users, clients = 10000, 4
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	dir := t.TempDir()
	q := startQuickstart(ctx, t, buildQuickstart(ctx, t, dir), filepath.Join(dir, "quickstart.db"), "127.0.0.1:0", "-scim-unlimited")
	waitReady(ctx, t, q.url(t, "app"))
	// Idle: once what the start and the first background rounds allocate
	// has settled.
	time.Sleep(2 * time.Second)
	idle := residentMemory(t, q.cmd.Process.Pid)

	base, token := strings.TrimSuffix(q.url(t, "SCIM base URL"), "/"), q.line(t, "SCIM token")
	load := func(what string, request func(i int) (method, target, body string, want int)) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				defer c.CloseIdleConnections()
				for i := int(next.Add(1)); i <= users && ctx.Err() == nil; i = int(next.Add(1)) {
					method, target, body, want := request(i)
					if code := scimDo(ctx, c, method, target, token, body); code != want {
						t.Errorf("%s %d: status %d, want %d", what, i, code, want)
						return
					}
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
	}
	load("create", func(i int) (string, string, string, int) {
		return http.MethodPost, base + "/Users", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"load%d@example.com","externalId":"ext-%d","active":true,"displayName":"Load %d","name":{"givenName":"Given%d","familyName":"Family"},"emails":[{"value":"load%d@example.com","type":"work","primary":true}]}`, i, i, i, i, i), http.StatusCreated
	})
	created := residentMemory(t, q.cmd.Process.Pid)
	load("lookup", func(i int) (string, string, string, int) {
		return http.MethodGet, base + "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "load%d@example.com"`, i)), "", http.StatusOK
	})
	after := residentMemory(t, q.cmd.Process.Pid)

	t.Logf("idle:                          %v", idle)
	t.Logf("after %d creates:           %v", users, created)
	t.Logf("after %d creates and lookups: %v (%.2fx idle)", users, after, float64(after.rss)/float64(idle.rss))
	if after.rss > 2*idle.rss {
		t.Errorf("resident memory after the load %d kB, more than twice the idle %d kB", after.rss, idle.rss)
	}
}

// memory is a process's resident memory, in kB: all of it, and its
// anonymous and file-backed parts.
type memory struct{ rss, anon, file int64 }

func (m memory) String() string {
	return fmt.Sprintf("RSS %d kB (anonymous %d kB, file %d kB)", m.rss, m.anon, m.file)
}

// residentMemory reads the resident memory of process pid.
func residentMemory(t *testing.T, pid int) memory {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var m memory
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 || f[2] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("/proc/%d/status: %q", pid, l)
		}
		switch f[0] {
		case "VmRSS:":
			m.rss = n
		case "RssAnon:":
			m.anon = n
		case "RssFile:":
			m.file = n
		}
	}
	if m.rss == 0 {
		t.Fatalf("/proc/%d/status has no VmRSS", pid)
	}
	return m
}

// scimDo sends one SCIM request with token and returns the status.
func scimDo(ctx context.Context, c *http.Client, method, target, token, body string) int {
	req, err := http.NewRequestWithContext(ctx, method, target, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
