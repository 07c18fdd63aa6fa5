package portal

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
)

// formToken returns the idempotency key the form testid on page carries.
func formTokenOf(t *testing.T, h *harness, page, form string, c *http.Cookie) string {
	t.Helper()
	v, _ := testID(parse(t, h.get(page, c)), form).Find(`input[name="idem"]`).Attr("value")
	if !web.ValidFormToken(v) {
		t.Fatalf("%s on %s: form token %q", form, page, v)
	}
	return v
}

// TestCreateFormsPostedTwice: each creation form posted twice with its
// token (a double click, a re-sent POST) creates one directory, one token,
// one connection and one domain; both posts answer with the same redirect;
// the secret is shown once, after the first redirect, never in a URL, and
// a reload shows it no more.
func TestCreateFormsPostedTwice(t *testing.T) {
	t.Parallel()
	sh := newSSOHarness(t, false, withSCIM(t))
	h := sh.harness
	ctx := context.Background()
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureSSO, store.FeatureDirSync}})
	csrf := csrfOf(t, h.get("/portal/", c))

	// SSO connection.
	idem := formTokenOf(t, h, "/portal/sso/new/okta", "sso-create-form", c)
	form := url.Values{"csrf": {csrf}, "protocol": {"saml"}, "provider": {"okta"}, "idem": {idem}}
	first, second := h.post("/portal/sso/connections", form, c), h.post("/portal/sso/connections", form, c)
	if first.Code != http.StatusSeeOther || first.Header().Get("Location") != second.Header().Get("Location") {
		t.Fatalf("connection: %d %q / %q", first.Code, first.Header().Get("Location"), second.Header().Get("Location"))
	}
	if conns, _ := h.st.ListConnections(ctx, h.org.ID); len(conns) != 1 {
		t.Fatalf("%d connections after a double submission", len(conns))
	}
	// A fresh form creates another.
	form.Set("idem", formTokenOf(t, h, "/portal/sso/new/okta", "sso-create-form", c))
	h.post("/portal/sso/connections", form, c)
	if conns, _ := h.st.ListConnections(ctx, h.org.ID); len(conns) != 2 {
		t.Fatalf("%d connections after a second form", len(conns))
	}

	// Directory and its first token.
	idem = formTokenOf(t, h, "/portal/directory-sync", "dir-create-form", c)
	form = url.Values{"csrf": {csrf}, "provider": {"okta"}, "idem": {idem}}
	first, second = h.post("/portal/directory-sync", form, c), h.post("/portal/directory-sync", form, c)
	if first.Code != http.StatusSeeOther || first.Header().Get("Location") != second.Header().Get("Location") {
		t.Fatalf("directory: %d %q / %q", first.Code, first.Header().Get("Location"), second.Header().Get("Location"))
	}
	if strings.Contains(first.Header().Get("Location"), scimkit.TokenPrefix) {
		t.Fatal("the token is in the URL")
	}
	for _, ck := range first.Result().Cookies() {
		if strings.Contains(ck.Value, scimkit.TokenPrefix) {
			t.Fatal("the token is readable in a cookie")
		}
	}
	dirs, _ := h.st.ListDirectories(ctx, h.org.ID)
	if len(dirs) != 1 {
		t.Fatalf("%d directories after a double submission", len(dirs))
	}
	if toks, _ := h.st.ListDirectoryTokens(ctx, dirs[0].ID); len(toks) != 1 {
		t.Fatalf("%d tokens after a double submission", len(toks))
	}
	shown := h.follow(first, c)
	tok, _ := testID(parse(t, shown), "token-value").Attr("value")
	if !strings.HasPrefix(tok, scimkit.TokenPrefix) {
		t.Fatalf("token not shown after the redirect: %q", tok)
	}
	// Sealed for this session: another session's browser cannot open it.
	other := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDirSync}})
	if w := h.follow(first, other); strings.Contains(w.Body.String(), tok) {
		t.Error("another session opened the flash")
	}
	reload := h.get(first.Header().Get("Location"), c)
	if strings.Contains(reload.Body.String(), tok) {
		t.Error("a reload shows the token again")
	}
	if testID(parse(t, h.follow(second, c)), "dir-replayed").Length() != 1 {
		t.Error("the second post's page does not say the first one created the directory")
	}

	// Token rotation.
	page := "/portal/directory-sync/" + dirs[0].ID
	idem = formTokenOf(t, h, page, "token-rotate-form", c)
	form = url.Values{"csrf": {csrf}, "idem": {idem}}
	for range 2 {
		if w := h.post(page+"/tokens", form, c); w.Code != http.StatusSeeOther {
			t.Fatalf("token: %d", w.Code)
		}
	}
	if toks, _ := h.st.ListDirectoryTokens(ctx, dirs[0].ID); len(toks) != 2 {
		t.Errorf("%d tokens, want the first and one more", len(toks))
	}
}

