package mgmtapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	imgcolor "image/color"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/store"
)

// TestMgmtAPIAuthentication: a missing, malformed, unknown or revoked key
// gets 401 with a JSON error, and nothing changes.
func TestMgmtAPIAuthentication(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	revoked, err := h.Admin.CreateAPIKey(ctx, admin.APIKeyInput{Name: "old"}, "operator:setup")
	testkit.Must(t, err)
	testkit.Must(t, h.Admin.RevokeAPIKey(ctx, revoked.APIKey.ID, "operator:setup"))
	unknown, err := secret.New(nil, admin.APIKeyPrefix)
	testkit.Must(t, err)

	tests := []struct {
		name string
		auth string
	}{
		{"missing", ""},
		{"empty bearer", "Bearer "},
		{"basic scheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("x:"+h.Key))},
		{"wrong key", "Bearer " + unknown},
		{"garbage", "Bearer not-a-key"},
		{"key with a suffix", "Bearer " + h.Key + "x"},
		{"two keys", "Bearer " + h.Key + " " + h.Key},
		{"revoked key", "Bearer " + revoked.Key},
	}
	requests := []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, "/organizations", map[string]any{"name": "Evil"}},
		{http.MethodDelete, "/organizations/" + h.Org.ID, nil},
		{http.MethodPost, "/organizations/" + h.Org.ID + "/portal-links", map[string]any{}},
		{http.MethodPatch, "/branding", map[string]any{"accent_color": "#000000"}},
		{http.MethodGet, "/events", nil},
	}
	before := h.EventCount()
	for _, tt := range tests {
		for _, rq := range requests {
			t.Run(tt.name+" "+rq.method+" "+rq.path, func(t *testing.T) {
				w, body := h.APIWith(tt.auth, rq.method, rq.path, rq.body)
				if w.Code != http.StatusUnauthorized || surfacetest.ErrorCode(body) != "unauthorized" || surfacetest.ErrorMessage(body) == "" {
					t.Fatalf("status %d, body %v", w.Code, body)
				}
				if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
				}
				if w.Header().Get("Cache-Control") != "no-store" {
					t.Error("401 without no-store")
				}
			})
		}
	}
	if got := h.EventCount(); got != before {
		t.Errorf("refused requests wrote %d events", got-before)
	}
	if _, err := h.Store.GetOrganization(ctx, h.Org.ID); err != nil {
		t.Errorf("organization gone after refused delete: %v", err)
	}
	if links, _ := h.Store.ListPortalLinks(ctx, h.Org.ID); len(links) != 0 {
		t.Errorf("refused requests created %d links", len(links))
	}
	if _, err := h.Store.GetBranding(ctx, ""); err == nil {
		t.Error("refused request stored branding")
	}
	if strings.Contains(h.Logs.String(), h.Key) || strings.Contains(h.Logs.String(), unknown) {
		t.Error("an API key was logged")
	}
	// The valid key works, and its use is recorded.
	if w, _ := h.API(http.MethodGet, "/events", nil); w.Code != http.StatusOK {
		t.Fatalf("valid key: status %d", w.Code)
	}
	k, err := h.Store.GetAPIKeyByDigest(ctx, secret.Digest(h.Key))
	testkit.Must(t, err)
	if k.LastUsedAt.IsZero() {
		t.Error("key use not recorded")
	}
}

