package simsync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/portal/simsync"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
)

// TestDirectorySimulatedSync: the development-only simulated sync runs only
// when the host sets it, provisions through the real SCIM endpoint, and
// leaves no extra token active.
func TestDirectorySimulatedSync(t *testing.T) {
	t.Parallel()
	for _, enabled := range []bool{false, true} {
		h := surfacetest.New(t, func(c *surfacetest.Config) {
			mux := http.NewServeMux()
			scimSrv := httptest.NewServer(mux)
			t.Cleanup(scimSrv.Close)
			s, err := scimkit.New(scimkit.Config{Store: c.Admin.Store.(store.Store), BaseURL: scimSrv.URL + "/scim", Now: c.Admin.Now, Logger: c.Admin.Logger})
			if err != nil {
				t.Fatal(err)
			}
			mux.Handle("/scim/", http.StripPrefix("/scim", s))
			c.Portal.SCIM, c.Admin.Directories = s, s
			if enabled {
				c.Portal.SimulatedSync = simsync.New(simsync.Config{HTTPClient: scimSrv.Client(), Now: c.Admin.Now, Logger: c.Admin.Logger})
			}
		})
		ctx := context.Background()
		c := h.SignIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDirSync}})
		csrf, _ := testkit.Parse(t, h.Get("/portal/", c)).Find(`[data-testid="logout-form"] input[name="csrf"]`).Attr("value")
		// follow answers a redirect as the browser does, with the flash.
		follow := func(w *httptest.ResponseRecorder) *httptest.ResponseRecorder {
			t.Helper()
			if w.Code != http.StatusSeeOther {
				t.Fatalf("status %d, want 303: %s", w.Code, w.Body)
			}
			cs := []*http.Cookie{c}
			for _, ck := range w.Result().Cookies() {
				if ck.MaxAge >= 0 {
					cs = append(cs, ck)
				}
			}
			loc, _, _ := strings.Cut(w.Header().Get("Location"), "#")
			return h.Get(loc, cs...)
		}
		if w := h.Post("/portal/directory-sync", url.Values{web.CSRFField: {csrf}, "provider": {"entra"}, "name": {"Employees"}}, c); w.Code != http.StatusSeeOther {
			t.Fatalf("create directory: %d %s", w.Code, w.Body)
		}
		dirs, err := h.Store.ListDirectories(ctx, h.Org.ID)
		if err != nil || len(dirs) != 1 {
			t.Fatalf("directories %v (%v)", dirs, err)
		}
		dirID := dirs[0].ID
		detail := testkit.Parse(t, h.Get("/portal/directory-sync/"+dirID, c))
		if got := testkit.TestID(detail, "dir-simulate").Length() == 1; got != enabled {
			t.Errorf("enabled=%v: simulate button shown = %v", enabled, got)
		}
		w := h.Post("/portal/directory-sync/"+dirID+"/simulate", url.Values{web.CSRFField: {csrf}}, c)
		if !enabled {
			if w.Code != http.StatusNotFound {
				t.Errorf("disabled: status %d", w.Code)
			}
			continue
		}
		if testkit.TestID(testkit.Parse(t, follow(w)), "error-summary").Length() != 1 {
			t.Errorf("inactive directory: no error shown")
		}
		h.Post("/portal/directory-sync/"+dirID+"/activate", url.Values{web.CSRFField: {csrf}}, c)
		w = follow(h.Post("/portal/directory-sync/"+dirID+"/simulate", url.Values{web.CSRFField: {csrf}}, c))
		doc := testkit.Parse(t, w)
		if w.Code != http.StatusOK || testkit.TestID(doc, "sim-result").Length() != 1 {
			t.Fatalf("simulate: %d %s\n%s", w.Code, w.Body, h.Logs)
		}
		if _, n, _ := h.Store.ListDirectoryUsers(ctx, dirID, store.UserQuery{}); n != simsync.Users {
			t.Errorf("%d users after the simulated sync, want %d", n, simsync.Users)
		}
		if got := testkit.TestID(doc, "activity-users").Text(); got != strconv.Itoa(simsync.Users) {
			t.Errorf("activity users = %q", got)
		}
		if testkit.TestID(doc, "sim-request").Length() == 0 {
			t.Error("no requests shown")
		}
		toks, _ := h.Store.ListDirectoryTokens(ctx, dirID)
		active := 0
		for _, tk := range toks {
			if tk.ActiveAt(h.Clock.Now()) {
				active++
			}
		}
		if len(toks) != 2 || active != 1 {
			t.Errorf("%d tokens, %d active after the simulated sync; want the temporary one revoked", len(toks), active)
		}
		// The temporary token is not the customer's: their list shows
		// only the directory's own.
		if n := testkit.TestID(doc, "token").Length(); n != 1 {
			t.Errorf("%d tokens listed after the simulated sync, want 1", n)
		}
	}
}
