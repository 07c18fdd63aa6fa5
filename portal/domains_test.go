package portal

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// withDomains wires a domains.Service on the harness's store and clock,
// resolving through srv (nil: a server with no records).
func withDomains(t testing.TB, srv *testkit.DNSServer) func(*Config, *admin.Config) {
	return func(c *Config, ac *admin.Config) {
		if srv == nil {
			srv = testkit.NewDNSServer(t)
		}
		svc, err := domains.New(domains.Config{Store: storeOf(c), Resolver: srv.Resolver(), Now: c.Now, Logger: c.Logger, LookupTimeout: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ac.Domains = svc
	}
}

func TestDomainsSection(t *testing.T) {
	t.Parallel()
	srv := testkit.NewDNSServer(t)
	h := newHarness(t, withDomains(t, srv))
	ctx := context.Background()
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDomains}})
	page := h.get("/portal/domains", c)
	csrf := csrfOf(t, page)
	if testID(parse(t, page), "domain-add-form").Length() != 1 {
		t.Fatal("no add form")
	}

	// Add: a 303 back to the section, the domain pending with its record.
	w := h.post("/portal/domains", url.Values{web.CSRFField: {csrf}, "domain": {"  Acme.Example  "}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("add: %d %s", w.Code, w.Body)
	}
	doms, _ := h.st.ListDomains(ctx, h.org.ID)
	if len(doms) != 1 || doms[0].Name != "acme.example" || doms[0].State != store.DomainPending {
		t.Fatalf("stored domains: %+v", doms)
	}
	dom := doms[0]
	recName, recValue := h.domains.Record(&dom)
	doc := parse(t, h.get("/portal/domains", c))
	if got := testID(doc, "record-name").AttrOr("value", ""); got != recName {
		t.Errorf("record name %q, want %q", got, recName)
	}
	if got := testID(doc, "record-value").AttrOr("value", ""); got != recValue || recValue == "" {
		t.Errorf("record value %q, want %q", got, recValue)
	}
	if testID(doc, "copy-record-name").Length() != 1 || testID(doc, "copy-record-value").Length() != 1 {
		t.Error("no copy buttons")
	}
	if doc.Find(`label[for="rec-value-`+dom.ID+`"]`).Length() != 1 {
		t.Error("record value input has no label")
	}

	verify := func() (*httptest.ResponseRecorder, string, string, string) {
		t.Helper()
		w := h.follow(h.post("/portal/domains/"+dom.ID+"/verify", url.Values{web.CSRFField: {csrf}}, c), c)
		if w.Code != http.StatusOK {
			t.Fatalf("verify: %d %s", w.Code, w.Body)
		}
		doc := parse(t, w)
		f := testID(doc, "domain-failure")
		return w, f.AttrOr("data-kind", ""), testID(doc, "domain-failure-reason").Text(), testID(doc, "domain-fix").Text()
	}

	// Each DNS state gives its precise reason and how to fix it.
	_, kind, reason, fix := verify()
	if kind != string(domains.KindNXDomain) || !strings.Contains(reason, "does not exist") || !strings.Contains(fix, "spelling") {
		t.Errorf("nxdomain: kind %q reason %q fix %q", kind, reason, fix)
	}
	srv.SetTXT("acme.example", "v=spf1 -all")
	_, kind, reason, fix = verify()
	if kind != string(domains.KindNoRecord) || !strings.Contains(reason, recName) || !strings.Contains(fix, recValue) {
		t.Errorf("no record: kind %q reason %q fix %q", kind, reason, fix)
	}
	srv.SetTXT(recName, "onboardkit-verification=stale", "google-site-verification=x")
	_, kind, reason, fix = verify()
	if kind != string(domains.KindWrongValue) || !strings.Contains(reason, "onboardkit-verification=stale") || !strings.Contains(fix, "exactly "+recValue) {
		t.Errorf("wrong value: kind %q reason %q fix %q", kind, reason, fix)
	}
	if d, _ := h.st.GetDomain(ctx, dom.ID); d.State != store.DomainPending {
		t.Errorf("state %s after failed checks, want pending", d.State)
	}
	// The last diagnosis stays on the page.
	if got := testID(parse(t, h.get("/portal/domains", c)), "domain-failure").AttrOr("data-kind", ""); got != string(domains.KindWrongValue) {
		t.Errorf("stored failure kind on reload = %q", got)
	}
	srv.SetTXT(recName, "google-site-verification=x", recValue)
	w, kind, _, _ = verify()
	doc = parse(t, w)
	if kind != "" || testID(doc, "domain-verified-now").Length() != 1 || testID(doc, "domain-state").AttrOr("data-state", "") != "verified" {
		t.Errorf("verified: kind %q, %s", kind, testID(doc, "domains").Text())
	}
	if testID(doc, "domain-verify").Length() != 0 || testID(doc, "record-name").Length() != 0 {
		t.Error("a verified domain still offers its record and verify now")
	}

	// Refusals: invalid, consumer, duplicate.
	tests := []struct {
		name, input string
		status      int
		msg         string
	}{
		{"invalid", "not a domain!", http.StatusUnprocessableEntity, "valid domain"},
		{"url", "https://acme.example/path", http.StatusUnprocessableEntity, "valid domain"},
		{"consumer", "gmail.com", http.StatusUnprocessableEntity, "public email"},
		{"duplicate", "ACME.example", http.StatusConflict, "already been added"},
		{"empty", "  ", http.StatusUnprocessableEntity, "Enter a domain"},
	}
	for _, tt := range tests {
		w := h.follow(h.post("/portal/domains", url.Values{web.CSRFField: {csrf}, "domain": {tt.input}}, c), c)
		if !strings.Contains(testID(parse(t, w), "domains-error").Text(), tt.msg) || !strings.Contains(testID(parse(t, w), "error-summary").Text(), tt.msg) {
			t.Errorf("%s: status %d, message %q", tt.name, w.Code, testID(parse(t, w), "domains-error").Text())
		}
	}
	if doms, _ := h.st.ListDomains(ctx, h.org.ID); len(doms) != 1 {
		t.Errorf("%d domains after refusals, want 1", len(doms))
	}

	// Remove.
	w = h.post("/portal/domains/"+dom.ID+"/remove", url.Values{web.CSRFField: {csrf}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d", w.Code)
	}
	if doms, _ := h.st.ListDomains(ctx, h.org.ID); len(doms) != 0 {
		t.Error("domain not removed")
	}
	evs, _ := h.st.ListEvents(ctx, store.EventQuery{Types: []string{"domain"}, Limit: 100})
	for _, e := range evs {
		if e.Actor != "system" && !strings.HasPrefix(e.Actor, "portal:") {
			t.Errorf("%s actor = %q", e.Type, e.Actor)
		}
	}
}

func TestDomainCheckTimeout(t *testing.T) {
	t.Parallel()
	srv := testkit.NewDNSServer(t)
	h := newHarness(t, withDomains(t, srv))
	d, err := h.domains.Add(context.Background(), h.org.ID, "slow.example", store.DomainDNSTXT, "test")
	if err != nil {
		t.Fatal(err)
	}
	name, _ := h.domains.Record(d)
	srv.SetHang(name, true)
	c := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDomains}})
	csrf := csrfOf(t, h.get("/portal/domains", c))
	w := h.follow(h.post("/portal/domains/"+d.ID+"/verify", url.Values{web.CSRFField: {csrf}}, c), c)
	doc := parse(t, w)
	if kind := testID(doc, "domain-failure").AttrOr("data-kind", ""); kind != string(domains.KindTimeout) || !strings.Contains(testID(doc, "domain-fix").Text(), "try again") {
		t.Errorf("timeout: status %d kind %q fix %q", w.Code, kind, testID(doc, "domain-fix").Text())
	}
}

func TestDomainsWithoutService(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.signIn(admin.LinkOptions{})
	doc := parse(t, h.get("/portal/domains", c))
	if testID(doc, "domain-add-form").Length() != 0 {
		t.Error("add form shown without a domains service")
	}
	w := h.follow(h.post("/portal/domains", url.Values{web.CSRFField: {csrfOf(t, h.get("/portal/", c))}, "domain": {"acme.example"}}, c), c)
	if w.Code != http.StatusOK || testID(parse(t, w), "error-summary").Length() != 1 {
		t.Errorf("add without service: %d", w.Code)
	}
}