// TestMgmtAPIOperations drives every operation of the management API.
func TestMgmtAPIOperations(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	kid := ""
	if k, err := h.Store.GetAPIKeyByDigest(ctx, secret.Digest(h.Key)); err == nil {
		kid = k.ID
	}
	actor := "api_key:" + kid
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	list := func(m map[string]any, k string) []map[string]any {
		raw, _ := m[k].([]any)
		out := make([]map[string]any, 0, len(raw))
		for _, v := range raw {
			o, _ := v.(map[string]any)
			out = append(out, o)
		}
		return out
	}
	expect := func(w *httptest.ResponseRecorder, status int, body map[string]any) {
		t.Helper()
		if w.Code != status {
			t.Fatalf("status %d, want %d: %v", w.Code, status, body)
		}
	}

	// Organizations: create, get, list with search and pages, update.
	w, org := h.API(http.MethodPost, "/organizations", map[string]any{"name": "  Globex  ", "external_id": "cus_42"})
	expect(w, http.StatusCreated, org)
	id := str(org, "id")
	if !strings.HasPrefix(id, "org_") || str(org, "name") != "Globex" || str(org, "external_id") != "cus_42" {
		t.Fatalf("created %v", org)
	}
	if ev := h.LastEvent(admin.EventOrganizationCreated); ev.Subject != id || ev.Actor != actor || ev.OrgID != id {
		t.Errorf("organization.created event %+v", ev)
	}
	for _, n := range []string{"Initech", "Umbrella"} {
		w, body := h.API(http.MethodPost, "/organizations", map[string]any{"name": n})
		expect(w, http.StatusCreated, body)
	}
	w, page := h.API(http.MethodGet, "/organizations?search=glob", nil)
	expect(w, http.StatusOK, page)
	if orgs := list(page, "organizations"); len(orgs) != 1 || str(orgs[0], "id") != id {
		t.Fatalf("search: %v", page)
	}
	w, page = h.API(http.MethodGet, "/organizations?external_id=cus_42", nil)
	expect(w, http.StatusOK, page)
	if orgs := list(page, "organizations"); len(orgs) != 1 || str(orgs[0], "id") != id {
		t.Fatalf("by external id: %v", page)
	}
	w, page = h.API(http.MethodGet, "/organizations?external_id=cus_4", nil)
	expect(w, http.StatusOK, page)
	if orgs := list(page, "organizations"); len(orgs) != 0 {
		t.Fatalf("by a prefix of the external id: %v", page)
	}
	w, page = h.API(http.MethodGet, "/organizations?limit=2", nil)
	expect(w, http.StatusOK, page)
	if len(list(page, "organizations")) != 2 || str(page, "next") == "" {
		t.Fatalf("page 1: %v", page)
	}
	w, page2 := h.API(http.MethodGet, "/organizations?limit=2&after="+str(page, "next"), nil)
	expect(w, http.StatusOK, page2)
	if len(list(page2, "organizations")) != 2 || str(page2, "next") != "" {
		t.Fatalf("page 2: %v", page2)
	}
	w, upd := h.API(http.MethodPatch, "/organizations/"+id, map[string]any{"name": "Globex Corp"})
	expect(w, http.StatusOK, upd)
	if str(upd, "name") != "Globex Corp" || str(upd, "external_id") != "cus_42" {
		t.Fatalf("updated %v", upd)
	}
	if ev := h.LastEvent(admin.EventOrganizationUpdated); !strings.Contains(string(ev.Data), "Globex Corp") || ev.Actor != actor {
		t.Errorf("organization.updated event %+v", ev)
	}

	// Portal links: generate (the usual response shape), list, revoke.
	w, link := h.API(http.MethodPost, "/organizations/"+id+"/portal-links", map[string]any{"features": []string{"sso", "domains"}})
	expect(w, http.StatusCreated, link)
	if !strings.HasPrefix(str(link, "location"), surfacetest.PortalURL+"/l/okp_") || str(link, "expireTime") != "2026-03-09T09:00:00Z" {
		t.Fatalf("link %v", link)
	}
	w, emb := h.API(http.MethodPost, "/organizations/"+id+"/portal-links", map[string]any{"embedded": true})
	expect(w, http.StatusCreated, emb)
	if str(emb, "expireTime") != "2026-03-02T09:01:00Z" {
		t.Errorf("embedded link expiry %v", emb)
	}
	w, links := h.API(http.MethodGet, "/organizations/"+id+"/portal-links", nil)
	expect(w, http.StatusOK, links)
	ls := list(links, "portal_links")
	if len(ls) != 2 {
		t.Fatalf("links %v", links)
	}
	for _, l := range ls {
		want := "shareable"
		if str(l, "id") == str(emb, "id") {
			want = "embedded"
		}
		if str(l, "kind") != want || str(l, "created_by") != actor || str(l, "org_id") != id {
			t.Errorf("link %v", l)
		}
	}
	if strings.Contains(w.Body.String(), "okp_") || strings.Contains(w.Body.String(), "digest") {
		t.Error("link listing exposes a token or digest")
	}
	w, rev := h.API(http.MethodPost, "/portal-links/"+str(link, "id")+"/revoke", nil)
	expect(w, http.StatusOK, rev)
	if str(rev, "revoked_at") == "" {
		t.Fatalf("revoked %v", rev)
	}
	tok := str(link, "location")[strings.LastIndex(str(link, "location"), "/")+1:]
	if w, c := h.Redeem(tok); w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "/link-refused/link_revoked") || c != nil {
		t.Errorf("revoked link redeemed: %d to %q, session cookie %v", w.Code, w.Header().Get("Location"), c)
	}

	// Domains: add by DNS, check before and after the record is published,
	// add one to verify manually, remove.
	w, dom := h.API(http.MethodPost, "/organizations/"+id+"/domains", map[string]any{"name": "Globex.Example", "method": "dns_txt"})
	expect(w, http.StatusCreated, dom)
	rec, _ := dom["record"].(map[string]any)
	if str(dom, "name") != "globex.example" || str(dom, "state") != "pending" || str(rec, "name") != "_onboardkit-verification.globex.example" || str(rec, "value") == "" {
		t.Fatalf("domain %v", dom)
	}
	domID := str(dom, "id")
	h.DNS.SetTXT("globex.example", "v=spf1 -all")
	w, chk := h.API(http.MethodPost, "/domains/"+domID+"/check", nil)
	expect(w, http.StatusOK, chk)
	check, _ := chk["check"].(map[string]any)
	if chk["verified"] != false || str(check, "kind") != "no_record" || !strings.Contains(str(check, "message"), "_onboardkit-verification.globex.example") {
		t.Fatalf("check before the record: %v", chk)
	}
	h.DNS.SetTXT(str(rec, "name"), str(rec, "value"))
	w, chk = h.API(http.MethodPost, "/domains/"+domID+"/check", nil)
	expect(w, http.StatusOK, chk)
	if chk["verified"] != true || chk["check"] != nil {
		t.Fatalf("check after the record: %v", chk)
	}
	w, man := h.API(http.MethodPost, "/organizations/"+id+"/domains", map[string]any{"name": "globex.test", "method": "manual"})
	expect(w, http.StatusCreated, man)
	w, ver := h.API(http.MethodPost, "/domains/"+str(man, "id")+"/verify", nil)
	expect(w, http.StatusOK, ver)
	if str(ver, "state") != "verified" || str(ver, "verified_by") != actor {
		t.Fatalf("manual verification %v", ver)
	}
	w, doms := h.API(http.MethodGet, "/organizations/"+id+"/domains", nil)
	expect(w, http.StatusOK, doms)
	if len(list(doms, "domains")) != 2 {
		t.Fatalf("domains %v", doms)
	}
	w, _ = h.API(http.MethodDelete, "/domains/"+str(man, "id"), nil)
	if w.Code != http.StatusNoContent {
		t.Fatalf("remove domain: %d", w.Code)
	}
	if _, err := h.Store.GetDomain(ctx, str(man, "id")); err == nil {
		t.Error("domain still stored")
	}

	// Connections and directories: list, enable, disable.
	now := h.Clock.Now()
	testkit.Must(t, h.Store.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: id, Protocol: store.ProtocolOIDC, Provider: "entra", Name: "Entra",
		State: store.ConnectionTested, CreatedAt: now, UpdatedAt: now,
		OIDC: &store.OIDCConfig{Issuer: "https://login.example/v2.0", ClientID: "c", ClientSecret: "s3cr3t-value"}}))
	testkit.Must(t, h.Store.CreateDirectory(ctx, &store.Directory{ID: "dir_1", OrgID: id, Provider: "okta", Name: "Okta", State: store.DirectoryInactive, CreatedAt: now, UpdatedAt: now}))
	w, conns := h.API(http.MethodGet, "/organizations/"+id+"/connections", nil)
	expect(w, http.StatusOK, conns)
	if cs := list(conns, "connections"); len(cs) != 1 || str(cs[0], "issuer") != "https://login.example/v2.0" || str(cs[0], "state") != "tested" {
		t.Fatalf("connections %v", conns)
	}
	if strings.Contains(w.Body.String(), "s3cr3t-value") {
		t.Error("connection listing exposes the client secret")
	}
	for _, step := range []struct{ path, state string }{
		{"/connections/conn_1/enable", "active"},
		{"/connections/conn_1/disable", "inactive"},
		{"/directories/dir_1/enable", "active"},
		{"/directories/dir_1/disable", "inactive"},
	} {
		w, body := h.API(http.MethodPost, step.path, nil)
		expect(w, http.StatusOK, body)
		if str(body, "state") != step.state {
			t.Errorf("%s: state %v", step.path, body["state"])
		}
	}
	if ev := h.LastEvent("connection.deactivated"); ev.Actor != actor {
		t.Errorf("lifecycle actor %q", ev.Actor)
	}
	w, dirs := h.API(http.MethodGet, "/organizations/"+id+"/directories", nil)
	expect(w, http.StatusOK, dirs)
	if ds := list(dirs, "directories"); len(ds) != 1 || str(ds[0], "state") != "inactive" || ds[0]["users"] != float64(0) {
		t.Fatalf("directories %v", dirs)
	}

	// Branding: host-wide and the organization's, with images.
	logo := testkit.PNG(t, imgcolor.RGBA{R: 200, A: 255})
	w, br := h.API(http.MethodPatch, "/branding", map[string]any{"accent_color": "#0F766E", "logo": logo, "favicon": testkit.ICO()})
	expect(w, http.StatusOK, br)
	lg, _ := br["logo"].(map[string]any)
	fv, _ := br["favicon"].(map[string]any)
	if str(br, "accent_color") != "#0f766e" || str(lg, "content_type") != "image/png" || lg["size"] != float64(len(logo)) || str(fv, "content_type") != "image/x-icon" {
		t.Fatalf("branding %v", br)
	}
	if css := h.Get("/portal/brand/style.css").Body.String(); !strings.Contains(css, "--accent:#0f766e") {
		t.Errorf("portal did not pick up the accent: %s", css)
	}
	w, br = h.API(http.MethodPatch, "/branding", map[string]any{"remove_favicon": true})
	expect(w, http.StatusOK, br)
	if br["favicon"] != nil || br["logo"] == nil {
		t.Errorf("remove favicon: %v", br)
	}
	w, br = h.API(http.MethodGet, "/branding", nil)
	expect(w, http.StatusOK, br)
	if str(br, "accent_color") != "#0f766e" {
		t.Errorf("get branding %v", br)
	}
	w, obr := h.API(http.MethodPatch, "/organizations/"+id+"/branding", map[string]any{"accent_color": "#ffff00"})
	expect(w, http.StatusOK, obr)
	if str(obr, "scope") != id {
		t.Errorf("org branding %v", obr)
	}
	if ev := h.LastEvent(admin.EventBrandingUpdated); ev.OrgID != id || ev.Actor != actor {
		t.Errorf("branding.updated event %+v", ev)
	}
	w, obr = h.API(http.MethodGet, "/organizations/"+id+"/branding", nil)
	expect(w, http.StatusOK, obr)
	if str(obr, "accent_color") != "#ffff00" {
		t.Errorf("get org branding %v", obr)
	}

	// Overview.
	w, ov := h.API(http.MethodGet, "/organizations/"+id, nil)
	expect(w, http.StatusOK, ov)
	o, _ := ov["organization"].(map[string]any)
	status, _ := o["status"].(map[string]any)
	if str(o, "name") != "Globex Corp" || status["verified_domains"] != float64(1) || status["connections"] != float64(1) || len(list(ov, "portal_links")) != 2 || ov["branding"] == nil {
		t.Fatalf("overview %v", ov)
	}

	// Events: filter by organization and type, page by cursor.
	w, evs := h.API(http.MethodGet, "/events?org_id="+id+"&types=portal.link", nil)
	expect(w, http.StatusOK, evs)
	got := list(evs, "events")
	if len(got) != 3 { // two created, one revoked
		t.Fatalf("portal.link events %v", evs)
	}
	for _, e := range got {
		if str(e, "org_id") != id || !strings.HasPrefix(str(e, "type"), "portal.link.") {
			t.Errorf("filtered event %v", e)
		}
	}
	w, p1 := h.API(http.MethodGet, "/events?limit=2", nil)
	expect(w, http.StatusOK, p1)
	if len(list(p1, "events")) != 2 || p1["has_more"] != true {
		t.Fatalf("events page %v", p1)
	}
	next := p1["next_cursor"].(float64)
	w, p2 := h.API(http.MethodGet, "/events?limit=2&after="+strconv.FormatInt(int64(next), 10), nil)
	expect(w, http.StatusOK, p2)
	if e := list(p2, "events"); len(e) != 2 || e[0]["cursor"] != next+1 {
		t.Fatalf("events page 2 %v", p2)
	}

	// Delete: the organization and its data go, an event stays.
	w, _ = h.API(http.MethodDelete, "/organizations/"+id, nil)
	if w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d", w.Code)
	}
	if w, body := h.API(http.MethodGet, "/organizations/"+id, nil); w.Code != http.StatusNotFound {
		t.Fatalf("after delete: %d %v", w.Code, body)
	}
	if _, err := h.Store.GetDomain(ctx, domID); err == nil {
		t.Error("domain survived its organization")
	}
	if ev := h.LastEvent(admin.EventOrganizationDeleted); ev.Subject != id || ev.Actor != actor {
		t.Errorf("organization.deleted %+v", ev)
	}
	if logs := h.Logs.String(); strings.Contains(logs, "okp_") || strings.Contains(logs, h.Key) {
		t.Error("a link token or an API key was logged")
	}
}

