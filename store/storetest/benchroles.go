package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/onboardkit/onboardkit/store"
)

// BenchRoles measures recomputing the roles of the members of a
// 10,000-member group after a change of the group's mapping: one
// SetRoleMappings, then RecomputeRoles batches of 500 until none is stale.
// It reports the users recomputed per second.
func BenchRoles(b *testing.B, newStore func(b *testing.B) store.Store) {
	const members, batch = 10_000, 500
	ctx := context.Background()
	s := newStore(b)
	const org, dir, grp = "org_roles", "dir_roles", "grp_roles"
	if err := s.CreateOrganization(ctx, &store.Organization{ID: org, Name: org, CreatedAt: t0}); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateDirectory(ctx, &store.Directory{ID: dir, OrgID: org, State: store.DirectoryActive, CreatedAt: t0}); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, members)
	for i := range ids {
		ids[i] = fmt.Sprintf("usr_roles_%05d", i)
	}
	const seeders = 4
	var wg sync.WaitGroup
	errs := make([]error, seeders)
	for w := range seeders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < members && errs[w] == nil; i += seeders {
				errs[w] = s.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: ids[i], DirectoryID: dir, UserName: ids[i] + "@example.com", Active: true, CreatedAt: t0})
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := s.CreateDirectoryGroup(ctx, &store.DirectoryGroup{ID: grp, DirectoryID: dir, DisplayName: "Everyone", CreatedAt: t0}, []store.MemberOp{{Kind: store.MembersAdd, IDs: ids}}, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		role := fmt.Sprintf("role%d", n%2)
		n++
		if err := s.SetRoleMappings(ctx, org, []store.RoleMapping{{OrgID: org, Source: store.RoleFromDirectoryGroup, Value: grp, Role: role}}); err != nil {
			b.Fatal(err)
		}
		for {
			left, err := s.RecomputeRoles(ctx, org, batch, "system", t0)
			if err != nil {
				b.Fatal(err)
			}
			if left == 0 {
				break
			}
		}
	}
	b.ReportMetric(float64(members*b.N)/b.Elapsed().Seconds(), "users/s")
}
