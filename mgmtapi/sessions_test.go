package mgmtapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/store"
)

// TestAPIEndSessions: POST /organizations/{id}/sessions/end ends one
// user's sessions, or everyone's, by the API key.
func TestAPIEndSessions(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	now := time.Now().UTC()
	addConn(t, h.Store, h.Org.ID)
	addUsers(t, h.Store, h.Org.ID, "usr_ann", "usr_bob")
	for i, user := range []string{"usr_ann", "usr_ann", "usr_bob"} {
		d := make([]byte, 32)
		d[0] = byte(i + 1)
		if err := h.Store.CreateSession(ctx, &store.Session{ID: "ses_" + string(rune('a'+i)), Digest: d, OrgID: h.Org.ID, ConnectionID: "conn_x", UserID: user,
			CreatedAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	w, body := h.API(http.MethodPost, "/organizations/"+h.Org.ID+"/sessions/end", map[string]string{"user_id": "usr_ann"})
	if w.Code != http.StatusOK || body["ended"] != float64(2) {
		t.Fatalf("end ann's sessions: %d %v", w.Code, body)
	}
	w, body = h.API(http.MethodPost, "/organizations/"+h.Org.ID+"/sessions/end", nil)
	if w.Code != http.StatusOK || body["ended"] != float64(1) {
		t.Fatalf("end everyone's sessions: %d %v", w.Code, body)
	}
	if ev := h.LastEvent(store.SessionEventEnded); ev.Actor == "" || ev.Actor[:8] != "api_key:" {
		t.Errorf("actor %q", ev.Actor)
	}
	if w, _ := h.API(http.MethodPost, "/organizations/org_nope/sessions/end", nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown organization: %d", w.Code)
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
