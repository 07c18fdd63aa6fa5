package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// T0 is the fixed instant the suite's clocks start from. Every time the
// suite passes to a Store is derived from it: no test depends on the wall
// clock.
var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// elsewhere is a non-UTC zone: times handed to the Store in it must come back
// in UTC.
var elsewhere = time.FixedZone("UTC+5", 5*3600)

func at(d time.Duration) time.Time { return t0.Add(d) }

// subtest is one conformance check, run against a fresh Store.
type subtest struct {
	name string
	fn   func(f *fixture)
}

type group struct {
	name  string
	tests []subtest
}

// Run runs the conformance suite against the Store made by newStore, which is
// called once per subtest and must return an empty Store. newStore should
// register the Store's Close (and the removal of anything it created) with
// t.Cleanup. Run includes RunConcurrency.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	groups := []group{
		{"Organizations", organizationTests},
		{"Scale", scaleTests},
		{"Domains", domainTests},
		{"Connections", connectionTests},
		{"PortalLinks", portalLinkTests},
		{"PortalSessions", portalSessionTests},
		{"Sessions", sessionTests},
		{"SessionRevocation", sessionRevocationTests},
		{"Directories", directoryTests},
		{"DirectoryTokens", directoryTokenTests},
		{"DirectoryUsers", directoryUserTests},
		{"UserFilters", userFilterTests},
		{"FieldFilters", fieldFilterTests},
		{"MatchKeys", matchKeyTests},
		{"Text", textTests},
		{"DirectoryGroups", directoryGroupTests},
		{"Memberships", membershipTests},
		{"LargeRequests", largeTests},
		{"Events", eventTests},
		{"LoginRequests", loginRequestTests},
		{"AssertionIDs", assertionIDTests},
		{"Branding", brandingTests},
		{"APIKeys", apiKeyTests},
		{"Leases", leaseTests},
		{"Attempts", attemptTests},
		{"GoogleDirectories", googleDirectoryTests},
		{"DeleteExpired", deleteExpiredTests},
		{"Retention", retentionTests},
		{"Context", contextTests},
		{"LoginEvents", loginEventTests},
		{"CompleteLogin", completeLoginTests},
		{"ConnectionVersion", connectionVersionTests},
		{"DomainFailures", domainFailureTests},
		{"PortalRevocation", portalRevocationTests},
		{"TokenAuthentication", authenticateTokenTests},
		{"BrandingUpdates", brandingUpdateTests},
		{"Roles", roleTests},
		{"ProvisioningPolicy", policyTests},
		{"CustomAttributes", attributeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) {
					st.fn(newFixture(t, newStore(t)))
				})
			}
		})
	}
	t.Run("Concurrency", func(t *testing.T) { RunConcurrency(t, newStore) })
}

// fixture is one subtest's Store with helpers that fail the test on
// unexpected errors.
type fixture struct {
	*testing.T
	s   store.Store
	ctx context.Context
	n   atomic.Int64 // source of unique ids and increasing times; safe for concurrent use
}

func newFixture(t *testing.T, s store.Store) *fixture {
	if s == nil {
		t.Fatal("newStore returned nil")
	}
	return &fixture{T: t, s: s, ctx: t.Context()}
}

// id returns a new unique id with prefix.
func (f *fixture) id(prefix string) string {
	return fmt.Sprintf("%s_%04d", prefix, f.n.Add(1))
}

// ev returns a valid event of type typ about subject in org.
func (f *fixture) ev(typ, org, subject string) store.Event {
	return store.Event{
		ID:        f.id("evt"),
		Type:      typ,
		OrgID:     org,
		Subject:   subject,
		Actor:     "system",
		Data:      json.RawMessage(`{"n":1}`),
		CreatedAt: t0,
	}
}

// ok fails the test when err is not nil.
func (f *fixture) ok(err error, what string, args ...any) {
	f.Helper()
	if err != nil {
		f.Fatalf("%s: unexpected error: %v", fmt.Sprintf(what, args...), err)
	}
}

