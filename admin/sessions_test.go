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
	h.AddConnection()
	h.AddUsers("usr_ann", "usr_bob")
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
