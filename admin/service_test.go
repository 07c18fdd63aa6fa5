package admin_test

import (
	"context"
	"errors"
	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAdminErrors(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	a := h.Admin
	ctx := context.Background()
	_, err := a.GetOrganization(ctx, "org_nope")
	var ae *admin.AdminError
	if !errors.As(err, &ae) || !errors.Is(err, admin.ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown org: %v", err)
	}
	if status, code, msg, ok := web.DescribeError(err); !ok || status != http.StatusNotFound || code != "not_found" || !strings.Contains(msg, "org_nope") {
		t.Errorf("describe: %d %s %q %v", status, code, msg, ok)
	}
	_, err = a.AddDomain(ctx, h.Org.ID, admin.DomainInput{Name: "yahoo.com"}, "")
	if !errors.Is(err, admin.ErrInvalidInput) || !errors.Is(err, domains.ErrConsumerDomain) {
		t.Errorf("consumer domain: %v", err)
	}
	// An unexpected failure is not an admin.AdminError: the caller logs it and
	// shows a generic message.
	if _, _, msg, ok := web.DescribeError(errors.New("pq: connection refused")); ok || strings.Contains(msg, "pq") {
		t.Errorf("internal error described as %q", msg)
	}
}

// TestAdminUpdateWithoutChange writes nothing when nothing changes.
func TestAdminUpdateWithoutChange(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	a := h.Admin
	ctx := context.Background()
	before := h.EventCount()
	name := h.Org.Name
	if _, err := a.UpdateOrganization(ctx, h.Org.ID, admin.OrganizationUpdate{Name: &name}, "operator:x"); err != nil {
		t.Fatal(err)
	}
	empty := ""
	if _, err := a.UpdateBranding(ctx, "", admin.BrandingUpdate{AccentColor: &empty, RemoveLogo: true}, "operator:x"); err != nil {
		t.Fatal(err)
	}
	if h.EventCount() != before {
		t.Errorf("no-op updates wrote %d events", h.EventCount()-before)
	}
	if _, err := h.Store.GetBranding(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a no-op branding update stored branding: %v", err)
	}
	// Clearing a set colour is a change, and the portal falls back.
	c := "#123456"
	_, err := a.UpdateBranding(ctx, h.Org.ID, admin.BrandingUpdate{AccentColor: &c}, "")
	testkit.Must(t, err)
	_, err = a.UpdateBranding(ctx, h.Org.ID, admin.BrandingUpdate{AccentColor: &empty}, "")
	testkit.Must(t, err)
	b, err := h.Admin.ResolveBranding(ctx, h.Org.ID)
	testkit.Must(t, err)
	if b.AccentColor != admin.DefaultAccentColor {
		t.Errorf("cleared colour resolves to %q", b.AccentColor)
	}
	if ev := h.LastEvent(admin.EventBrandingUpdated); ev.Actor != "system" || ev.OrgID != h.Org.ID {
		t.Errorf("event %+v", ev)
	}
}

// lifecycleError is a lifecycle whose Store fails.
type lifecycleError struct{}

func (lifecycleError) Activate(context.Context, string, string) (*store.Connection, error) {
	return nil, errors.New("database is locked")
}

func (lifecycleError) Deactivate(context.Context, string, string) (*store.Connection, error) {
	return nil, errors.New("database is locked")
}

func TestAdminLifecycleFailure(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, func(c *surfacetest.Config) { c.Admin.Connections = lifecycleError{} })
	ctx := context.Background()
	now := h.Clock.Now()
	testkit.Must(t, h.Store.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: h.Org.ID, Protocol: store.ProtocolSAML, State: store.ConnectionTested,
		CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{IdPEntityID: "x"}}))
	w, body := h.API(http.MethodPost, "/connections/conn_1/enable", nil)
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "database is locked") || surfacetest.ErrorCode(body) != "internal" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if !strings.Contains(h.Logs.String(), "database is locked") {
		t.Error("the cause is not in the log")
	}
	w = h.DashPost("/orgs/"+h.Org.ID+"/connections/conn_1/enable", url.Values{})
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "database is locked") {
		t.Fatalf("dashboard: %d", w.Code)
	}
}
