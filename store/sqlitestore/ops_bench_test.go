package sqlitestore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// These benchmarks measure the costs the SCIM budgets depend on: a user
// creation with its event, and a lookup by userName in a small and a large
// directory.

func seedDirectory(b *testing.B, s store.Store, users int) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.CreateOrganization(ctx, &store.Organization{ID: "org", Name: "Org", CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateDirectory(ctx, &store.Directory{ID: "dir", OrgID: "org", State: store.DirectoryActive, CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	for i := range users {
		if err := s.CreateDirectoryUser(ctx, benchUser(i, now)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchUser(i int, now time.Time) *store.DirectoryUser {
	name := fmt.Sprintf("user%07d@example.com", i)
	return &store.DirectoryUser{
		ID: fmt.Sprintf("usr_%07d", i), DirectoryID: "dir", UserName: name, ExternalID: fmt.Sprintf("ext%07d", i),
		Active: true, DisplayName: "User", GivenName: "U", FamilyName: "Ser",
		Emails:     []store.Email{{Value: name, Type: "work", Primary: true}},
		Attributes: []byte(`{"userName":"` + name + `"}`), CreatedAt: now, UpdatedAt: now,
	}
}

func BenchmarkCreateDirectoryUser(b *testing.B) {
	s := newStore(b)
	seedDirectory(b, s, 0)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		u := benchUser(i, now)
		ev := store.Event{ID: fmt.Sprintf("evt_%d", i), Type: "directory.user.created", OrgID: "org", Subject: u.ID, Actor: "scim:dir", Data: []byte(`{}`), CreatedAt: now}
		if err := s.CreateDirectoryUser(ctx, u, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFilterUserName(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := newStore(b)
			seedDirectory(b, s, n)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				name := fmt.Sprintf("USER%07d@example.com", (i*7919)%n)
				users, total, err := s.ListDirectoryUsers(ctx, "dir", store.UserQuery{
					Filter: store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: name}, Limit: 10,
				})
				if err != nil || total != 1 || len(users) != 1 {
					b.Fatalf("lookup %s: %d users, total %d, %v", name, len(users), total, err)
				}
			}
		})
	}
}
