package ssokit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

// TestCertificateRenewal adds the IdP's new certificate beside the old one,
// checks that a response signed by either is accepted during the overlap,
// removes the old one and checks that it is refused from then on.
func TestCertificateRenewal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	login := func(k *testKey) *httptest.ResponseRecorder {
		t.Helper()
		b := e.browser()
		id := b.startSAML(t, "connection="+connSAML)
		return b.postSAML(connSAML, respSpec{Key: k, InResponseTo: id}.build(t), id)
	}
	oldTP, newTP := thumbOf(t, idpKey), thumbOf(t, idp2Key)

	if r := login(idp2Key); r.Code != http.StatusBadRequest && r.Code != http.StatusForbidden {
		t.Fatalf("the new key before it is added: %d", r.Code)
	}
	c, err := e.sso.AddCertificate(ctx, testOrg, connSAML, idp2Key.CertPEM, "portal:test")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != store.ConnectionActive {
		t.Fatalf("state after adding a certificate: %s, want active", c.State)
	}
	certs, err := ConnectionCertificates(c)
	if err != nil || len(certs) != 2 || certs[0].Thumbprint != oldTP || certs[1].Thumbprint != newTP {
		t.Fatalf("certificates after add: %+v, %v", certs, err)
	}
	for _, k := range []*testKey{idpKey, idp2Key} {
		if r := login(k); r.Code != http.StatusSeeOther {
			t.Fatalf("login during the overlap, signed by %s: %d\n%s", k.CertPEM[:40], r.Code, e.logs)
		}
	}
	if _, err := e.sso.RemoveCertificate(ctx, testOrg, connSAML, oldTP, "portal:test"); err != nil {
		t.Fatal(err)
	}
	assertRefusedAfter(t, e, login(idpKey), ReasonUnknownCertificate, 2)
	if r := login(idp2Key); r.Code != http.StatusSeeOther {
		t.Fatalf("login with the new key after removing the old: %d\n%s", r.Code, e.logs)
	}

	added, removed := e.events(EventCertificateAdded), e.events(EventCertificateRemoved)
	if len(added) != 1 || len(removed) != 1 {
		t.Fatalf("events: %d added, %d removed", len(added), len(removed))
	}
	for _, ev := range []store.Event{added[0], removed[0]} {
		if ev.Subject != connSAML || ev.OrgID != testOrg || ev.Actor != "portal:test" {
			t.Errorf("event %s: %+v", ev.Type, ev)
		}
	}
	if !strings.Contains(string(added[0].Data), newTP) || !strings.Contains(string(removed[0].Data), oldTP) {
		t.Errorf("event data: %s / %s", added[0].Data, removed[0].Data)
	}
}

func TestCertificateRenewalRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"empty", func() error { _, err := e.sso.AddCertificate(ctx, testOrg, connSAML, " ", ""); return err }},
		{"garbage", func() error {
			_, err := e.sso.AddCertificate(ctx, testOrg, connSAML, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "")
			return err
		}},
		{"expired", func() error {
			_, err := e.sso.AddCertificate(ctx, testOrg, connSAML, expiredKey.CertPEM, "")
			return err
		}},
		{"already trusted", func() error { _, err := e.sso.AddCertificate(ctx, testOrg, connSAML, idpKey.CertPEM, ""); return err }},
		{"remove the only one", func() error {
			_, err := e.sso.RemoveCertificate(ctx, testOrg, connSAML, thumbOf(t, idpKey), "")
			return err
		}},
		{"remove an unknown one", func() error {
			_, err := e.sso.RemoveCertificate(ctx, testOrg, connSAML, thumbOf(t, evilKey), "")
			return err
		}},
	} {
		if err := tc.do(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v, want a ConfigError", tc.name, err)
		}
	}
	// Another organization's connection is not found, and is not changed.
	if _, err := e.sso.AddCertificate(ctx, testOrgB, connSAML, idp2Key.CertPEM, ""); !errors.Is(err, ErrConnectionNotFound) {
		t.Errorf("add to another organization's connection: %v", err)
	}
	if _, err := e.sso.AddCertificate(ctx, testOrg, connOIDC, idp2Key.CertPEM, ""); !errors.Is(err, ErrInvalidConfig) && !errors.Is(err, ErrConnectionNotFound) {
		t.Errorf("add to an OIDC connection: %v", err)
	}
	c, err := e.st.GetConnection(ctx, connSAML)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SAML.Certificates) != 1 || c.Version != 1 {
		t.Errorf("connection changed by refused calls: %d certificates, version %d", len(c.SAML.Certificates), c.Version)
	}
	if n := len(e.events(EventCertificateAdded, EventCertificateRemoved)); n != 0 {
		t.Errorf("%d events for refused calls", n)
	}
}

// TestCertificateFromMetadata: a certificate of the metadata is listed as
// such and cannot be removed on its own.
func TestCertificateFromMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.updateConn(connSAML, func(c *store.Connection) {
		c.SAML.Certificates = nil
		c.SAML.MetadataXML = idpMetadataXML(idpEntity, idpSSO, idpKey)
	})
	c, _ := e.st.GetConnection(context.Background(), connSAML)
	certs, err := ConnectionCertificates(c)
	if err != nil || len(certs) != 1 || !certs[0].FromMetadata || certs[0].Thumbprint != thumbOf(t, idpKey) {
		t.Fatalf("certificates: %+v, %v", certs, err)
	}
	if _, err := e.sso.AddCertificate(context.Background(), testOrg, connSAML, idp2Key.CertPEM, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sso.RemoveCertificate(context.Background(), testOrg, connSAML, thumbOf(t, idpKey), ""); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("removing a metadata certificate: %v", err)
	}
	// Added by hand as well as in the metadata: still the metadata's, so
	// removing it by hand is refused (the metadata would keep trusting it).
	e.updateConn(connSAML, func(c *store.Connection) { c.SAML.Certificates = []string{idpKey.CertPEM, idp2Key.CertPEM} })
	c, _ = e.st.GetConnection(context.Background(), connSAML)
	if certs, _ := ConnectionCertificates(c); len(certs) != 2 || !certs[0].FromMetadata || certs[1].FromMetadata {
		t.Fatalf("certificates added by hand, one also in the metadata: %+v", certs)
	}
	if _, err := e.sso.RemoveCertificate(context.Background(), testOrg, connSAML, thumbOf(t, idpKey), ""); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("removing by hand a certificate the metadata also holds: %v", err)
	}
}

func thumbOf(t testing.TB, k *testKey) string {
	t.Helper()
	crt, err := parseCertPEM(k.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	return thumbprint(crt)
}
