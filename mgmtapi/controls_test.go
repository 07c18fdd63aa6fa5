package mgmtapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
)

// TestMgmtAPIIdempotency: a retried creation with the same Idempotency-Key
// creates nothing more; another API key's same key is its own; a key too
// long is refused before anything is written.
func TestMgmtAPIIdempotency(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) { c.Kits = true })
	other, err := h.Admin.CreateAPIKey(context.Background(), admin.APIKeyInput{Name: "other"}, "")
	testkit.Must(t, err)
	post := func(key, path, idem string, body any) *httptest.ResponseRecorder {
		raw, _ := json.Marshal(body)
		r := httptest.NewRequest(http.MethodPost, surfacetest.Origin+"/api"+path, bytes.NewReader(raw))
		r.Header.Set("Authorization", "Bearer "+key)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", idem)
		return h.Do(r)
	}
	org := "/organizations/" + h.Org.ID
	first := post(h.Key, org+"/directories", "same", map[string]any{"provider": "okta"})
	second := post(h.Key, org+"/directories", "same", map[string]any{"provider": "okta"})
	if first.Code != http.StatusCreated || second.Code != http.StatusCreated || second.Header().Get("Idempotent-Replayed") != "true" || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("statuses %d %d, replayed %q", first.Code, second.Code, second.Header().Get("Idempotent-Replayed"))
	}
	if strings.Contains(second.Body.String(), `"token":"scim_`) || !strings.Contains(first.Body.String(), `"token":"scim_`) {
		t.Errorf("the token must be shown once: %s / %s", first.Body, second.Body)
	}
	third := post(other.Key, org+"/directories", "same", map[string]any{"provider": "okta"})
	if third.Code != http.StatusCreated || third.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("another API key's request: %d %q", third.Code, third.Header().Get("Idempotent-Replayed"))
	}
	before := h.EventCount()
	if w := post(h.Key, org+"/connections", strings.Repeat("k", 201), map[string]any{"protocol": "saml"}); w.Code != http.StatusBadRequest {
		t.Errorf("a 201-character key: %d", w.Code)
	}
	if h.EventCount() != before {
		t.Error("a refused request wrote events")
	}
	dirs, err := h.Admin.ListDirectories(context.Background(), h.Org.ID)
	testkit.Must(t, err)
	if len(dirs) != 2 {
		t.Errorf("%d directories, want 2", len(dirs))
	}
}
