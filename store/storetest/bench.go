package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// benchSizes are the directory sizes the lookups are measured at: a lookup
// in the large directory should cost what it costs in the small one.
var benchSizes = []int{100, 100_000}

// benchFixture is a Store seeded with users users in one directory, and
// users/100 (at least one) organizations, each with a verified domain, an
// SSO connection and a directory token.
type benchFixture struct {
	s     store.Store
	dir   string
	users int
	orgs  int
}

func benchUserID(i int) string   { return fmt.Sprintf("usr_bench_%07d", i) }
func benchUserName(i int) string { return fmt.Sprintf("user%07d@example.com", i) }
func benchExtID(i int) string    { return fmt.Sprintf("00u%07d", i) }
func benchOrgID(i int) string    { return fmt.Sprintf("org_bench_%05d", i) }
func benchDomain(i int) string   { return fmt.Sprintf("org%05d.example", i) }
func benchConnID(i int) string   { return fmt.Sprintf("conn_bench_%05d", i) }
func benchTokenID(i int) string  { return fmt.Sprintf("tok_bench_%05d", i) }

// seedBench fills s. Users are created by a few goroutines at once, since a
// networked Store spends most of an insert waiting.
func seedBench(ctx context.Context, s store.Store, users int) (*benchFixture, error) {
	fx := &benchFixture{s: s, users: users, orgs: max(1, users/100)}
	for i := range fx.orgs {
		org := benchOrgID(i)
		if err := s.CreateOrganization(ctx, &store.Organization{ID: org, Name: org, CreatedAt: t0}); err != nil {
			return nil, err
		}
		if err := s.CreateDomain(ctx, &store.Domain{ID: "dom_" + org, OrgID: org, Name: benchDomain(i), State: store.DomainVerified, Method: store.DomainDNSTXT, CreatedAt: t0}); err != nil {
			return nil, err
		}
		if err := s.CreateConnection(ctx, &store.Connection{ID: benchConnID(i), OrgID: org, Protocol: store.ProtocolSAML, State: store.ConnectionActive, SAML: samlConfig(), CreatedAt: t0}); err != nil {
			return nil, err
		}
		dir := "dir_" + org
		if err := s.CreateDirectory(ctx, &store.Directory{ID: dir, OrgID: org, State: store.DirectoryActive, CreatedAt: t0}); err != nil {
			return nil, err
		}
		if err := s.CreateDirectoryToken(ctx, &store.DirectoryToken{ID: benchTokenID(i), DirectoryID: dir, Digest: digest(benchTokenID(i)), CreatedAt: t0}); err != nil {
			return nil, err
		}
	}
	fx.dir = "dir_" + benchOrgID(0)
	const seeders = 4
	var wg sync.WaitGroup
	errs := make([]error, seeders)
	for w := range seeders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < users; i += seeders {
				u := &store.DirectoryUser{
					ID: benchUserID(i), DirectoryID: fx.dir, UserName: benchUserName(i), ExternalID: benchExtID(i), Active: true,
					DisplayName: fmt.Sprintf("User %d", i), GivenName: "User", FamilyName: fmt.Sprint(i),
					Emails:    []store.Email{{Value: benchUserName(i), Type: "work", Primary: true}},
					CreatedAt: t0.Add(time.Duration(i) * time.Millisecond),
				}
				if err := s.CreateDirectoryUser(ctx, u); err != nil {
					errs[w] = fmt.Errorf("seeding user %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return fx, nil
}

// pick spreads lookups over the whole set rather than a hot few.
func pick(i, n int) int { return int((uint64(i) * 2654435761) % uint64(n)) }

type benchLookup struct {
	name string
	fn   func(ctx context.Context, fx *benchFixture, i int) error
}

var benchLookups = []benchLookup{
	{"UserByUserName", func(ctx context.Context, fx *benchFixture, i int) error {
		k := pick(i, fx.users)
		us, total, err := fx.s.ListDirectoryUsers(ctx, fx.dir, store.UserQuery{Filter: store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: benchUserName(k)}, Limit: 2})
		if err == nil && (total != 1 || len(us) != 1 || us[0].ID != benchUserID(k)) {
			err = fmt.Errorf("userName %s: %d users (total %d)", benchUserName(k), len(us), total)
		}
		return err
	}},
	{"UserByExternalID", func(ctx context.Context, fx *benchFixture, i int) error {
		k := pick(i, fx.users)
		us, total, err := fx.s.ListDirectoryUsers(ctx, fx.dir, store.UserQuery{Filter: store.Compare{Attr: store.AttrExternalID, Op: store.OpEq, Value: benchExtID(k)}, Limit: 2})
		if err == nil && (total != 1 || len(us) != 1 || us[0].ID != benchUserID(k)) {
			err = fmt.Errorf("externalId %s: %d users (total %d)", benchExtID(k), len(us), total)
		}
		return err
	}},
	{"UserByID", func(ctx context.Context, fx *benchFixture, i int) error {
		k := pick(i, fx.users)
		u, err := fx.s.GetDirectoryUser(ctx, fx.dir, benchUserID(k))
		if err == nil && u.UserName != benchUserName(k) {
			err = fmt.Errorf("user %s has userName %s", u.ID, u.UserName)
		}
		return err
	}},
	{"TokenByDigest", func(ctx context.Context, fx *benchFixture, i int) error {
		k := pick(i, fx.orgs)
		t, err := fx.s.GetDirectoryTokenByDigest(ctx, digest(benchTokenID(k)))
		if err == nil && t.ID != benchTokenID(k) {
			err = fmt.Errorf("token %s found for %s", t.ID, benchTokenID(k))
		}
		return err
	}},
	{"VerifiedDomainByName", func(ctx context.Context, fx *benchFixture, i int) error {
		k := pick(i, fx.orgs)
		d, err := fx.s.GetVerifiedDomain(ctx, benchDomain(k))
		if err == nil && d.OrgID != benchOrgID(k) {
			err = fmt.Errorf("domain %s of %s", d.Name, d.OrgID)
		}
		return err
	}},
	{"ConnectionByID", func(ctx context.Context, fx *benchFixture, i int) error {
		k := pick(i, fx.orgs)
		c, err := fx.s.GetConnection(ctx, benchConnID(k))
		if err == nil && c.OrgID != benchOrgID(k) {
			err = fmt.Errorf("connection %s of %s", c.ID, c.OrgID)
		}
		return err
	}},
}

// Bench measures the per-request lookups of a Store (a user by userName, by
// externalId and by id, a SCIM token by digest, a verified domain by name, a
// connection by id) with a 100-user and a 100,000-user directory, as
// sub-benchmarks named like UserByUserName/users=100000. A Store whose
// lookups are indexed shows both sizes within noise of each other. It also
// measures CreateDirectoryUser with one event.
//
// Each size is seeded once, on first use, through the Store interface, into
// a Store made by newStore(b) that lives until Bench returns; filter with
// -bench to skip the large size.
func Bench(b *testing.B, newStore func(b *testing.B) store.Store) {
	fixtures := map[int]*benchFixture{}
	var mu sync.Mutex
	fixture := func(sub *testing.B, n int) *benchFixture {
		mu.Lock()
		defer mu.Unlock()
		if fx, ok := fixtures[n]; ok {
			return fx
		}
		// The Store belongs to the outer benchmark so that every lookup
		// shares one seeding per size.
		s := newStore(b)
		if s == nil {
			sub.Fatal("newStore returned nil")
		}
		fx, err := seedBench(sub.Context(), s, n)
		if err != nil {
			sub.Fatalf("seeding %d users: %v", n, err)
		}
		fixtures[n] = fx
		runtime.GC() // leave the seeding's garbage out of the measurements
		return fx
	}
	for _, l := range benchLookups {
		b.Run(l.name, func(b *testing.B) {
			for _, n := range benchSizes {
				b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
					fx := fixture(b, n)
					ctx := b.Context()
					i := 0
					for b.Loop() {
						if err := l.fn(ctx, fx, i); err != nil {
							b.Fatal(err)
						}
						i++
					}
				})
			}
		})
	}
	b.Run("CreateDirectoryUser", func(b *testing.B) {
		s := newStore(b)
		ctx := b.Context()
		if err := s.CreateOrganization(ctx, &store.Organization{ID: "org_create", Name: "Create", CreatedAt: t0}); err != nil {
			b.Fatal(err)
		}
		if err := s.CreateDirectory(ctx, &store.Directory{ID: "dir_create", OrgID: "org_create", State: store.DirectoryActive, CreatedAt: t0}); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			id := benchUserID(i)
			u := &store.DirectoryUser{
				ID: id, DirectoryID: "dir_create", UserName: benchUserName(i), ExternalID: benchExtID(i), Active: true,
				Emails:     []store.Email{{Value: benchUserName(i), Type: "work", Primary: true}},
				Attributes: []byte(`{"userName":"` + benchUserName(i) + `","active":true}`),
				CreatedAt:  t0, UpdatedAt: t0,
			}
			ev := store.Event{ID: "evt_" + id, Type: "directory.user.created", OrgID: "org_create", Subject: id, Actor: "scim:dir_create", CreatedAt: t0}
			if err := s.CreateDirectoryUser(ctx, u, ev); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