// TestMgmtAPIBadInput: mistakes get a 4xx with a clear JSON message, and
// change nothing.
func TestMgmtAPIBadInput(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	now := h.Clock.Now()
	testkit.Must(t, h.Store.CreateConnection(ctx, &store.Connection{ID: "conn_draft", OrgID: h.Org.ID, Protocol: store.ProtocolSAML, State: store.ConnectionDraft,
		CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{IdPEntityID: "x"}}))
	other := h.CreateOrg("org_other", "Other")
	_, err := h.Admin.CreateOrganization(ctx, admin.OrganizationInput{Name: "Taken", ExternalID: "cus_taken"}, "")
	testkit.Must(t, err)
	dom, err := h.Admin.AddDomain(ctx, other.ID, admin.DomainInput{Name: "claimed.example", Method: store.DomainManual}, "")
	testkit.Must(t, err)
	_, err = h.Admin.VerifyDomain(ctx, dom.Domain.ID, "operator:x")
	testkit.Must(t, err)
	acme := "/organizations/" + h.Org.ID

	tests := []struct {
		name         string
		method, path string
		body         any
		status       int
		code         string
		msg          string
	}{
		{"unknown org", http.MethodGet, "/organizations/org_nope", nil, 404, "not_found", `organization "org_nope" not found`},
		{"update unknown org", http.MethodPatch, "/organizations/org_nope", map[string]any{"name": "x"}, 404, "not_found", "org_nope"},
		{"delete unknown org", http.MethodDelete, "/organizations/org_nope", nil, 404, "not_found", "org_nope"},
		{"link for unknown org", http.MethodPost, "/organizations/org_nope/portal-links", map[string]any{}, 404, "not_found", "org_nope"},
		{"domain for unknown org", http.MethodPost, "/organizations/org_nope/domains", map[string]any{"name": "a.example"}, 404, "not_found", "org_nope"},
		{"branding of unknown org", http.MethodPatch, "/organizations/org_nope/branding", map[string]any{"accent_color": "#000000"}, 404, "not_found", "org_nope"},
		{"revoke unknown link", http.MethodPost, "/portal-links/plink_nope/revoke", nil, 404, "not_found", "plink_nope"},
		{"verify unknown domain", http.MethodPost, "/domains/dom_nope/verify", nil, 404, "not_found", "dom_nope"},
		{"enable unknown connection", http.MethodPost, "/connections/conn_nope/enable", nil, 404, "not_found", "conn_nope"},
		{"unknown endpoint", http.MethodGet, "/nope", nil, 404, "not_found", "no such endpoint"},
		{"invalid colour", http.MethodPatch, "/branding", map[string]any{"accent_color": "red"}, 400, "invalid_input", "#RRGGBB"},
		{"colour without hash", http.MethodPatch, "/branding", map[string]any{"accent_color": "0f766e"}, 400, "invalid_input", "#RRGGBB"},
		{"css injection colour", http.MethodPatch, acme + "/branding", map[string]any{"accent_color": "#000;}x"}, 400, "invalid_input", "#RRGGBB"},
		{"svg logo", http.MethodPatch, "/branding", map[string]any{"logo": []byte(testkit.SVG)}, 400, "invalid_input", "SVG is not accepted"},
		{"html as favicon", http.MethodPatch, "/branding", map[string]any{"favicon": []byte("<html><script>x</script></html>")}, 400, "invalid_input", "favicon must be"},
		{"huge logo", http.MethodPatch, "/branding", map[string]any{"logo": append(testkit.PNG(t, imgcolor.RGBA{A: 255}), make([]byte, admin.MaxBrandingImageBytes)...)}, 400, "invalid_input", "at most 256 KiB"},
		{"malformed domain", http.MethodPost, acme + "/domains", map[string]any{"name": "not a domain"}, 400, "invalid_input", "not a valid domain name"},
		{"domain with path", http.MethodPost, acme + "/domains", map[string]any{"name": "evil.com/x"}, 400, "invalid_input", "not a valid domain name"},
		{"consumer domain", http.MethodPost, acme + "/domains", map[string]any{"name": "gmail.com"}, 400, "invalid_input", "consumer mail domain"},
		{"empty domain", http.MethodPost, acme + "/domains", map[string]any{"name": " "}, 400, "invalid_input", "required"},
		{"unknown method", http.MethodPost, acme + "/domains", map[string]any{"name": "a.example", "method": "http"}, 400, "invalid_input", "dns_txt or manual"},
		{"domain of another org", http.MethodPost, acme + "/domains", map[string]any{"name": "claimed.example"}, 409, "conflict", "verified by another organization"},
		{"empty name", http.MethodPost, "/organizations", map[string]any{"name": ""}, 400, "invalid_input", "name is required"},
		{"long name", http.MethodPost, "/organizations", map[string]any{"name": strings.Repeat("a", 201)}, 400, "invalid_input", "at most 200"},
		{"control characters", http.MethodPost, "/organizations", map[string]any{"name": "a\x00b"}, 400, "invalid_input", "control character"},
		{"external id taken", http.MethodPost, "/organizations", map[string]any{"name": "Dup", "external_id": "cus_taken"}, 409, "conflict", "cus_taken"},
		{"external id taken on update", http.MethodPatch, acme, map[string]any{"external_id": "cus_taken"}, 409, "conflict", "cus_taken"},
		{"unknown field", http.MethodPost, "/organizations", map[string]any{"name": "x", "admin": true}, 400, "invalid_input", `unknown field "admin"`},
		{"malformed JSON", http.MethodPost, "/organizations", `{"name":`, 400, "invalid_input", "JSON object"},
		{"two objects", http.MethodPost, "/organizations", `{"name":"a"}{"name":"b"}`, 400, "invalid_input", "one JSON object"},
		{"array body", http.MethodPost, "/organizations", `["x"]`, 400, "invalid_input", "JSON object"},
		{"unknown feature", http.MethodPost, acme + "/portal-links", map[string]any{"features": []string{"admin"}}, 400, "invalid_input", `unknown feature "admin"`},
		{"bad limit", http.MethodGet, "/organizations?limit=abc", nil, 400, "invalid_input", "limit"},
		{"limit too large", http.MethodGet, "/organizations?limit=100000", nil, 400, "invalid_input", "between 1 and 200"},
		{"negative cursor", http.MethodGet, "/events?after=-1", nil, 400, "invalid_input", "cursor"},
		{"bad event type", http.MethodGet, "/events?types=Portal%20Link", nil, 400, "invalid_input", "invalid event type"},
		{"draft connection", http.MethodPost, "/connections/conn_draft/enable", nil, 409, "conflict", "current state (draft)"},
		{"verify a verified domain", http.MethodPost, "/domains/" + dom.Domain.ID + "/verify", nil, 409, "conflict", "already verified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.EventCount()
			w, body := h.API(tt.method, tt.path, tt.body)
			if w.Code != tt.status || surfacetest.ErrorCode(body) != tt.code || !strings.Contains(surfacetest.ErrorMessage(body), tt.msg) {
				t.Fatalf("got %d %v, want %d %s containing %q", w.Code, body, tt.status, tt.code, tt.msg)
			}
			if got := h.EventCount(); got != before {
				t.Errorf("a refused request wrote %d events", got-before)
			}
		})
	}
	if _, err := h.Store.GetBranding(ctx, ""); err == nil {
		t.Error("a refused request stored branding")
	}
	if doms, _ := h.Store.ListDomains(ctx, h.Org.ID); len(doms) != 0 {
		t.Errorf("refused requests added domains: %v", doms)
	}
}

