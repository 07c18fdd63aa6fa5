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
	h.AddConnection()
	h.AddUsers("usr_ann", "usr_bob")
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
