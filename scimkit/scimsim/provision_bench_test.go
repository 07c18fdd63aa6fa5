package scimsim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/internal/pgtest"
	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/pgstore"
	"github.com/onboardkit/onboardkit/store/seal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// testKeyring seals the secrets of every Store a test of this package
// opens, so that two instances or a reopened file open each other's.
var testKeyring = seal.NewEphemeralKeyring()

// provisionStores are the Stores BenchmarkProvision10k runs on, in order.
// open returns a fresh, empty Store closed when the benchmark ends; a Store
// with pg set needs the PostgreSQL server of pgtest.DSNEnv.
var provisionStores = []struct {
	name string
	pg   bool
	open func(b *testing.B) store.Store
}{
	{"memstore", false, func(*testing.B) store.Store { return memstore.New() }},
	{"sqlite", false, func(b *testing.B) store.Store {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "scim.db"), sqlitestore.Options{Keyring: testKeyring})
		if err != nil {
			b.Fatalf("sqlitestore.Open: %v", err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}},
	{"postgres", true, func(b *testing.B) store.Store {
		st, err := pgstore.Open(context.Background(), pgtest.Schema(b, pgtest.DSN(b), "scimbench"), pgstore.Options{Keyring: testKeyring})
		if err != nil {
			b.Fatalf("pgstore.Open: %v", err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}},
}

// BenchmarkProvision10k provisions a 10,000-user directory with 500 groups
// through scimkit's SCIM HTTP endpoint over loopback, on memstore (for
// reference), SQLite and PostgreSQL (when ONBOARDKIT_TEST_POSTGRES_DSN is
// set), the Okta and the Entra way, with one client on one keep-alive
// connection (concurrency=1) and with four (concurrency=4).
//
// Each iteration runs scimsim's FullSync against a new directory of a
// Store opened for the sub-benchmark: the connection test, every user
// (lookup, create and, for Entra, the manager of nine users in ten), every
// group (lookup, create), then the memberships. SyncSpec's generator puts
// each user in one group and every fifth user in a second one: 12,000
// memberships, 24 members a group, added with one PATCH a group (the
// default MemberBatch of 50). After the sync the Store must hold the
// 10,000 users, the 500 groups and the 12,000 memberships of the
// directory; that check is not timed.
//
// Metrics: s/provision (one full provisioning, end to end), users/s
// (10,000 users over that whole time, as BenchmarkFullSync counts),
// group-ops/s (group creations, each a lookup and a POST, and member
// PATCHes, over the time from the last user to the end of the sync) and
// req/provision.
//
// Run it once per case with -benchtime 1x.
func BenchmarkProvision10k(b *testing.B) {
	const users, groups = 10000, 500
	for _, s := range provisionStores {
		b.Run(s.name, func(b *testing.B) {
			if s.pg {
				pgtest.DSN(b) // skips, or fails under CI=true, without a server
			}
			for _, d := range []scimsim.Dialect{scimsim.Okta, scimsim.Entra} {
				for _, conc := range []int{1, 4} {
					b.Run(fmt.Sprintf("%s/concurrency=%d", d, conc), func(b *testing.B) {
						spec := scimsim.SyncSpec{Users: users, Groups: groups, Concurrency: conc}
						benchProvision(b, s.open(b), d, spec)
					})
				}
			}
		})
	}
}

// benchProvision runs spec against a new directory of st per iteration,
// checks what st holds afterwards and reports the metrics
// BenchmarkProvision10k describes.
func benchProvision(b *testing.B, st store.Store, d scimsim.Dialect, spec scimsim.SyncSpec) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Now().UTC()
	if err := st.CreateOrganization(ctx, &store.Organization{ID: "org_b", Name: "Bench", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	unlimited := scimkit.Limits{PerDirectory: limits.Rate{Unlimited: true}} // a benchmark outpaces any directory
	srv, err := scimkit.New(scimkit.Config{Store: st, BaseURL: "https://app.example.com/scim", Logger: quiet, Limits: unlimited})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(http.StripPrefix("/scim", srv))
	b.Cleanup(hs.Close)
	// At most spec.Concurrency connections, all kept alive.
	hc := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: spec.Concurrency, MaxConnsPerHost: spec.Concurrency},
		Timeout:   time.Minute,
	}
	b.Cleanup(hc.CloseIdleConnections)

	gen, err := scimsim.Generate(d, spec)
	if err != nil {
		b.Fatal(err)
	}
	memberships := 0
	for _, m := range gen.Members {
		memberships += len(m)
	}

	var (
		groupOps      int           // group creations and member PATCHes
		groupPhase    time.Duration // from the last user to the end of each sync
		requests      int
		usersDone     time.Time
		memberPatches int
	)
	spec.Progress = func(p scimsim.Progress) {
		switch {
		case p.Phase == "users" && p.Done == p.Total:
			usersDone = time.Now()
		case p.Phase == "members":
			memberPatches++
		case p.Phase == "done":
			groupPhase += time.Since(usersDone)
		}
	}
	for b.Loop() {
		b.StopTimer()
		dir, err := srv.CreateDirectory(ctx, "org_b", scimkit.DirectoryOptions{Provider: string(d), Active: true})
		if err != nil {
			b.Fatal(err)
		}
		token, _, err := srv.CreateToken(ctx, dir.ID, scimkit.TokenOptions{})
		if err != nil {
			b.Fatal(err)
		}
		c, err := scimsim.New(scimsim.Config{BaseURL: hs.URL + "/scim/" + dir.ID, Token: token, Dialect: d, HTTPClient: hc, Logger: quiet, MaxLogEntries: 1})
		if err != nil {
			b.Fatal(err)
		}
		memberPatches = 0
		b.StartTimer()

		rep, err := c.FullSync(ctx, spec)

		b.StopTimer()
		if err != nil || len(rep.Failures) > 0 || rep.UsersCreated != spec.Users || rep.GroupsCreated != spec.Groups || rep.MembersAdded != memberships {
			b.Fatalf("FullSync: %v; created %d users, %d groups, %d memberships; failures %v",
				err, rep.UsersCreated, rep.GroupsCreated, rep.MembersAdded, rep.Failures)
		}
		groupOps += rep.GroupsCreated + memberPatches
		requests += rep.Requests
		checkProvisioned(b, st, dir.ID, spec.Users, spec.Groups, memberships)
		b.StartTimer()
	}
	elapsed := b.Elapsed().Seconds()
	b.ReportMetric(elapsed/float64(b.N), "s/provision")
	b.ReportMetric(float64(spec.Users*b.N)/elapsed, "users/s")
	if groupPhase > 0 {
		b.ReportMetric(float64(groupOps)/groupPhase.Seconds(), "group-ops/s")
	}
	b.ReportMetric(float64(requests)/float64(b.N), "req/provision")
}

// checkProvisioned fails b unless st holds users users, groups groups and
// memberships group memberships in the directory.
func checkProvisioned(b *testing.B, st store.Store, dirID string, users, groups, memberships int) {
	b.Helper()
	ctx := context.Background()
	_, nu, err := st.ListDirectoryUsers(ctx, dirID, store.UserQuery{}) // Limit 0: count only
	if err != nil {
		b.Fatalf("ListDirectoryUsers: %v", err)
	}
	gs, ng, err := st.ListDirectoryGroups(ctx, dirID, store.GroupQuery{Limit: groups + 1})
	if err != nil {
		b.Fatalf("ListDirectoryGroups: %v", err)
	}
	if nu != users || ng != groups || len(gs) != groups {
		b.Fatalf("store holds %d users and %d groups (%d listed), want %d and %d", nu, ng, len(gs), users, groups)
	}
	nm := 0
	for _, g := range gs {
		ms, err := st.ListGroupMembers(ctx, dirID, g.ID)
		if err != nil {
			b.Fatalf("ListGroupMembers %s: %v", g.ID, err)
		}
		nm += len(ms)
	}
	if nm != memberships {
		b.Fatalf("store holds %d memberships, want %d", nm, memberships)
	}
}