// TestMgmtAPINotConfigured: without a domains.Service or lifecycles, those
// operations answer 501 with a clear message, and listing still works.
func TestMgmtAPINotConfigured(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		c.Admin.Domains = nil
		c.Admin.Connections = nil
		c.Admin.Directories = nil
	})
	tests := []struct {
		method, path string
		body         any
		msg          string
	}{
		{http.MethodPost, "/organizations/" + h.Org.ID + "/domains", map[string]any{"name": "a.example"}, "Config.Domains"},
		{http.MethodPost, "/domains/dom_1/check", nil, "Config.Domains"},
		{http.MethodPost, "/connections/conn_1/enable", nil, "Config.Connections"},
		{http.MethodPost, "/directories/dir_1/disable", nil, "Config.Directories"},
	}
	for _, tt := range tests {
		w, body := h.API(tt.method, tt.path, tt.body)
		if w.Code != http.StatusNotImplemented || surfacetest.ErrorCode(body) != "not_configured" || !strings.Contains(surfacetest.ErrorMessage(body), tt.msg) {
			t.Errorf("%s %s: %d %v", tt.method, tt.path, w.Code, body)
		}
	}
	if w, body := h.API(http.MethodGet, "/organizations/"+h.Org.ID+"/domains", nil); w.Code != http.StatusOK {
		t.Errorf("listing domains without a service: %d %v", w.Code, body)
	}
}

