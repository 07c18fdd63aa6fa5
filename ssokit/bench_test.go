package ssokit

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// testKeyring seals the secrets of every Store a test of this package
// opens, so that two instances or a reopened file open each other's.
var testKeyring = seal.NewEphemeralKeyring()

// benchAttrs make an Okta-shaped response of about 6 KB.
var benchAttrs = []attr{
	{Name: "email", Values: []string{"jane.doe@example.com"}},
	{Name: "firstName", Values: []string{"Jane"}},
	{Name: "lastName", Values: []string{"Doe"}},
	{Name: "displayName", Values: []string{"Jane Doe"}},
	{Name: "department", Values: []string{"Platform Engineering"}},
	{Name: "title", Values: []string{"Staff Engineer"}},
	{Name: "employeeNumber", Values: []string{"100234"}},
	{Name: "mobilePhone", Values: []string{"+1 555 0100"}},
	{Name: "groups", Values: []string{"Everyone", "Engineering", "okta-admins", "oncall", "github-org-members"}},
}

// BenchmarkACS measures the ACS end to end over HTTP (form decoding, the
// login request consumed from the Store with its browser binding, XML
// checks, signature verification, every extra check, the replay cache, the
// domain and directory lookups, the event and OnLogin) against crewjam's
// bare ServiceProvider.ParseXMLResponse on the same bytes, alternating the
// two in one run. The response is a ~6 KB signed Okta-shaped one
// (RSA-2048), made fresh per iteration outside the timed sections (each
// needs a new request id and assertion id for the replay cache).
//
// It reports ssokit-ns/op, crewjam-ns/op and ratio (budget: 1.2).
func BenchmarkACS(b *testing.B) {
	b.Run("memstore", func(b *testing.B) { benchmarkACS(b, memstore.New()) })
	b.Run("sqlitestore", func(b *testing.B) {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlitestore.Options{Keyring: testKeyring})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchmarkACS(b, st)
	})
	// SQLite with synchronous=NORMAL rather than the default FULL, for
	// comparison.
	b.Run("sqlitestore-normal", func(b *testing.B) {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlitestore.Options{Keyring: testKeyring, SynchronousNormal: true})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchmarkACS(b, st)
	})
}

func benchmarkACS(b *testing.B, st store.Store) {
	keys(b)
	ctx := context.Background()
	seedStore(b, st)
	var h http.Handler
	srv := httptest.NewServer(http.StripPrefix("/sso", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })))
	defer srv.Close()
	base := srv.URL + "/sso"
	logins := 0
	sso, err := New(Config{
		Store: st, BaseURL: base,
		OnLogin: func(w http.ResponseWriter, r *http.Request, p *Profile) {
			logins++
			http.Redirect(w, r, p.ReturnTo, http.StatusSeeOther)
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// The benchmark posts far above the default per-connection rate.
		Limits: Limits{PerConnection: limits.Rate{Unlimited: true}},
	})
	if err != nil {
		b.Fatal(err)
	}
	h = sso
	acs := sso.SAMLACSURL(connSAML)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cookie, _ := secret.New(nil, bindingPrefix)

	acsURL, _ := url.Parse(acs)
	entityURL, _ := url.Parse(sso.SAMLEntityID(connSAML))
	cert := base64.StdEncoding.EncodeToString(idpKey.Cert.Raw)
	crewjam := &saml.ServiceProvider{
		EntityID: sso.SAMLEntityID(connSAML), AcsURL: *acsURL, MetadataURL: *entityURL,
		IDPMetadata: &saml.EntityDescriptor{EntityID: idpEntity, IDPSSODescriptors: []saml.IDPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{KeyDescriptors: []saml.KeyDescriptor{{
				Use: "signing", KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{X509Certificates: []saml.X509Certificate{{Data: cert}}}},
			}}}},
		}}},
	}

	prepare := func(i int) (string, []byte) {
		now := time.Now()
		id := fmt.Sprintf("id_bench_%d_%d", now.UnixNano(), i)
		if err := st.CreateLoginRequest(ctx, &store.LoginRequest{
			ID: id, ConnectionID: connSAML, OrgID: testOrg, Protocol: store.ProtocolSAML,
			Binding: secret.Digest(cookie), ReturnTo: "/", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		}); err != nil {
			b.Fatal(err)
		}
		raw := respSpec{
			Now: now, InResponseTo: id, ACS: acs, Audience: sso.SAMLEntityID(connSAML),
			NameID: "jane.doe@example.com", Attrs: benchAttrs,
			ResponseID: fmt.Sprintf("_r%d", i) + id, AssertionID: fmt.Sprintf("_a%d", i) + id,
		}.build(b)
		return id, raw
	}
	_, sample := prepare(-1)
	b.Logf("response size: %d bytes", len(sample))

	ours := func(id string, raw []byte) time.Duration { return postACS(b, client, acs, cookie, id, raw) }
	theirs := func(id string, raw []byte) time.Duration {
		t0 := time.Now()
		_, err := crewjam.ParseXMLResponse(raw, []string{id}, *acsURL)
		d := time.Since(t0)
		if err != nil {
			b.Fatalf("crewjam: %v", err.(*saml.InvalidResponseError).PrivateErr)
		}
		return d
	}
	// Warm up connections and caches.
	for i := 0; i < 3; i++ {
		id, raw := prepare(-2 - i)
		ours(id, raw)
		theirs(id, raw)
	}
	var tOurs, tTheirs time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id, raw := prepare(i)
		if i%2 == 0 {
			tOurs += ours(id, raw)
			tTheirs += theirs(id, raw)
		} else {
			tTheirs += theirs(id, raw)
			tOurs += ours(id, raw)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(tOurs.Nanoseconds())/float64(b.N), "ssokit-ns/op")
	b.ReportMetric(float64(tTheirs.Nanoseconds())/float64(b.N), "crewjam-ns/op")
	b.ReportMetric(float64(tOurs)/float64(tTheirs), "ratio")
}

// postACS posts one SAML response to the ACS acs over HTTP, as the browser
// holding the binding cookie would, and returns how long the answer took;
// anything but the redirect of a login fails the benchmark.
func postACS(b *testing.B, client *http.Client, acs, cookie, id string, raw []byte) time.Duration {
	body := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(raw)}, "RelayState": {id}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, acs, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: bindingCookie, Value: cookie})
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("ACS status %d", resp.StatusCode)
	}
	return d
}
