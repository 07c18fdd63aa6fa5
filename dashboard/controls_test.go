package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/scimkit"
)

// TestDashboardFormsCreateOnce: a creation form posted twice (a double
// click, a re-sent POST) with its token creates one connection, one
// directory and one token; every POST answers with a redirect; a token is
// shown once, by the page after the redirect, and never in a URL.
func TestDashboardFormsCreateOnce(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) { c.Kits = true })
	ctx := context.Background()
	org := "/orgs/" + h.Org.ID
	page := testkit.Parse(t, h.DashGet(org))
	idem, _ := page.Find(`[data-testid="create-directory-form"] input[name="idem"]`).Attr("value")
	if len(idem) != 32 {
		t.Fatalf("form token %q", idem)
	}
	form := url.Values{"provider": {"okta"}, "name": {"Okta"}, "idem": {idem}}
	first := h.DashPost(org+"/directories", form)
	second := h.DashPost(org+"/directories", form)
	if first.Code != http.StatusSeeOther || second.Code != http.StatusSeeOther || first.Header().Get("Location") != second.Header().Get("Location") {
		t.Fatalf("%d %q / %d %q", first.Code, first.Header().Get("Location"), second.Code, second.Header().Get("Location"))
	}
	if strings.Contains(first.Header().Get("Location"), scimkit.TokenPrefix) {
		t.Error("the token is in the URL")
	}
	if dirs, _ := h.Store.ListDirectories(ctx, h.Org.ID); len(dirs) != 1 {
		t.Fatalf("%d directories after a double submission", len(dirs))
	}
	shown := h.Follow(first)
	tok, _ := testkit.TestID(testkit.Parse(t, shown), "new-token-value").Attr("value")
	if !strings.HasPrefix(tok, scimkit.TokenPrefix) {
		t.Fatalf("token not shown after the redirect: %q", tok)
	}
	if again := h.Get(first.Header().Get("Location")); strings.Contains(again.Body.String(), tok) {
		t.Error("a reload shows the token again")
	}

	dirPage := strings.TrimPrefix(first.Header().Get("Location"), "/dashboard")
	dirPage, _, _ = strings.Cut(dirPage, "?")
	idem, _ = testkit.Parse(t, h.DashGet(dirPage)).Find(`[data-testid="create-token-form"] input[name="idem"]`).Attr("value")
	for range 2 {
		if w := h.DashPost(dirPage+"/tokens", url.Values{"idem": {idem}}); w.Code != http.StatusSeeOther {
			t.Fatalf("token: %d", w.Code)
		}
	}
	dirs, _ := h.Store.ListDirectories(ctx, h.Org.ID)
	if toks, _ := h.Store.ListDirectoryTokens(ctx, dirs[0].ID); len(toks) != 2 {
		t.Errorf("%d tokens, want the first and one more", len(toks))
	}

	idem, _ = page.Find(`[data-testid="create-connection-form"] input[name="idem"]`).Attr("value")
	cform := url.Values{"protocol": {"saml"}, "provider": {"okta"}, "name": {"Okta"}, "idem": {idem}}
	for range 2 {
		if w := h.DashPost(org+"/connections", cform); w.Code != http.StatusSeeOther {
			t.Fatalf("connection: %d %s", w.Code, w.Body)
		}
	}
	if cs, _ := h.Store.ListConnections(ctx, h.Org.ID); len(cs) != 1 {
		t.Errorf("%d connections after a double submission", len(cs))
	}
	// A refused setting is shown on the connection's page, with its status.
	cs, _ := h.Store.ListConnections(ctx, h.Org.ID)
	w := h.DashPost(org+"/connections/"+cs[0].ID+"/metadata-url", url.Values{"metadata_url": {"not a url"}})
	refusedPage(t, h, w, "")
	// Another organization's connection is not found through this one.
	other := h.CreateOrg("org_other", "Other")
	if w := h.DashGet("/orgs/" + other.ID + "/connections/" + cs[0].ID); w.Code != http.StatusNotFound {
		t.Errorf("connection under another organization: %d", w.Code)
	}
}
