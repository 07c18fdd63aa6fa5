package storetest

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

var fieldBenchUsers = flag.Int("storetest.fieldusers", 10_000,
	"directory size of BenchFields; 100000 for the figure in the README")

// benchDoc is the raw SCIM document of bench user i, shaped like what Okta
// provisions (about 600 bytes).
func benchDoc(i int) []byte {
	return fmt.Appendf(nil, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],`+
		`"userName":"%[1]s","externalId":"%[2]s","active":true,"displayName":"User %[3]d","title":"Engineer %07[3]d",`+
		`"name":{"givenName":"User","familyName":"%[3]d","formatted":"User %[3]d"},`+
		`"emails":[{"value":"%[1]s","type":"work","primary":true}],`+
		`"phoneNumbers":[{"value":"+1 555 %07[3]d","type":"work"}],`+
		`"addresses":[{"locality":"Paris","country":"FR","type":"work"}],`+
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"%[3]d","department":"R\u0026D","manager":{"value":"usr_bench_0000000"}}}`,
		benchUserName(i), benchExtID(i), i)
}

// BenchFields measures filters on attributes kept only in the raw document
// (store.Field), which a Store evaluates in one pass over the directory,
// beside the indexed userName lookup in the same directory, as
// sub-benchmarks named like TitleEq/users=10000:
//
//   - UserNameEq: userName eq, indexed (the reference);
//   - TitleEq: title eq, one match;
//   - TitleEqAndUserName: userName eq and title eq, the index narrowing
//     the pass to one row;
//   - PhoneValueFilter: phoneNumbers[type eq "work" and value ew ...].
//
// The directory has -storetest.fieldusers users (default 10,000).
func BenchFields(b *testing.B, newStore func(b *testing.B) store.Store) {
	n := *fieldBenchUsers
	var once sync.Once
	var fx *benchFixture
	setup := func(sub *testing.B) *benchFixture {
		once.Do(func() {
			s := newStore(b)
			var err error
			if fx, err = seedFieldBench(sub.Context(), s, n); err != nil {
				sub.Fatalf("seeding %d users: %v", n, err)
			}
			runtime.GC()
		})
		if fx == nil {
			sub.Fatal("seeding failed")
		}
		return fx
	}
	title := func(k int) store.Field {
		return store.Field{Path: []string{"title"}, Type: store.FieldString, Op: store.OpEq, Value: fmt.Sprintf("engineer %07d", k)}
	}
	userName := func(k int) store.Compare {
		return store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: benchUserName(k)}
	}
	for _, c := range []struct {
		name   string
		filter func(k int) store.Filter
	}{
		{"UserNameEq", func(k int) store.Filter { return userName(k) }},
		{"TitleEq", func(k int) store.Filter { return title(k) }},
		{"TitleEqAndUserName", func(k int) store.Filter { return store.And{Left: userName(k), Right: title(k)} }},
		{"PhoneValueFilter", func(k int) store.Filter {
			return store.Some{Path: []string{"phoneNumbers"}, F: store.And{
				Left:  store.Field{Path: []string{"type"}, Type: store.FieldString, Op: store.OpEq, Value: "work"},
				Right: store.Field{Path: []string{"value"}, Type: store.FieldString, Op: store.OpEw, Value: fmt.Sprintf(" %07d", k)},
			}}
		}},
	} {
		b.Run(fmt.Sprintf("%s/users=%d", c.name, n), func(b *testing.B) {
			fx := setup(b)
			ctx := b.Context()
			i := 0
			for b.Loop() {
				k := pick(i, fx.users)
				us, total, err := fx.s.ListDirectoryUsers(ctx, fx.dir, store.UserQuery{Filter: c.filter(k), Limit: 10})
				if err == nil && (total != 1 || len(us) != 1 || us[0].ID != benchUserID(k)) {
					err = fmt.Errorf("user %d: %d users (total %d)", k, len(us), total)
				}
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// seedFieldBench creates one directory of n users with raw documents.
func seedFieldBench(ctx context.Context, s store.Store, n int) (*benchFixture, error) {
	fx := &benchFixture{s: s, users: n, orgs: 1, dir: "dir_fields"}
	if err := s.CreateOrganization(ctx, &store.Organization{ID: "org_fields", Name: "Fields", CreatedAt: t0}); err != nil {
		return nil, err
	}
	if err := s.CreateDirectory(ctx, &store.Directory{ID: fx.dir, OrgID: "org_fields", State: store.DirectoryActive, CreatedAt: t0}); err != nil {
		return nil, err
	}
	const seeders = 4
	var wg sync.WaitGroup
	errs := make([]error, seeders)
	for w := range seeders {
		wg.Go(func() {
			for i := w; i < n; i += seeders {
				u := &store.DirectoryUser{
					ID: benchUserID(i), DirectoryID: fx.dir, UserName: benchUserName(i), ExternalID: benchExtID(i), Active: true,
					DisplayName: fmt.Sprintf("User %d", i), GivenName: "User", FamilyName: fmt.Sprint(i),
					Emails:     []store.Email{{Value: benchUserName(i), Type: "work", Primary: true}},
					Attributes: benchDoc(i),
					CreatedAt:  t0.Add(time.Duration(i) * time.Millisecond), UpdatedAt: t0,
				}
				if err := s.CreateDirectoryUser(ctx, u); err != nil {
					errs[w] = fmt.Errorf("seeding user %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return fx, nil
}
