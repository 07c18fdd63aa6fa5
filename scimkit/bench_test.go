package scimkit

import (
	"context"
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

	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// testKeyring seals the secrets of every Store a test of this package
// opens, so that two instances or a reopened file open each other's.
var testKeyring = seal.NewEphemeralKeyring()

type benchEnv struct {
	srv    *Server
	hs     *httptest.Server
	client *http.Client
	dir    *store.Directory
	token  string
	st     store.Store
	lastID string // the id of the last user create made
}

// newBenchEnv is a Server over st without request limits (a benchmark
// sends faster than a directory may), and one directory with a token.
func newBenchEnv(b *testing.B, st store.Store) *benchEnv {
	return newBenchEnvConfig(b, st, func(c *Config) {
		c.Limits = Limits{PerDirectory: limits.Rate{Unlimited: true}, Unauthenticated: limits.Rate{Unlimited: true}}
	})
}

// newBenchEnvConfig is newBenchEnv with the Config changed by mod.
func newBenchEnvConfig(b *testing.B, st store.Store, mod func(*Config)) *benchEnv {
	b.Helper()
	ctx := context.Background()
	cfg := Config{Store: st, BaseURL: "https://app.example.com/scim", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mod(&cfg)
	srv, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.CreateOrganization(ctx, &store.Organization{ID: "org_bench", Name: "Bench", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	if err := st.CreateDomain(ctx, &store.Domain{ID: "dom_bench", OrgID: "org_bench", Name: "example.com", State: store.DomainVerified, Method: store.DomainManual, CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	d, err := srv.CreateDirectory(ctx, "org_bench", DirectoryOptions{Active: true})
	if err != nil {
		b.Fatal(err)
	}
	tok, _, err := srv.CreateToken(ctx, d.ID, TokenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(http.StripPrefix("/scim", srv))
	b.Cleanup(hs.Close)
	// One client, keep-alive.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}}
	b.Cleanup(client.CloseIdleConnections)
	return &benchEnv{srv: srv, hs: hs, client: client, dir: d, token: tok, st: st}
}

func (e *benchEnv) do(b *testing.B, method, path, body string, want int) {
	req, err := http.NewRequest(method, e.hs.URL+"/scim/"+e.dir.ID+path, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := e.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		b.Fatalf("%s %s: %d: %s", method, path, res.StatusCode, raw)
	}
}

func userBody(i int) string {
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"user%d@example.com","externalId":"ext-%d","active":true,"displayName":"User %d","name":{"givenName":"Given%d","familyName":"Family"},"emails":[{"value":"user%d@example.com","type":"work","primary":true}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engineering"}}`, i, i, i, i, i)
}

// BenchmarkCreateUser: POST /Users over HTTP with keep-alive, one client.
// "sqlite" runs SQLite's default synchronous=FULL; "sqlite-normal" runs it
// with Options.SynchronousNormal, for comparison.
func BenchmarkCreateUser(b *testing.B) {
	stores := testStores()
	stores["sqlite-normal"] = func(tb testing.TB) store.Store {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(tb.TempDir(), "scim.db"), sqlitestore.Options{Keyring: testKeyring, SynchronousNormal: true})
		if err != nil {
			tb.Fatalf("sqlitestore.OpenOptions: %v", err)
		}
		tb.Cleanup(func() { st.Close() })
		return st
	}
	for name, open := range stores {
		b.Run(name, func(b *testing.B) {
			e := newBenchEnv(b, open(b))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				e.do(b, "POST", "/Users", userBody(i), http.StatusCreated)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
		})
	}
}

// BenchmarkLookupUserName: GET /Users?filter=userName eq "..." on
// directories of 100 and 100,000 users.
func BenchmarkLookupUserName(b *testing.B) {
	for name, open := range testStores() {
		for _, n := range []int{100, 100_000} {
			b.Run(fmt.Sprintf("%s/users=%d", name, n), func(b *testing.B) {
				e := newBenchEnv(b, open(b))
				seedUsers(b, e, n)
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					k := (i * 7919) % n
					f := url.QueryEscape(fmt.Sprintf(`userName eq "user%d@example.com"`, k))
					e.do(b, "GET", "/Users?filter="+f, "", http.StatusOK)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
			})
		}
	}
}

// seedUsers writes n users straight into the Store, with the attributes
// the handler would have stored.
func seedUsers(b *testing.B, e *benchEnv, n int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	for i := range n {
		m, err := decodeObject([]byte(userBody(i)))
		if err != nil {
			b.Fatal(err)
		}
		attrs, err := e.srv.users.validate(m)
		if err != nil {
			b.Fatal(err)
		}
		u := &store.DirectoryUser{ID: fmt.Sprintf("usr_seed%07d", i), DirectoryID: e.dir.ID, OrgID: e.dir.OrgID, Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := applyUserAttrs(attrs, u, true); err != nil {
			b.Fatal(err)
		}
		if err := e.st.CreateDirectoryUser(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
}
