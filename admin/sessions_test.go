package admin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/store"
)

// TestAdminEndSessions: "sign this user out" ends that user's sessions
// only; "sign everyone out" ends the organization's, each with an event
// naming the actor.
func TestAdminEndSessions(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	now := time.Now().UTC()
	addConn(t, h.Store, h.Org.ID)
	addUsers(t, h.Store, h.Org.ID, "usr_ann", "usr_bob")
	mk := func(id, user string) {
		d := make([]byte, 32)
		copy(d, id)
		if err := h.Store.CreateSession(ctx, &store.Session{ID: id, Digest: d, OrgID: h.Org.ID, ConnectionID: "conn_x", UserID: user,
			CreatedAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	mk("ses_1", "usr_ann")
	mk("ses_2", "usr_ann")
	mk("ses_3", "usr_bob")
	n, err := h.Admin.EndSessions(ctx, h.Org.ID, "usr_ann", "operator:jane")
	if err != nil || n != 2 {
		t.Fatalf("EndSessions of a user: %d, %v", n, err)
	}
	n, err = h.Admin.EndSessions(ctx, h.Org.ID, "", "portal:ps_1")
	if err != nil || n != 1 {
		t.Fatalf("EndSessions of the organization: %d, %v", n, err)
	}
	evs, err := h.Store.ListEvents(ctx, store.EventQuery{Types: []string{store.SessionEventEnded}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	actors := map[string]string{}
	for _, e := range evs {
		actors[e.Subject] = e.Actor
	}
	if actors["ses_1"] != "operator:jane" || actors["ses_2"] != "operator:jane" || actors["ses_3"] != "portal:ps_1" {
		t.Fatalf("session.ended actors %v", actors)
	}
	if _, err := h.Admin.EndSessions(ctx, "org_nope", "", "operator:jane"); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("unknown organization: %v", err)
	}
}

// addUsers makes ids active directory users of org, in a new directory.
func addUsers(t *testing.T, st store.Store, org string, ids ...string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	dir := &store.Directory{ID: "dir_" + org, OrgID: org, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateDirectory(ctx, dir); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := st.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: id, DirectoryID: dir.ID, UserName: id + "@example.com", Active: true, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
}

// addConn makes conn_x an active connection of org.
func addConn(t *testing.T, st store.Store, org string) {
	t.Helper()
	now := time.Now().UTC()
	if err := st.CreateConnection(context.Background(), &store.Connection{ID: "conn_x", OrgID: org, Protocol: store.ProtocolOIDC, Provider: "okta", Name: "Okta",
		State: store.ConnectionActive, OIDC: &store.OIDCConfig{Issuer: "https://idp.example.com", ClientID: "c", Scopes: []string{"openid"}},
		CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
}
