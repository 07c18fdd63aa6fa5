package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/store"
)

// TestDashboardSignEveryoneOut: the organization page's "Sign everyone
// out" ends the organization's end-user sessions, with the operator as
// actor, and leaves other organizations' alone.
func TestDashboardSignEveryoneOut(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	now := time.Now().UTC()
	h.AddConnection()
	mk := func(id, org string) []byte {
		conn := "conn_x"
		if org != h.Org.ID {
			conn = "conn_y"
		}
		d := make([]byte, 32)
		copy(d, id)
		if err := h.Store.CreateSession(ctx, &store.Session{ID: id, Digest: d, OrgID: org, ConnectionID: conn,
			CreatedAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	mine := mk("ses_1", h.Org.ID)
	other := &store.Organization{ID: "org_other", Name: "Other", CreatedAt: now, UpdatedAt: now}
	if err := h.Store.CreateOrganization(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.CreateConnection(ctx, &store.Connection{ID: "conn_y", OrgID: other.ID, Protocol: store.ProtocolOIDC, Provider: "okta", Name: "Okta",
		State: store.ConnectionActive, OIDC: &store.OIDCConfig{Issuer: "https://idp.example.com", ClientID: "c", Scopes: []string{"openid"}},
		CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	theirs := mk("ses_2", other.ID)

	doc := testkit.Parse(t, h.DashGet("/orgs/"+h.Org.ID))
	action, ok := testkit.TestID(doc, "end-sessions-form").Attr("action")
	if !ok {
		t.Fatal("no sign-everyone-out form on the organization page")
	}
	w := h.DashPost(strings.TrimPrefix(action, "/dashboard"), url.Values{})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign everyone out: %d", w.Code)
	}
	if _, err := h.Store.GetSession(ctx, mine, now); err == nil {
		t.Error("the organization's session is still active")
	}
	if _, err := h.Store.GetSession(ctx, theirs, now); err != nil {
		t.Errorf("another organization's session: %v", err)
	}
	if ev := h.LastEvent(store.SessionEventEnded); ev.Actor != "operator:"+surfacetest.Operator || ev.Subject != "ses_1" {
		t.Errorf("session.ended event %+v", ev)
	}
}