// TestAPIKeysStoredAsDigests: the key is shown once and only its digest is
// stored.
func TestAPIKeysStoredAsDigests(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	k, err := h.Admin.CreateAPIKey(ctx, admin.APIKeyInput{Name: "ci"}, "operator:jane")
	testkit.Must(t, err)
	if !secret.Valid(k.Key, admin.APIKeyPrefix) || k.APIKey.Digest != nil || k.APIKey.Hint != secret.Hint(k.Key) {
		t.Fatalf("new key %+v", k)
	}
	stored, err := h.Store.GetAPIKeyByDigest(ctx, secret.Digest(k.Key))
	testkit.Must(t, err)
	if string(stored.Digest) == k.Key || !secret.Equal(stored.Digest, secret.Digest(k.Key)) {
		t.Error("key not stored as its digest")
	}
	keys, err := h.Admin.ListAPIKeys(ctx)
	testkit.Must(t, err)
	for _, kk := range keys {
		if kk.Digest != nil {
			t.Error("listing exposes digests")
		}
	}
	if _, err := h.Admin.CreateAPIKey(ctx, admin.APIKeyInput{Name: " "}, ""); err == nil {
		t.Error("a key without a name was created")
	}
	if err := h.Admin.RevokeAPIKey(ctx, "key_nope", ""); err == nil {
		t.Error("revoking an unknown key succeeded")
	}
}

