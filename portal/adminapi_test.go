package portal

import (
	"bytes"
	"context"
	"errors"
	imgcolor "image/color"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/store"
)

func TestSniffImage(t *testing.T) {
	t.Parallel()
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{0}, 20)...)
	webp := []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00")
	tests := []struct {
		name string
		data []byte
		want string // "" = refused
	}{
		{"png", testPNG(t, imgcolor.RGBA{A: 255}), "image/png"},
		{"gif", gif, "image/gif"},
		{"jpeg", jpeg, "image/jpeg"},
		{"webp", webp, "image/webp"},
		{"ico", testICO(), "image/x-icon"},
		{"svg", []byte(testSVG), ""},
		{"svg with xml prolog", []byte(`<?xml version="1.0"?>` + testSVG), ""},
		{"html", []byte("<!DOCTYPE html><script>alert(1)</script>"), ""},
		{"text", []byte("hello"), ""},
		{"empty", []byte{}, ""},
		{"pdf", []byte("%PDF-1.7\n"), ""},
		{"too large png", append(testPNG(t, imgcolor.RGBA{A: 255}), make([]byte, MaxBrandingImageBytes)...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sniffImage("logo", tt.data)
			if tt.want == "" {
				if err == nil || !errors.Is(err, ErrInvalidInput) {
					t.Fatalf("accepted as %q (%v)", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestAdminErrors(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, nil)
	a := h.p.Admin()
	ctx := context.Background()
	_, err := a.GetOrganization(ctx, "org_nope")
	var ae *AdminError
	if !errors.As(err, &ae) || !errors.Is(err, ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown org: %v", err)
	}
	if status, code, msg, ok := describeError(err); !ok || status != http.StatusNotFound || code != "not_found" || !strings.Contains(msg, "org_nope") {
		t.Errorf("describe: %d %s %q %v", status, code, msg, ok)
	}
	_, err = a.AddDomain(ctx, h.org.ID, "yahoo.com", store.DomainDNSTXT, "")
	if !errors.Is(err, ErrInvalidInput) || !errors.Is(err, domains.ErrConsumerDomain) {
		t.Errorf("consumer domain: %v", err)
	}
	// An unexpected failure is not an AdminError: the caller logs it and
	// shows a generic message.
	if _, _, msg, ok := describeError(errors.New("pq: connection refused")); ok || strings.Contains(msg, "pq") {
		t.Errorf("internal error described as %q", msg)
	}
}

// TestAdminUpdateWithoutChange writes nothing when nothing changes.
func TestAdminUpdateWithoutChange(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, nil)
	a := h.p.Admin()
	ctx := context.Background()
	before := h.eventCount()
	name := h.org.Name
	if _, err := a.UpdateOrganization(ctx, h.org.ID, OrganizationUpdate{Name: &name}, "operator:x"); err != nil {
		t.Fatal(err)
	}
	empty := ""
	if _, err := a.UpdateBranding(ctx, "", BrandingUpdate{AccentColor: &empty, RemoveLogo: true}, "operator:x"); err != nil {
		t.Fatal(err)
	}
	if h.eventCount() != before {
		t.Errorf("no-op updates wrote %d events", h.eventCount()-before)
	}
	if _, err := h.st.GetBranding(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a no-op branding update stored branding: %v", err)
	}
	// Clearing a set colour is a change, and the portal falls back.
	c := "#123456"
	_, err := a.UpdateBranding(ctx, h.org.ID, BrandingUpdate{AccentColor: &c}, "")
	must(t, err)
	_, err = a.UpdateBranding(ctx, h.org.ID, BrandingUpdate{AccentColor: &empty}, "")
	must(t, err)
	b, err := h.p.branding(ctx, h.org.ID)
	must(t, err)
	if b.AccentColor != DefaultAccentColor {
		t.Errorf("cleared colour resolves to %q", b.AccentColor)
	}
	if ev := h.lastEvent(EventBrandingUpdated); ev.Actor != "system" || ev.OrgID != h.org.ID {
		t.Errorf("event %+v", ev)
	}
}

// lifecycleError is a lifecycle whose Store fails.
type lifecycleError struct{}

func (lifecycleError) ActivateConnection(context.Context, string, string) (*store.Connection, error) {
	return nil, errors.New("database is locked")
}

func (lifecycleError) DeactivateConnection(context.Context, string, string) (*store.Connection, error) {
	return nil, errors.New("database is locked")
}

func TestAdminLifecycleFailure(t *testing.T) {
	t.Parallel()
	h := newAdminHarness(t, func(c *Config) { c.Connections = lifecycleError{} })
	ctx := context.Background()
	now := h.clock.Now()
	must(t, h.st.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: h.org.ID, Protocol: store.ProtocolSAML, State: store.ConnectionTested,
		CreatedAt: now, UpdatedAt: now, SAML: &store.SAMLConfig{IdPEntityID: "x"}}))
	w, body := h.api(http.MethodPost, "/connections/conn_1/enable", nil)
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "database is locked") || errorCode(body) != "internal" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if !strings.Contains(h.logs.String(), "database is locked") {
		t.Error("the cause is not in the log")
	}
	w = h.dashPost("/orgs/"+h.org.ID+"/connections/conn_1/enable", url.Values{})
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "database is locked") {
		t.Fatalf("dashboard: %d", w.Code)
	}
}

func TestDashboardURLConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, wantErr, wantMount string
	}{
		{"", "", "/dashboard"},
		{"https://admin.example.com/staff/onboarding/", "", "/staff/onboarding"},
		{"http://localhost:8080/dash", "", "/dash"},
		{"http://admin.example.com/dashboard", "DashboardURL", ""},
		{"https://admin.example.com/d?x=1", "DashboardURL", ""},
		{"ftp://admin.example.com/", "DashboardURL", ""},
	}
	for _, tt := range tests {
		p, err := New(Config{Store: nopStore{}, BaseURL: testBaseURL, DashboardURL: tt.url})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v", tt.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.url, err)
			continue
		}
		if p.dash.mount != tt.wantMount {
			t.Errorf("%q: mount %q", tt.url, p.dash.mount)
		}
	}
}
