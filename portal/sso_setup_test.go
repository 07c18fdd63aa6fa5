package portal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// TestSSOGuidedSteps walks the setup's steps as GET pages: each answers,
// the unfinished setup is found again from the list and the overview, and
// an unknown step is not found.
func TestSSOGuidedSteps(t *testing.T) {
	h := newSSOHarness(t, false)
	c, csrf := h.ssoSession()
	if w := h.get("/portal/sso/new", c); w.Code != http.StatusOK || testID(parse(t, w), "provider-okta").Length() != 1 {
		t.Fatalf("provider page: %d", w.Code)
	}
	doc := parse(t, h.get("/portal/sso/new/jumpcloud", c))
	if got := testID(doc, "page-title").Text(); got != "Connect JumpCloud" {
		t.Errorf("protocol page title %q", got)
	}
	id := h.createConn(c, csrf, "saml", "jumpcloud")
	for _, step := range []string{"guide", "idp", "mapping", "test", "activate"} {
		w := h.get("/portal/sso/"+id+"/setup/"+step, c)
		if w.Code != http.StatusOK {
			t.Fatalf("step %s: %d", step, w.Code)
		}
		if n := parse(t, w).Find(`[aria-current="step"]`).Length(); n != 1 {
			t.Errorf("step %s: %d current steps", step, n)
		}
	}
	if w := h.get("/portal/sso/"+id+"/setup/other", c); w.Code != http.StatusNotFound {
		t.Errorf("unknown step: %d", w.Code)
	}
	for _, m := range []string{"url", "xml", "manual"} {
		doc := parse(t, h.get("/portal/sso/"+id+"/setup/idp?method="+m, c))
		if doc.Find("form[data-testid^=form-]").Length() != 1 {
			t.Errorf("method %s: %d forms, want the one", m, doc.Find("form[data-testid^=form-]").Length())
		}
	}
	// The list and the overview lead back into the unfinished setup.
	list := parse(t, h.get("/portal/sso", c))
	if href, _ := testID(list, "connection-continue").Attr("href"); href != "/portal/sso/"+id+"/setup/guide" {
		t.Errorf("continue link %q", href)
	}
	if got := testID(list, "connection-name").Text(); got != "Main" {
		t.Errorf("connection named %q", got)
	}
	w := h.post("/portal/sso/"+id+"/saml/manual", url.Values{"csrf": {csrf}, "entity_id": {"https://idp.example.com"},
		"sso_url": {"https://idp.example.com/sso"}, "certificate": {manualCert(t, h.clock.Now())}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("manual: %d", w.Code)
	}
	if href, _ := testID(parse(t, h.get("/portal/sso/"+id, c)), "continue-setup").Attr("href"); href != "/portal/sso/"+id+"/setup/test" {
		t.Errorf("continue link after the details %q", href)
	}
	w = h.post("/portal/sso/"+id+"/mapping", url.Values{"csrf": {csrf}, "map_email": {"mail"}}, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/portal/sso/"+id+"/setup/test?saved=mapping" {
		t.Fatalf("mapping: %d %s", w.Code, w.Header().Get("Location"))
	}
	if v, _ := parse(t, h.get("/portal/sso/"+id+"/setup/mapping", c)).Find("#map_email").Attr("value"); v != "mail" {
		t.Errorf("mapping not shown again: %q", v)
	}
}

// TestSSOCertificateRenewal renews a connection's certificate in the
// portal: expiry shown in the list and on the connection, add, remove,
// the refusals, the events.
func TestSSOCertificateRenewal(t *testing.T) {
	h := newSSOHarness(t, false)
	c, csrf := h.ssoSession()
	id := h.createConn(c, csrf, "saml", "okta")
	now := h.clock.Now()
	oldPEM := manualCert(t, now)
	w := h.post("/portal/sso/"+id+"/saml/manual", url.Values{"csrf": {csrf}, "entity_id": {"https://idp.example.com"},
		"sso_url": {"https://idp.example.com/sso"}, "certificate": {oldPEM}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("manual: %d", w.Code)
	}
	certs, _ := ssokit.ConnectionCertificates(h.conn(id))
	oldTP := certs[0].Thumbprint
	wantExpiry := certs[0].NotAfter.UTC().Format("2 Jan 2006")

	list := parse(t, h.get("/portal/sso", c))
	if got := testID(list, "connection-cert").Text(); !strings.Contains(got, wantExpiry) {
		t.Errorf("list shows %q, want the expiry %s", got, wantExpiry)
	}
	doc := parse(t, h.get("/portal/sso/"+id, c))
	if got := testID(doc, "cert-expiry").Text(); got != wantExpiry {
		t.Errorf("overview shows expiry %q", got)
	}
	if testID(doc, "cert-remove").Length() != 0 {
		t.Error("the only certificate offers removal")
	}

	// Refused: not a certificate. Nothing changes, the error is on the field.
	w = h.follow(h.post("/portal/sso/"+id+"/certificates", url.Values{"csrf": {csrf}, "certificate": {"hello"}}, c), c)
	doc = parse(t, w)
	if w.Code != http.StatusOK || !strings.Contains(testID(doc, "f-new-certificate-error").Text(), "not a PEM") {
		t.Fatalf("bad certificate: %d %q", w.Code, testID(doc, "f-new-certificate-error").Text())
	}
	if _, open := testID(doc, "cert-renew").Attr("open"); !open {
		t.Error("the renewal form is closed over its error")
	}

	// Add the new one: both trusted, state kept, one event.
	h.clock.Add(time.Hour)
	newPEM := manualCert(t, h.clock.Now().Add(24*time.Hour))
	w = h.post("/portal/sso/"+id+"/certificates", url.Values{"csrf": {csrf}, "certificate": {newPEM}}, c)
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "?saved=cert_added#certificates") {
		t.Fatalf("add: %d %s %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	doc = parse(t, h.get("/portal/sso/"+id+"?saved=cert_added", c))
	if n := testID(doc, "cert").Length(); n != 2 || testID(doc, "cert-remove").Length() != 2 {
		t.Fatalf("%d certificates shown, %d removable", n, testID(doc, "cert-remove").Length())
	}
	if !strings.Contains(testID(doc, "flash").Text(), "Both certificates are trusted") {
		t.Errorf("flash %q", testID(doc, "flash").Text())
	}
	// A second add of the same certificate is refused (a double submit
	// adds nothing).
	if w := h.follow(h.post("/portal/sso/"+id+"/certificates", url.Values{"csrf": {csrf}, "certificate": {newPEM}}, c), c); testID(parse(t, w), "error-summary").Length() != 1 {
		t.Errorf("the same certificate again: %d", w.Code)
	}
	// Remove the old one: its Remove is a link to a confirmation page,
	// which changes nothing and posts the removal.
	confirmURL := "/portal/sso/" + id + "/certificates/remove?thumbprint=" + oldTP
	if href, _ := doc.Find(`[data-testid="cert-remove"][href$="` + oldTP + `"]`).Attr("href"); href != confirmURL {
		t.Fatalf("the old certificate's Remove leads to %q, want %q", href, confirmURL)
	}
	confirm := parse(t, h.get(confirmURL, c))
	form := testID(confirm, "confirm-form")
	if action, _ := form.Attr("action"); action != "/portal/sso/"+id+"/certificates/remove" {
		t.Fatalf("the confirmation posts to %q", action)
	}
	if tp, _ := form.Find(`input[name="thumbprint"]`).Attr("value"); tp != oldTP {
		t.Fatalf("the confirmation removes %q", tp)
	}
	if got := testID(confirm, "confirm-facts").Text(); !strings.Contains(got, wantExpiry) || !strings.Contains(got, ssoShortThumb(oldTP)) {
		t.Errorf("the confirmation does not name the certificate: %q", got)
	}
	if w := h.get("/portal/sso/"+id+"/certificates/remove?thumbprint=ab12", c); w.Code != http.StatusNotFound {
		t.Errorf("confirmation of an unknown certificate: %d", w.Code)
	}
	// A post without the confirmation step (an older page's form) removes
	// nothing: it leads to the confirmation.
	w = h.post("/portal/sso/"+id+"/certificates/remove", url.Values{"csrf": {csrf}, "thumbprint": {oldTP}}, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != confirmURL {
		t.Fatalf("remove without confirmation: %d %s", w.Code, w.Header().Get("Location"))
	}
	if got, _ := ssokit.ConnectionCertificates(h.conn(id)); len(got) != 2 || h.countEvents(ssokit.EventCertificateRemoved) != 0 {
		t.Fatalf("a post without confirmation removed a certificate: %+v", got)
	}
	confirmed := url.Values{"csrf": {csrf}, "thumbprint": {oldTP}, "confirmed": {"yes"}}
	for range 2 { // the second post is a double click: answered as the first
		w = h.post("/portal/sso/"+id+"/certificates/remove", confirmed, c)
		if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "?saved=cert_removed#certificates") {
			t.Fatalf("remove: %d %s %s", w.Code, w.Header().Get("Location"), w.Body)
		}
	}
	got, _ := ssokit.ConnectionCertificates(h.conn(id))
	if len(got) != 1 || got[0].Thumbprint == oldTP {
		t.Fatalf("certificates after removal: %+v", got)
	}
	// Removing the last one is refused with an alert.
	w = h.follow(h.post("/portal/sso/"+id+"/certificates/remove", url.Values{"csrf": {csrf}, "thumbprint": {got[0].Thumbprint}, "confirmed": {"yes"}}, c), c)
	if w.Code != http.StatusOK || !strings.Contains(testID(parse(t, w), "error-summary").Text(), "only certificate") {
		t.Errorf("removing the last certificate: %d", w.Code)
	}
	if a, r := h.countEvents(ssokit.EventCertificateAdded), h.countEvents(ssokit.EventCertificateRemoved); a != 1 || r != 1 {
		t.Errorf("events: %d added, %d removed", a, r)
	}
	if h.conn(id).State != store.ConnectionDraft {
		t.Errorf("state changed by the renewal: %s", h.conn(id).State)
	}
}
