package storetest

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// The sizes of BenchScale's large case; the defaults keep a CI run short.
// The issue-sized run is -scale.orgs=100000 -scale.users=1000000 (200000
// on SQLite).
var (
	scaleOrgs  = flag.Int("scale.orgs", 2000, "organizations in BenchScale's large case")
	scaleUsers = flag.Int("scale.users", 10000, "users of the directory in BenchScale's large case")
)

// The small case, the baseline each request of the large case is
// compared with.
const smallOrgs, smallUsers = 100, 1000

// scaleFixture is a Store holding orgs organizations and one directory of
// users users, loaded through the Store.
type scaleFixture struct {
	s           store.Store
	orgs, users int
	dir         string
}

func scaleOrgID(i int) string   { return fmt.Sprintf("org_%06d", i) }
func scaleOrgName(i int) string { return fmt.Sprintf("Company %06d Ltd", i) }
func scaleUserID(i int) string  { return fmt.Sprintf("usr_%07d", i) }
func scaleEmail(i int) string   { return fmt.Sprintf("u%07dx@mail.example", i) }
func scaleDisplay(i int) string { return fmt.Sprintf("Person %07d Q", i) }

// parallel runs fn(i) for i in [0, n) on a few goroutines, as a networked
// Store spends most of a write waiting.
func parallel(n int, fn func(i int) error) error {
	const workers = 8
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func loadScale(ctx context.Context, s store.Store, orgs, users int) (*scaleFixture, error) {
	fx := &scaleFixture{s: s, orgs: orgs, users: users, dir: "dir_scale"}
	err := parallel(orgs, func(i int) error {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		return s.CreateOrganization(ctx, &store.Organization{ID: scaleOrgID(i), Name: scaleOrgName(i), CreatedAt: at, UpdatedAt: at})
	})
	if err != nil {
		return nil, fmt.Errorf("loading organizations: %w", err)
	}
	if err := s.CreateDirectory(ctx, &store.Directory{ID: fx.dir, OrgID: scaleOrgID(0), State: store.DirectoryActive, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		return nil, err
	}
	err = parallel(users, func(i int) error {
		at := t0.Add(time.Duration(i) * time.Microsecond)
		return s.CreateDirectoryUser(ctx, &store.DirectoryUser{
			ID: scaleUserID(i), DirectoryID: fx.dir, UserName: fmt.Sprintf("user%07d@example.com", i), Active: true,
			DisplayName: scaleDisplay(i), Emails: []store.Email{{Value: scaleEmail(i), Type: "work", Primary: true}},
			CreatedAt: at, UpdatedAt: at,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("loading users: %w", err)
	}
	return fx, nil
}

// scaleRequest is one request of the scale table: fn makes it for the
// i-th iteration and checks the answer.
type scaleRequest struct {
	name string
	fn   func(ctx context.Context, fx *scaleFixture, i int) error
}

func wantOne[T any](what string, got []T, total int, err error) error {
	if err == nil && (len(got) != 1 || total != 1) {
		err = fmt.Errorf("%s: %d rows, total %d; want 1", what, len(got), total)
	}
	return err
}

func wantPage[T any](what string, got []T, n int, err error) error {
	if err == nil && len(got) != n {
		err = fmt.Errorf("%s: %d rows, want %d", what, len(got), n)
	}
	return err
}

var scaleRequests = []scaleRequest{
	{"OrgSearch", func(ctx context.Context, fx *scaleFixture, i int) error {
		k := pick(i, fx.orgs)
		got, _, err := fx.s.ListOrganizations(ctx, store.OrganizationQuery{Search: fmt.Sprintf("ny %06d", k), Limit: 50})
		return wantOne("search", got, len(got), err)
	}},
	{"OrgListDeepPage", func(ctx context.Context, fx *scaleFixture, i int) error {
		// The page after the organization at 90%, as page 500 of 20.
		k := fx.orgs * 9 / 10
		got, _, err := fx.s.ListOrganizations(ctx, store.OrganizationQuery{After: scaleOrgID(k), Limit: 20})
		return wantPage("deep page", got, min(20, fx.orgs-k-1), err)
	}},
	{"OrgListFirstPageWithStatus", func(ctx context.Context, fx *scaleFixture, i int) error {
		// What Admin's list reads: the page, then the statuses of all of it.
		got, _, err := fx.s.ListOrganizations(ctx, store.OrganizationQuery{Limit: 50})
		if err != nil {
			return err
		}
		ids := make([]string, len(got))
		for j, o := range got {
			ids[j] = o.ID
		}
		setups, err := fx.s.OrganizationSetups(ctx, ids)
		if err == nil && len(setups) != 50 {
			err = fmt.Errorf("%d setups, want 50", len(setups))
		}
		return err
	}},
	{"SCIMUsersFirstPage", func(ctx context.Context, fx *scaleFixture, i int) error {
		got, total, err := fx.s.ListDirectoryUsers(ctx, fx.dir, store.UserQuery{Limit: 100})
		if err == nil && total != fx.users {
			err = fmt.Errorf("total %d, want %d", total, fx.users)
		}
		return wantPage("first page", got, 100, err)
	}},
	{"SCIMUsersJumpTo90", func(ctx context.Context, fx *scaleFixture, i int) error {
		// A cold jump: no earlier page ended there.
		got, _, err := fx.s.ListDirectoryUsers(ctx, fx.dir, store.UserQuery{Offset: fx.users*9/10 - i%7, Limit: 100})
		return wantPage("page at 90%", got, 100, err)
	}},
	{"SCIMUsersWalkFrom90", func(ctx context.Context, fx *scaleFixture, i int) error {
		// startIndex 1, 101, 201, ... from 90% on, as an import walks.
		start := fx.users * 9 / 10
		pages := (fx.users - start) / 100
		got, _, err := fx.s.ListDirectoryUsers(ctx, fx.dir, store.UserQuery{Offset: start + i%pages*100, Limit: 100})
		return wantPage("walk", got, 100, err)
	}},
	{"SCIMDisplayNameSw", func(ctx context.Context, fx *scaleFixture, i int) error {
		k := pick(i, fx.users)
		got, total, err := fx.s.ListDirectoryUsers(ctx, fx.dir, store.UserQuery{Filter: store.Compare{Attr: store.AttrDisplayName, Op: store.OpSw, Value: fmt.Sprintf("Person %07d", k)}, Limit: 100})
		return wantOne("displayName sw", got, total, err)
	}},
	{"SCIMEmailCo", func(ctx context.Context, fx *scaleFixture, i int) error {
		k := pick(i, fx.users)
		got, total, err := fx.s.ListDirectoryUsers(ctx, fx.dir, store.UserQuery{Filter: store.Compare{Attr: store.AttrEmail, Op: store.OpCo, Value: fmt.Sprintf("%07dx@", k)}, Limit: 100})
		return wantOne("emails co", got, total, err)
	}},
	{"SCIMUserNameCo", func(ctx context.Context, fx *scaleFixture, i int) error {
		k := pick(i, fx.users)
		got, total, err := fx.s.ListDirectoryUsers(ctx, fx.dir, store.UserQuery{Filter: store.Compare{Attr: store.AttrUserName, Op: store.OpCo, Value: fmt.Sprintf("r%07d@", k)}, Limit: 100})
		return wantOne("userName co", got, total, err)
	}},
}

// BenchScale measures the requests that must stay O(page) as a deployment
// grows (organization search and lists, SCIM lists, startIndex paging and
// substring filters) on a small Store (100 organizations, 1,000 users)
// and a large one (-scale.orgs, -scale.users), both loaded through the
// Store. settle, if set, runs after loading (PostgreSQL: VACUUM ANALYZE,
// as autovacuum would in a while). Compare each request's ns/op at the two
// sizes: they should be within 3x.
func BenchScale(b *testing.B, newStore func(b *testing.B) store.Store, settle func(b *testing.B, s store.Store)) {
	for _, size := range []struct{ orgs, users int }{{smallOrgs, smallUsers}, {*scaleOrgs, *scaleUsers}} {
		name := fmt.Sprintf("orgs=%d/users=%d", size.orgs, size.users)
		var fx *scaleFixture
		b.Run(name, func(b *testing.B) {
			if fx == nil {
				s := newStore(b)
				start := time.Now()
				var err error
				if fx, err = loadScale(b.Context(), s, size.orgs, size.users); err != nil {
					b.Fatal(err)
				}
				if settle != nil {
					settle(b, s)
				}
				b.Logf("loaded %d organizations and %d users in %v", size.orgs, size.users, time.Since(start).Round(time.Second))
			}
			for _, r := range scaleRequests {
				b.Run(r.name, func(b *testing.B) {
					i := 0
					for b.Loop() {
						if err := r.fn(b.Context(), fx, i); err != nil {
							b.Fatal(err)
						}
						i++
					}
				})
			}
		})
	}
}
