package dashboard_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/dashboard"
	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// The dashboard's scripts may come only from its own assets, never from the
// whole host origin ('self'), wherever it is mounted.
func TestDashboardCSPScriptSource(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		baseURL      string
		dashboardURL string
		wantScript   string
		wantAsset    string // the script the pages load; "" to skip
	}{
		{"default mount", "https://app.example.com/portal", "", "script-src https://app.example.com/dashboard/assets/;", "/dashboard/assets/dashboard.js"},
		{"nested mount", "https://app.example.com/portal", "https://app.example.com/staff/onboarding/", "script-src https://app.example.com/staff/onboarding/assets/;", "/staff/onboarding/assets/dashboard.js"},
		{"root of its own origin", "https://app.example.com/portal", "https://staff.example.com", "script-src https://staff.example.com/assets/;", "/assets/dashboard.js"},
		{"loopback development", "http://127.0.0.1:8080/portal", "http://127.0.0.1:8080/dashboard", "script-src http://127.0.0.1:8080/dashboard/assets/;", "/dashboard/assets/dashboard.js"},
		{"path needing escapes", "https://app.example.com/portal", "https://app.example.com/my%20dash", "script-src https://app.example.com/my%20dash/assets/;", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := memstore.New()
			a, err := admin.New(admin.Config{Store: st, PortalURL: tc.baseURL})
			if err != nil {
				t.Fatal(err)
			}
			p, err := portal.New(portal.Config{Store: st, Admin: a})
			if err != nil {
				t.Fatal(err)
			}
			d, err := dashboard.New(dashboard.Config{Admin: a, BaseURL: tc.dashboardURL})
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			d.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			csp := w.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, tc.wantScript) || strings.Contains(csp, "script-src 'self'") {
				t.Errorf("CSP %q, want %q", csp, tc.wantScript)
			}
			if tc.wantAsset != "" && !strings.Contains(w.Body.String(), `src="`+tc.wantAsset+`"`) {
				t.Errorf("the page does not load %s", tc.wantAsset)
			}
			// The portal keeps its own, different script source.
			pw := httptest.NewRecorder()
			p.ServeHTTP(pw, httptest.NewRequest(http.MethodGet, "/l/nope", nil))
			if pcsp := pw.Header().Get("Content-Security-Policy"); strings.Contains(pcsp, tc.wantScript) || !strings.Contains(pcsp, "/portal/assets/;") {
				t.Errorf("portal CSP %q", pcsp)
			}
		})
	}
}
