package portal

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/store"
)

// TestSignEveryoneOut: the IT admin's "Sign everyone out" on the overview
// ends the organization's end-user sessions, by the portal session, and
// only with the SSO section granted.
func TestSignEveryoneOut(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	now := h.clock.Now()
	for _, org := range []string{h.org.ID, "org_other"} {
		if org == "org_other" {
			h.createOrg("org_other", "Other")
		}
		if err := h.st.CreateConnection(ctx, &store.Connection{ID: "conn_" + org, OrgID: org, Protocol: store.ProtocolOIDC, Provider: "okta", Name: "Okta",
			State: store.ConnectionActive, OIDC: &store.OIDCConfig{Issuer: "https://idp.example.com", ClientID: "c", Scopes: []string{"openid"}},
			CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(id, org string) []byte {
		d := make([]byte, 32)
		copy(d, id)
		if err := h.st.CreateSession(ctx, &store.Session{ID: id, Digest: d, OrgID: org, ConnectionID: "conn_" + org,
			CreatedAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	mine := mk("ses_1", h.org.ID)
	theirs := mk("ses_2", "org_other")

	c := h.signIn(admin.LinkOptions{})
	home := h.get("/portal/", c)
	if testID(parse(t, home), "end-sessions-form").Length() != 1 {
		t.Fatal("no sign-everyone-out form on the overview")
	}
	w := h.follow(h.post("/portal/sessions/end", url.Values{"csrf": {csrfOf(t, home)}}, c), c)
	if w.Code != http.StatusOK || !strings.Contains(testID(parse(t, w), "flash").Text(), "1 session(s) ended") {
		t.Fatalf("sign everyone out: %d\n%s", w.Code, w.Body)
	}
	if _, err := h.st.GetSession(ctx, mine, now); err == nil {
		t.Error("the organization's session is still active")
	}
	if _, err := h.st.GetSession(ctx, theirs, now); err != nil {
		t.Errorf("another organization's session: %v", err)
	}
	evs, _ := h.st.ListEvents(ctx, store.EventQuery{Types: []string{store.SessionEventEnded}, Limit: 10})
	if len(evs) != 1 || !strings.HasPrefix(evs[0].Actor, "portal:") {
		t.Errorf("events %+v", evs)
	}
	// Without the CSRF token, or without the SSO section, nothing ends.
	mk("ses_3", h.org.ID)
	if w := h.post("/portal/sessions/end", url.Values{}, c); w.Code == http.StatusOK {
		t.Errorf("without CSRF token: %d", w.Code)
	}
	d := h.signIn(admin.LinkOptions{Features: []store.Feature{store.FeatureDomains}})
	if w := h.post("/portal/sessions/end", url.Values{"csrf": {csrfOf(t, h.get("/portal/", d))}}, d); w.Code == http.StatusOK {
		t.Errorf("without the SSO section: %d", w.Code)
	}
	if n := h.countEvents(store.SessionEventEnded); n != 1 {
		t.Errorf("%d session.ended events, want 1", n)
	}
}
