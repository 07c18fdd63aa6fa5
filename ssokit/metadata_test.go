package ssokit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func TestParseIdPMetadata(t *testing.T) {
	t.Parallel()
	keys(t)
	good := idpMetadataXML(idpEntity, idpSSO, idpKey, idp2Key)
	md, err := ParseIdPMetadata([]byte(good), "", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if md.EntityID != idpEntity || md.SSOURL != idpSSO || md.SSOPostURL != idpSSO || len(md.Certificates) != 2 {
		t.Fatalf("metadata = %+v", md)
	}
	entities := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` +
		strings.TrimPrefix(good, `<?xml version="1.0"?>`) +
		strings.TrimPrefix(idpMetadataXML("https://other", "https://other.example/sso", idp2Key), `<?xml version="1.0"?>`) +
		`</md:EntitiesDescriptor>`
	if _, err := ParseIdPMetadata([]byte(entities), "", 0, false); err == nil {
		t.Error("two IdP entities accepted without an entity id")
	}
	if md, err := ParseIdPMetadata([]byte(entities), "https://other", 0, false); err != nil || md.SSOURL != "https://other.example/sso" {
		t.Errorf("entity selection: %v %+v", err, md)
	}

	bad := map[string]string{
		"javascript location": strings.ReplaceAll(good, idpSSO, "javascript:alert(1)"),
		"data location":       strings.ReplaceAll(good, idpSSO, "data:text/html,x"),
		"http location":       strings.ReplaceAll(good, idpSSO, "http://idp.example.net/sso"),
		"loopback location":   strings.ReplaceAll(good, idpSSO, "https://127.0.0.1/sso"),
		"DOCTYPE":             strings.Replace(good, `<?xml version="1.0"?>`, `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "y">]>`, 1),
		"no certificate":      idpMetadataXML(idpEntity, idpSSO),
		"SP metadata":         `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor/></md:EntityDescriptor>`,
		"wrong root":          `<html/>`,
		"garbage":             "\xff\xfe",
		"huge":                good + strings.Repeat(" ", 300<<10),
		"bad certificate":     strings.Replace(good, "<ds:X509Certificate>", "<ds:X509Certificate>AAAA", 1),
	}
	for name, doc := range bad {
		if _, err := ParseIdPMetadata([]byte(doc), "", 0, false); !errors.Is(err, ErrBadMetadata) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// The Insecure switch allows plain http for development.
	if _, err := ParseIdPMetadata([]byte(bad["http location"]), "", 0, true); err != nil {
		t.Errorf("insecure http location: %v", err)
	}
}

func FuzzParseIdPMetadata(f *testing.F) {
	keys(f)
	f.Add([]byte(idpMetadataXML(idpEntity, idpSSO, idpKey)))
	f.Add([]byte(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"></md:EntitiesDescriptor>`))
	f.Add([]byte(`<!DOCTYPE x><x/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := ParseIdPMetadata(data, "", 0, false)
		if err != nil {
			return
		}
		if md.EntityID == "" || len(md.Certificates) == 0 || (md.SSOURL == "" && md.SSOPostURL == "") {
			t.Fatalf("accepted incomplete metadata %+v", md)
		}
		for _, u := range []string{md.SSOURL, md.SSOPostURL} {
			if u != "" && !strings.HasPrefix(u, "https://") {
				t.Fatalf("accepted location %q", u)
			}
		}
	})
}

func TestMetadataURLRefused(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer tls.Close()
	e := newEnv(t, func(c *Config) { c.HTTPClient = tls.Client() })
	for _, u := range []string{
		srv.URL + "/metadata",                          // http and loopback
		tls.URL + "/metadata",                          // https but loopback: refused at dial time
		"https://localhost/metadata",                   // loopback name
		"https://169.254.169.254/latest/meta-data",     // link-local (cloud metadata)
		"https://10.1.2.3/metadata", "https://[::1]/x", // private, loopback v6
		"https://192.168.1.1/x", "https://[fe80::1]/x",
		"javascript:alert(1)", "file:///etc/passwd",
	} {
		if _, _, err := e.sso.FetchMetadata(context.Background(), u, ""); err == nil {
			t.Errorf("%s fetched", u)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests reached private servers", n)
	}
}

// TestMetadataRefreshRotation: the IdP rotates its key; Run's refresh
// picks the new certificate up; the old one stops being trusted.
func TestMetadataRefreshRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var doc atomic.Value
	keys(t)
	doc.Store(idpMetadataXML(idpEntity, "http://idp.example.net/sso", idpKey))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(doc.Load().(string)))
	}))
	defer srv.Close()
	e := newEnv(t, func(c *Config) { c.InsecureAllowPrivateNetworks = true })
	e.updateConn(connSAML, func(c *store.Connection) {
		c.SAML.Certificates, c.SAML.IdPEntityID, c.SAML.SSOURL = nil, "", ""
		c.SAML.MetadataURL = srv.URL + "/metadata"
	})
	if err := e.sso.RefreshAll(ctx, "instance-1"); err != nil {
		t.Fatal(err)
	}
	login := func(k *testKey) int {
		b := e.browser()
		id := b.startSAML(t, "connection="+connSAML)
		return b.postSAML(connSAML, respSpec{InResponseTo: id, Key: k, Now: e.clock()}.build(t), id).Code
	}
	if c := login(idpKey); c != http.StatusSeeOther {
		t.Fatalf("login with the published key: %d\n%s", c, e.logs)
	}
	// Rotation: the IdP publishes the new key only.
	doc.Store(idpMetadataXML(idpEntity, "http://idp.example.net/sso", idp2Key))
	if c := login(idp2Key); c != http.StatusForbidden {
		t.Fatalf("new key trusted before refresh: %d", c)
	}
	// Another instance holds the lease: nothing happens.
	e.advance(2 * time.Hour)
	if ok, _ := e.st.AcquireLease(ctx, metadataLease, "instance-2", e.clock(), e.clock().Add(time.Hour)); !ok {
		t.Fatal("lease")
	}
	if err := e.sso.RefreshAll(ctx, "instance-1"); err != nil {
		t.Fatal(err)
	}
	if c := login(idp2Key); c != http.StatusForbidden {
		t.Fatalf("refreshed without the lease: %d", c)
	}
	e.advance(2 * time.Hour)
	if err := e.sso.RefreshAll(ctx, "instance-1"); err != nil {
		t.Fatal(err)
	}
	if c := login(idp2Key); c != http.StatusSeeOther {
		t.Fatalf("login with the rotated key: %d\n%s", c, e.logs)
	}
	if c := login(idpKey); c != http.StatusForbidden {
		t.Fatalf("retired key still trusted: %d", c)
	}
	if evs := e.events(EventMetadataRefreshed); len(evs) != 2 {
		t.Fatalf("refresh events: %d", len(evs))
	}
	// A refresh serving javascript: locations is refused and the old
	// document kept.
	doc.Store(strings.ReplaceAll(idpMetadataXML(idpEntity, "http://idp.example.net/sso", idp2Key), "http://idp.example.net/sso", "javascript:alert(1)"))
	if err := e.sso.RefreshMetadata(ctx, connSAML); err == nil {
		t.Fatal("javascript: metadata accepted")
	}
	if c := login(idp2Key); c != http.StatusSeeOther {
		t.Fatalf("connection broken by refused metadata: %d", c)
	}
}

func TestCertificateExpiryEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, func(c *Config) { c.MetadataRefreshInterval = time.Hour })
	soon := newTestKey(t, "expiring", testNow.AddDate(-1, 0, 0), testNow.Add(30*24*time.Hour-30*time.Minute))
	e.updateConn(connSAML, func(c *store.Connection) { c.SAML.Certificates = append(c.SAML.Certificates, soon.CertPEM) })
	if err := e.sso.RefreshAll(ctx, "i1"); err != nil {
		t.Fatal(err)
	}
	evs := e.events(EventCertificateExpiring)
	if len(evs) != 1 || evs[0].Subject != connSAML || evs[0].OrgID != testOrg {
		t.Fatalf("events = %+v", evs)
	}
	var data map[string]any
	json.Unmarshal(evs[0].Data, &data)
	if data["certificate_thumbprint"] != thumbprint(soon.Cert) {
		t.Errorf("data = %v", data)
	}
	// The next hourly run does not repeat it.
	e.advance(time.Hour)
	e.sso.RefreshAll(ctx, "i1")
	if n := len(e.events(EventCertificateExpiring)); n != 1 {
		t.Errorf("repeated: %d events", n)
	}
	// Seven days before: reported again; at expiry: expired.
	e.advance(23*24*time.Hour - time.Hour)
	e.sso.RefreshAll(ctx, "i1")
	if n := len(e.events(EventCertificateExpiring)); n != 2 {
		t.Errorf("7-day warning: %d events", n)
	}
	e.advance(7 * 24 * time.Hour)
	e.sso.RefreshAll(ctx, "i1")
	if n := len(e.events(EventCertificateHasExpired)); n != 1 {
		t.Errorf("expired events: %d", n)
	}
}

func TestRunStops(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.sso.Run(ctx) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
}