// TestDomainPostedTwice: the add form posted twice adds one domain and
// answers both posts alike; without its token, a second add is refused.
func TestDomainPostedTwice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withDomains(t, nil))
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDomains}})
	csrf := csrfOf(t, h.get("/portal/domains", c))
	idem := formTokenOf(t, h, "/portal/domains", "domain-add-form", c)
	form := url.Values{web.CSRFField: {csrf}, "domain": {"acme.example"}, "idem": {idem}}
	first, second := h.post("/portal/domains", form, c), h.post("/portal/domains", form, c)
	if first.Header().Get("Location") != second.Header().Get("Location") || !strings.Contains(first.Header().Get("Location"), "#domain-") {
		t.Fatalf("%q / %q", first.Header().Get("Location"), second.Header().Get("Location"))
	}
	if doms, _ := h.st.ListDomains(context.Background(), h.org.ID); len(doms) != 1 {
		t.Fatalf("%d domains", len(doms))
	}
	if msg := testID(parse(t, h.follow(second, c)), "domains-message").Text(); !strings.Contains(msg, "acme.example was added") {
		t.Errorf("second post's page says %q", msg)
	}
	// The same form re-sent much later (a restored tab) is still the
	// first add: the key, not the time, tells.
	h.clock.Add(time.Hour)
	if late := h.post("/portal/domains", form, c); late.Header().Get("Location") != first.Header().Get("Location") {
		t.Errorf("the form re-sent an hour later: %q", late.Header().Get("Location"))
	}
	// Another form (another token) adding the same name is a second add:
	// refused while the domain is there.
	other := url.Values{web.CSRFField: {csrf}, "domain": {"acme.example"}, "idem": {formTokenOf(t, h, "/portal/domains", "domain-add-form", c)}}
	if got := testID(parse(t, h.follow(h.post("/portal/domains", other, c), c)), "error-summary").Text(); !strings.Contains(got, "already been added") {
		t.Errorf("a second add of the same name: %q", got)
	}
	// Removed, it can be added again at once from a fresh form.
	doms, _ := h.st.ListDomains(context.Background(), h.org.ID)
	if w := h.post("/portal/domains/"+doms[0].ID+"/remove", url.Values{web.CSRFField: {csrf}}, c); w.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d", w.Code)
	}
	readd := url.Values{web.CSRFField: {csrf}, "domain": {"acme.example"}, "idem": {formTokenOf(t, h, "/portal/domains", "domain-add-form", c)}}
	if msg := testID(parse(t, h.follow(h.post("/portal/domains", readd, c), c)), "domains-message").Text(); !strings.Contains(msg, "acme.example was added") {
		t.Errorf("re-adding after the removal: %q", msg)
	}
	if doms, _ := h.st.ListDomains(context.Background(), h.org.ID); len(doms) != 1 || doms[0].Name != "acme.example" {
		t.Errorf("domains after the re-add: %+v", doms)
	}
}

// TestEveryPostRedirects: every POST route of the portal answers a
// browser's form post with a 303 to a GET page (or a problem page for a
// request it refuses), never with a page at the POST's URL.
func TestEveryPostRedirects(t *testing.T) {
	t.Parallel()
	sh := newSSOHarness(t, false, withSCIM(t), withDomains(t, nil))
	h := sh.harness
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureSSO, store.FeatureDirSync, store.FeatureDomains}})
	csrf := csrfOf(t, h.get("/portal/", c))
	conn := sh.createConn(c, csrf, "saml", "okta")
	w := h.post("/portal/directory-sync", url.Values{"csrf": {csrf}, "provider": {"okta"}}, c)
	dirs, _ := h.st.ListDirectories(context.Background(), h.org.ID)
	if w.Code != http.StatusSeeOther || len(dirs) != 1 {
		t.Fatalf("no directory: %d", w.Code)
	}
	dir := "/portal/directory-sync/" + dirs[0].ID
	for _, path := range []string{
		"/portal/sso/connections",
		"/portal/sso/" + conn + "/saml/metadata-url",
		"/portal/sso/" + conn + "/saml/metadata-xml",
		"/portal/sso/" + conn + "/saml/manual",
		"/portal/sso/" + conn + "/mapping",
		"/portal/sso/" + conn + "/certificates",
		"/portal/sso/" + conn + "/certificates/remove",
		"/portal/sso/" + conn + "/test",
		"/portal/sso/" + conn + "/activate",
		"/portal/sso/" + conn + "/deactivate",
		"/portal/directory-sync",
		dir + "/tokens",
		dir + "/activate",
		dir + "/deactivate",
		"/portal/domains",
		"/portal/roles/mappings",
		"/portal/roles/mappings/remove",
		"/portal/roles/policy",
		"/portal/roles/attributes",
		"/portal/sessions/end",
		"/portal/sso/" + conn + "/delete",
	} {
		w := h.post(path, url.Values{"csrf": {csrf}, "provider": {"okta"}, "protocol": {"saml"}}, c)
		if w.Code != http.StatusSeeOther {
			t.Errorf("POST %s: %d, want 303", path, w.Code)
		}
	}
}
