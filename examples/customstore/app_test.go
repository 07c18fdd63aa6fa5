package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
)

// testKeyring seals the secrets of every Store a test of this package
// opens, so that two instances or a reopened file open each other's.
var testKeyring = seal.NewEphemeralKeyring()

// TestSignupWritesTheHostTable signs a customer up through the app and
// checks that the organization has its row in the host's own table, with
// the plan chosen, that onboardkit finds it, and that its portal link
// works.
func TestSignupWritesTheHostTable(t *testing.T) {
	st := newTestStore(t)

	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	app, err := newHostApp(st, srv.URL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	handler = app.routes()
	c := &http.Client{Timeout: 10 * time.Second}

	resp, err := c.PostForm(srv.URL+"/customers", url.Values{"name": {"Initech"}, "plan": {"enterprise"}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("signup: status %d, %v", resp.StatusCode, err)
	}
	row := page.Find(`table[data-testid="customers"] tr[data-org]`)
	if row.Length() != 1 || row.Find(`[data-testid="plan"]`).Text() != "enterprise" {
		t.Fatalf("customers table after signup: %q", row.Text())
	}
	orgID, _ := row.Attr("data-org")

	if plan := customerPlan(t, st, orgID); plan != "enterprise" {
		t.Errorf("customers row: plan %q", plan)
	}
	org, err := st.GetOrganization(t.Context(), orgID)
	if err != nil || org.Name != "Initech" {
		t.Fatalf("GetOrganization: %+v, %v", org, err)
	}
	evs, err := st.ListEvents(t.Context(), store.EventQuery{OrgID: orgID})
	if err != nil || len(evs) == 0 || evs[0].Type != "organization.created" {
		t.Errorf("events of the signup: %+v, %v", evs, err)
	}

	// The portal link generated for the customer opens its landing page.
	resp, err = c.PostForm(srv.URL+"/customers/"+orgID+"/portal-link", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/portal/l/") {
		t.Fatalf("portal link: status %d at %s", resp.StatusCode, resp.Request.URL)
	}
}
