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
	mk := func(id, org string) []byte {
		d := make([]byte, 32)
		copy(d, id)
		if err := h.st.CreateSession(ctx, &store.Session{ID: id, Digest: d, OrgID: org, ConnectionID: "conn_x",
			CreatedAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	mine := mk("ses_1", h.org.ID)
	other := h.createOrg("org_other", "Other")
	theirs := mk("ses_2", other.ID)

	c := h.signIn(admin.LinkOptions{})
	home := h.get("/portal/", c)
	if testID(parse(t, home), "end-sessions-form").Length() != 1 {
		t.Fatal("no sign-everyone-out form on the overview")
	}
	w := h.post("/portal/sessions/end", url.Values{"csrf": {csrfOf(t, home)}}, c)
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