// FuzzMgmtAPIBody: any body on the endpoints that decode one gets a JSON
// answer below 500, never a panic.
func FuzzMgmtAPIBody(f *testing.F) {
	for _, s := range []string{`{"name":"Acme"}`, `{"accent_color":"#000000","logo":"iVBORw0KGgo="}`, `{"features":["sso"],"embedded":true}`,
		`{"name":"a.example","method":"manual"}`, `[]`, `{"name":`, "\x00", `{"logo":"PHN2Zz4="}`, `{"name":"\u202e"}`} {
		f.Add(s)
	}
	h := surfacetest.New(f, nil)
	paths := []struct{ method, path string }{
		{http.MethodPost, "/organizations"},
		{http.MethodPatch, "/organizations/" + h.Org.ID},
		{http.MethodPatch, "/branding"},
		{http.MethodPost, "/organizations/" + h.Org.ID + "/portal-links"},
		{http.MethodPost, "/organizations/" + h.Org.ID + "/domains"},
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			r := httptest.NewRequest(p.method, "https://app.example.com/api"+p.path, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+h.Key)
			w := h.Do(r)
			var out map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s %s %q: not JSON: %s", p.method, p.path, body, w.Body)
			}
			if w.Code >= 500 || (w.Code >= 400 && surfacetest.ErrorMessage(out) == "") {
				t.Fatalf("%s %s %q: %d %s", p.method, p.path, body, w.Code, w.Body)
			}
		}
	})
}
