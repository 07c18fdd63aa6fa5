package admin_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"testing"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// TestConnectionCertificates renews a SAML connection's certificate through
// the service: the data the dashboard shows, the add and the remove, and
// the refusals.
func TestConnectionCertificates(t *testing.T) {
	t.Parallel()
	var sso *ssokit.SSO
	h := surfacetest.New(t, func(c *surfacetest.Config) {
		var err error
		sso, err = ssokit.New(ssokit.Config{Store: c.Admin.Store.(ssokit.Store), BaseURL: "https://app.example.com/sso", Now: c.Admin.Now,
			OnLogin: func(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) {}})
		if err != nil {
			t.Fatal(err)
		}
		c.Admin.Connections = sso
	})
	ctx := context.Background()
	now := h.Clock.Now()
	pem := func(cn string) string {
		_, c, err := ssokit.NewSAMLKeyPair(rand.Reader, now, cn)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	oldPEM, newPEM := pem("old"), pem("new")
	testkit.Must(t, h.Store.CreateConnection(ctx, &store.Connection{ID: "conn_1", OrgID: h.Org.ID, Protocol: store.ProtocolSAML, Provider: "okta",
		State: store.ConnectionActive, CreatedAt: now, UpdatedAt: now,
		SAML: &store.SAMLConfig{IdPEntityID: "https://idp.example.net", SSOURL: "https://idp.example.net/sso", Certificates: []string{oldPEM}}}))

	certs, err := h.Admin.ConnectionCertificates(ctx, "conn_1")
	if err != nil || len(certs) != 1 || !certs[0].NotAfter.After(now) {
		t.Fatalf("certificates: %+v %v", certs, err)
	}
	oldTP := certs[0].Thumbprint
	if _, err := h.Admin.AddConnectionCertificate(ctx, "conn_1", newPEM, "operator:test"); err != nil {
		t.Fatal(err)
	}
	c, err := h.Admin.RemoveConnectionCertificate(ctx, "conn_1", oldTP, "operator:test")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != store.ConnectionActive || c.SAML.SPKeyPEM != "" {
		t.Fatalf("connection after renewal: state %s, key shown %v", c.State, c.SAML.SPKeyPEM != "")
	}
	certs, _ = h.Admin.ConnectionCertificates(ctx, "conn_1")
	if len(certs) != 1 || certs[0].Thumbprint == oldTP {
		t.Fatalf("certificates after renewal: %+v", certs)
	}
	if ev := h.LastEvent(ssokit.EventCertificateRemoved); ev.Actor != "operator:test" {
		t.Errorf("removal event: %+v", ev)
	}

	var ae *admin.AdminError
	if _, err := h.Admin.AddConnectionCertificate(ctx, "conn_1", "not a certificate", ""); !errors.As(err, &ae) || !errors.Is(err, admin.ErrInvalidInput) || ae.Field != "certificate" {
		t.Errorf("garbage certificate: %v", err)
	}
	if _, err := h.Admin.RemoveConnectionCertificate(ctx, "conn_1", certs[0].Thumbprint, ""); !errors.Is(err, admin.ErrInvalidInput) {
		t.Errorf("removing the only certificate: %v", err)
	}
	if _, err := h.Admin.ConnectionCertificates(ctx, "conn_nope"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("unknown connection: %v", err)
	}
	if _, err := h.Admin.AddConnectionCertificate(ctx, "conn_nope", newPEM, ""); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("unknown connection: %v", err)
	}

	plain := surfacetest.New(t, nil)
	if _, err := plain.Admin.AddConnectionCertificate(ctx, "conn_1", newPEM, ""); !errors.Is(err, admin.ErrNotConfigured) {
		t.Errorf("without a renewer: %v", err)
	}
}
