package scimsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// TestFullSyncAgainstScimkit pushes a generated directory in each dialect
// through onboardkit's own SCIM server on memstore, and checks the stored
// result and that the server gave no answer a real provider would object to.
func TestFullSyncAgainstScimkit(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := memstore.New()
	org := &store.Organization{ID: "org_e2e", Name: "Example", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDomain(ctx, &store.Domain{ID: "dom_e2e", OrgID: org.ID, Name: "example.com", State: store.DomainVerified,
		Method: store.DomainManual, VerifiedAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The clock stands still, so a rate limit's bucket would never refill.
	unlimited := scimkit.Limits{PerDirectory: limits.Rate{Unlimited: true}, Unauthenticated: limits.Rate{Unlimited: true}}
	srv, err := scimkit.New(scimkit.Config{Store: st, BaseURL: "https://app.example.com/scim", Now: clock, Logger: quiet, Limits: unlimited})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.StripPrefix("/scim", srv))
	defer hs.Close()

	for _, d := range []scimsim.Dialect{scimsim.Okta, scimsim.Entra} {
		t.Run(string(d), func(t *testing.T) {
			dir, err := srv.CreateDirectory(ctx, org.ID, scimkit.DirectoryOptions{Provider: string(d), Active: true})
			if err != nil {
				t.Fatal(err)
			}
			token, _, err := srv.CreateToken(ctx, dir.ID, scimkit.TokenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c, err := scimsim.New(scimsim.Config{
				BaseURL: hs.URL + "/scim/" + dir.ID, Token: token, Dialect: d, Now: clock, Logger: quiet,
				Rand: bytes.NewReader(bytes.Repeat([]byte{0x5a}, 1024)), MaxLogEntries: 100000,
			})
			if err != nil {
				t.Fatal(err)
			}
			spec := scimsim.SyncSpec{Users: 40, Groups: 4, Seed: 3, Updates: 6, Deactivations: 5, MemberRemovals: 4}
			if d == scimsim.Entra {
				spec.Deletions = 2
			}
			rep, err := c.FullSync(ctx, spec)
			if err != nil || len(rep.Failures) > 0 {
				for _, f := range rep.Failures {
					t.Logf("failure: %s: %v", f.Step, f.Err)
				}
				t.Fatalf("FullSync: %v", err)
			}
			if rep.UsersCreated != 40 || rep.GroupsCreated != 4 || rep.UsersUpdated != 6 || rep.UsersDeactivated != 5 ||
				rep.MembersAdded != 48 || rep.MembersRemoved != 4 || rep.UsersDeleted != spec.Deletions {
				t.Fatalf("report %+v", rep)
			}
			for _, e := range c.Log() {
				if len(e.Notes) > 0 {
					t.Errorf("exchange %d %s %s: %v", e.Seq, e.Method, e.Path, e.Notes)
				}
			}

			// The Store holds what the provider pushed.
			users, total, err := st.ListDirectoryUsers(ctx, dir.ID, store.UserQuery{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			inactive := 0
			for _, u := range users {
				if !u.Active {
					inactive++
				}
				if !strings.HasSuffix(u.UserName, "@example.com") || u.PrimaryEmail() == "" {
					t.Errorf("user %+v", u)
				}
			}
			if total != 40-spec.Deletions || inactive != 5-spec.Deletions {
				t.Fatalf("%d users, %d inactive", total, inactive)
			}
			members := 0
			for name, gid := range rep.GroupIDs {
				ms, err := st.ListGroupMembers(ctx, dir.ID, gid)
				if err != nil {
					t.Fatalf("members of %s: %v", name, err)
				}
				members += len(ms)
			}
			// 48 added, 4 removed; deleted users leave their groups.
			if members > 44 || members < 44-2*spec.Deletions {
				t.Fatalf("%d memberships", members)
			}
			t.Logf("%d users (%d inactive), %d memberships, %d users with the updated title, %d requests", total, inactive, members, updatedTitles(users), rep.Requests)

			// Updated users read back with the new profile (a deleted user
			// may have been among them).
			updated := updatedTitles(users)
			if updated > 6 || updated < 6-spec.Deletions {
				t.Fatalf("%d users carry the updated title", updated)
			}

			// A second sync matches everything and creates nothing.
			rep2, err := c.FullSync(ctx, scimsim.SyncSpec{Users: 40, Groups: 4, Seed: 3, SkipConnectionTest: true})
			if err != nil {
				t.Fatal(err)
			}
			if rep2.UsersCreated != spec.Deletions || rep2.UsersMatched != 40-spec.Deletions || rep2.GroupsMatched != 4 || len(rep2.Failures) != 0 {
				t.Fatalf("second sync %+v", rep2)
			}
		})
	}
}

func updatedTitles(users []store.DirectoryUser) int {
	n := 0
	for _, u := range users {
		var attrs map[string]any
		_ = json.Unmarshal(u.Attributes, &attrs)
		if title, _ := attrs["title"].(string); strings.HasPrefix(title, "Senior ") {
			n++
		}
	}
	return n
}
