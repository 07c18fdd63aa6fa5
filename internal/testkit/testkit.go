// Package testkit holds the helpers onboardkit's tests share: a settable
// clock, a log buffer safe for concurrent handlers, a local DNS server,
// stand-ins for the SSO and SCIM kits' lifecycle rules, small image files
// and HTML parsing. It is imported only by tests.
package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	imgcolor "image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/store"
)

// Start is the time a Clock made by NewClock starts at.
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Clock is a clock that tests move by hand. It is safe for concurrent use.
type Clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

// NewClock returns a Clock at t, or at Start when t is zero.
func NewClock(t time.Time) *Clock {
	if t.IsZero() {
		t = Start
	}
	return &Clock{t: t}
}

// Now returns the clock's time, after moving it by the step set with
// SetStep.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// SetStep makes every call of Now move the clock by d first, so that
// measured durations are non-zero and deterministic. The default is 0.
func (c *Clock) SetStep(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step = d
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// LogBuffer is a log sink safe for concurrent handlers.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger returns a text logger at debug level writing to b.
func (b *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Lifecycle stands in for ssokit's and scimkit's lifecycle rules (it has
// their method sets): a connection activates only from tested or inactive,
// a directory only from inactive, and deactivates only when active; every
// change writes an event. A refused transition wraps store.ErrConflict.
type Lifecycle struct{ Store store.Store }

// ErrTransition is the error of a refused transition.
var ErrTransition = fmt.Errorf("%w: transition not allowed", store.ErrConflict)

func (f Lifecycle) event(typ, orgID, subject, actor string) store.Event {
	id, _ := secret.NewID(nil, "evt")
	return store.Event{ID: id, Type: typ, OrgID: orgID, Subject: subject, Actor: actor, CreatedAt: time.Now().UTC()}
}

// Activate activates a tested or inactive connection.
func (f Lifecycle) Activate(ctx context.Context, id, actor string) (*store.Connection, error) {
	return f.Store.UpdateConnection(ctx, id, func(c *store.Connection) ([]store.Event, error) {
		if c.State != store.ConnectionTested && c.State != store.ConnectionInactive {
			return nil, ErrTransition
		}
		c.State = store.ConnectionActive
		return []store.Event{f.event("connection.activated", c.OrgID, c.ID, actor)}, nil
	})
}

// Deactivate deactivates an active connection.
func (f Lifecycle) Deactivate(ctx context.Context, id, actor string) (*store.Connection, error) {
	return f.Store.UpdateConnection(ctx, id, func(c *store.Connection) ([]store.Event, error) {
		if c.State != store.ConnectionActive {
			return nil, ErrTransition
		}
		c.State = store.ConnectionInactive
		return []store.Event{f.event("connection.deactivated", c.OrgID, c.ID, actor)}, nil
	})
}

// ActivateDirectory activates an inactive directory.
func (f Lifecycle) ActivateDirectory(ctx context.Context, id, actor string) (*store.Directory, error) {
	return f.Store.UpdateDirectory(ctx, id, func(d *store.Directory) ([]store.Event, error) {
		if d.State != store.DirectoryInactive {
			return nil, ErrTransition
		}
		d.State = store.DirectoryActive
		return []store.Event{f.event("directory.activated", d.OrgID, d.ID, actor)}, nil
	})
}

// DeactivateDirectory deactivates an active directory.
func (f Lifecycle) DeactivateDirectory(ctx context.Context, id, actor string) (*store.Directory, error) {
	return f.Store.UpdateDirectory(ctx, id, func(d *store.Directory) ([]store.Event, error) {
		if d.State != store.DirectoryActive {
			return nil, ErrTransition
		}
		d.State = store.DirectoryInactive
		return []store.Event{f.event("directory.deactivated", d.OrgID, d.ID, actor)}, nil
	})
}

// PNG returns a 4x4 PNG image of colour c.
func PNG(t testing.TB, c imgcolor.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for x := 0; x < 4; x++ {
		for y := 0; y < 4; y++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ICO returns a minimal ICO header: what content sniffing recognises.
func ICO() []byte {
	return append([]byte{0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0}, bytes.Repeat([]byte{0}, 64)...)
}

// Evil is text that would run script if a page rendered it as markup.
const Evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`

// SVG is an SVG image carrying a script.
const SVG = `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`

// Parse parses a recorded HTML response.
func Parse(t testing.TB, w *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("parsing HTML: %v", err)
	}
	return doc
}

// TestID selects the elements whose data-testid is id.
func TestID(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

// Must fails the test on a non-nil err.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Site sends requests to a handler the way a browser on Origin does.
type Site struct {
	H      http.Handler
	Origin string // such as "https://app.example.com"
}

// Do serves one request and returns the recorded response.
func (s Site) Do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.H.ServeHTTP(w, r)
	return w
}

// Get fetches path with cookies.
func (s Site) Get(path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, s.Origin+path, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return s.Do(r)
}

// Post sends a form to path as a same-origin page would.
func (s Site) Post(path string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, s.Origin+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", s.Origin)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return s.Do(r)
}

// CreateOrg stores an organization created at now.
func CreateOrg(t testing.TB, st store.OrganizationStore, now time.Time, id, name string) *store.Organization {
	t.Helper()
	o := &store.Organization{ID: id, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(context.Background(), o); err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	return o
}

// LinkToken returns the token of a portal link's URL (what follows "/l/").
func LinkToken(t testing.TB, linkURL string) string {
	t.Helper()
	i := strings.LastIndex(linkURL, "/l/")
	if i < 0 {
		t.Fatalf("link URL %q has no /l/ segment", linkURL)
	}
	return linkURL[i+len("/l/"):]
}

// SessionCookie returns the portal session cookie a response set, or nil.
func SessionCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if strings.HasSuffix(c.Name, "onboardkit_portal") && c.Value != "" {
			return c
		}
	}
	return nil
}

// JSONCall sends a request with c: method, u, the header h and body
// encoded as JSON (no body when nil). It fails the test unless the answer
// has status want, and returns the answer decoded (nil when empty).
func JSONCall(ctx context.Context, t testing.TB, c *http.Client, method, u string, h http.Header, body any, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", method, u, resp.StatusCode, want, raw)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, u, err, raw)
		}
	}
	return out
}
