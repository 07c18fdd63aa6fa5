package portal

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// TestProblemsPage: the IT admin sees the refused sign-ins and SCIM
// requests of their organization from the last 7 days, with the reason and
// the fix, and nothing of another organization or older.
func TestProblemsPage(t *testing.T) {
	h := newHarness(t, withSCIM(t))
	ctx := context.Background()
	now := h.clock.Now()
	must(t, h.st.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: h.org.ID, Protocol: store.ProtocolSAML, Provider: "okta", Name: "Okta (staff)",
		State: store.ConnectionActive, CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{IdPEntityID: "https://idp.example"}}))
	other := h.createOrg("org_other", "Other")
	failed := func(id, org string, at time.Time, reason ssokit.Reason) {
		raw, _ := json.Marshal(&ssokit.LoginError{Reason: reason, Detail: "detail of " + id, Email: "ada@acme.example"})
		appendEvent(t, h, store.Event{ID: id, Type: ssokit.EventLoginFailed, OrgID: org, Subject: "conn_1", Actor: "system", Data: raw, CreatedAt: at})
	}
	failed("evt_old", h.org.ID, now.Add(-8*24*time.Hour), ssokit.ReasonExpired)
	failed("evt_other", other.ID, now, ssokit.ReasonIssuer)
	failed("evt_aud", h.org.ID, now.Add(-time.Hour), ssokit.ReasonAudience)
	failed("evt_cert", h.org.ID, now.Add(-time.Minute), ssokit.ReasonUnknownCertificate)

	// A real refused SCIM request, from an IdP with a wrong token, many
	// times: one entry with its count.
	dir, err := h.p.cfg.SCIM.CreateDirectory(ctx, h.org.ID, scimkit.DirectoryOptions{Provider: "okta", Name: "Okta users", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	wrong := scimkit.TokenPrefix + strings.Repeat("B", 43)
	for range 3 {
		h.scimDo(http.MethodGet, "/"+dir.ID+"/Users", wrong, "")
	}
	h.clock.Add(scimkit.RefusalRecordInterval)
	h.scimDo(http.MethodGet, "/"+dir.ID+"/Users", wrong, "")

	c := h.signIn(admin.LinkOptions{})
	w := h.get("/portal/problems", c)
	if w.Code != http.StatusOK {
		t.Fatalf("GET: %d", w.Code)
	}
	doc := parse(t, w)
	logins := testID(doc, "logins-row")
	if logins.Length() != 2 {
		t.Fatalf("%d refused sign-ins, want the 2 of this organization in 7 days:\n%s", logins.Length(), w.Body)
	}
	first := logins.First()
	if got := first.Find(`[data-testid="problem-reason"]`).Text(); got != string(ssokit.ReasonUnknownCertificate) {
		t.Errorf("newest first: %q", got)
	}
	if !strings.Contains(first.Text(), "Okta (staff)") || !strings.Contains(first.Find(`[data-testid="problem-fix"]`).Text(), "certificate") {
		t.Errorf("row: %s", first.Text())
	}
	reqs := testID(doc, "requests-row")
	if reqs.Length() != 2 {
		t.Fatalf("%d refused SCIM entries, want 2", reqs.Length())
	}
	if got := reqs.First().Find(`[data-testid="problem-count"]`).Text(); got != "3 times" {
		t.Errorf("count %q", got)
	}
	if !strings.Contains(reqs.First().Text(), "Okta users") || !strings.Contains(reqs.First().Find(`[data-testid="problem-fix"]`).Text(), "new token") {
		t.Errorf("SCIM row: %s", reqs.First().Text())
	}
	if strings.Contains(w.Body.String(), wrong) || strings.Contains(w.Body.String(), "evt_other") {
		t.Error("the page shows a token or another organization's event")
	}
	if href, _ := testID(doc, "nav-problems").Attr("href"); href != "/portal/problems" {
		t.Errorf("nav link %q", href)
	}

	// A session with only domains sees neither list.
	dc := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDomains}})
	doc = parse(t, h.get("/portal/problems", dc))
	if testID(doc, "refused-logins").Length()+testID(doc, "refused-scim").Length() != 0 {
		t.Error("a domains-only session sees refusals")
	}
}