// is fails the test when err does not wrap target.
func (f *fixture) is(err, target error, what string, args ...any) {
	f.Helper()
	if !errors.Is(err, target) {
		f.Fatalf("%s: got error %v, want %v", fmt.Sprintf(what, args...), err, target)
	}
}

// lastCursor returns the highest event cursor.
func (f *fixture) lastCursor() int64 {
	f.Helper()
	c, err := f.s.LastEventCursor(f.ctx)
	f.ok(err, "LastEventCursor")
	return c
}

// eventsAfter returns every event with a cursor above after.
func (f *fixture) eventsAfter(after int64) []store.Event {
	f.Helper()
	var all []store.Event
	for {
		page, err := f.s.ListEvents(f.ctx, store.EventQuery{After: after, Limit: 1000})
		f.ok(err, "ListEvents")
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Cursor
	}
}

// noEventsSince fails the test when events were appended after cursor.
func (f *fixture) noEventsSince(cursor int64, what string) {
	f.Helper()
	if evs := f.eventsAfter(cursor); len(evs) != 0 {
		f.Fatalf("%s: %d event(s) appended, want none (first %q)", what, len(evs), evs[0].Type)
	}
}

// eventTypesSince returns the types of the events appended after cursor.
func (f *fixture) eventTypesSince(cursor int64) []string {
	f.Helper()
	var types []string
	for _, e := range f.eventsAfter(cursor) {
		types = append(types, e.Type)
	}
	return types
}

// wantEventTypes fails the test unless exactly these events were appended
// after cursor.
func (f *fixture) wantEventTypes(cursor int64, what string, types ...string) {
	f.Helper()
	got := f.eventTypesSince(cursor)
	if len(got) == 0 && len(types) == 0 {
		return
	}
	if !reflect.DeepEqual(got, types) {
		f.Fatalf("%s: events %q, want %q", what, got, types)
	}
}

// equal fails the test when got and want differ after normalisation: times
// in UTC, empty slices and maps as nil, JSON compared by value.
func (f *fixture) equal(what string, got, want any) {
	f.Helper()
	g, w := normalized(got), normalized(want)
	if !reflect.DeepEqual(g, w) {
		f.Fatalf("%s:\n got  %+v\n want %+v", what, g, w)
	}
}

// utcOnly fails the test when a non-zero time inside v is not in UTC.
func (f *fixture) utcOnly(what string, v any) {
	f.Helper()
	if path := nonUTC(reflect.ValueOf(v), ""); path != "" {
		f.Fatalf("%s: time %s is not in UTC", what, path)
	}
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func nonUTC(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ""
		}
		return nonUTC(v.Elem(), path)
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			if !t.IsZero() && t.Location() != time.UTC {
				return path + " (" + t.Location().String() + ")"
			}
			return ""
		}
		for i := range v.NumField() {
			if p := nonUTC(v.Field(i), path+"."+v.Type().Field(i).Name); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p := nonUTC(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// normalized returns a deep copy of v with times in UTC, empty slices and
// maps nil and JSON documents re-encoded canonically.
func normalized(v any) any {
	if v == nil {
		return nil
	}
	return norm(reflect.ValueOf(v)).Interface()
}

func norm(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return out
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(norm(v.Elem()))
		return p
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			if t.IsZero() {
				return out
			}
			return reflect.ValueOf(t.UTC().Round(0))
		}
		out.Set(v)
		for i := range v.NumField() {
			if out.Field(i).CanSet() {
				out.Field(i).Set(norm(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return out
		}
		if v.Type() == rawType {
			var x any
			if err := json.Unmarshal(v.Bytes(), &x); err != nil {
				out.Set(v)
				return out
			}
			b, _ := json.Marshal(x)
			return reflect.ValueOf(json.RawMessage(b))
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(norm(v.Index(i)))
		}
		return s
	case reflect.Map:
		if v.Len() == 0 {
			return out
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			m.SetMapIndex(it.Key(), norm(it.Value()))
		}
		return m
	}
	out.Set(v)
	return out
}

// digest returns a distinct 32-byte digest for seed.
func digest(seed string) []byte {
	d := sha256.Sum256([]byte(seed))
	return d[:]
}
