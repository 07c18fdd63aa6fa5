package storetest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

var attributeTests = []subtest{
	{"Mappings", func(f *fixture) {
		org := f.mkOrg()
		ms := []store.AttributeMapping{
			{OrgID: org.ID, Field: "employee_number", SCIMPath: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"},
			{OrgID: org.ID, Field: "department", SAMLAttribute: "Department", OIDCClaim: "department", SCIMPath: "title"},
		}
		c := f.lastCursor()
		f.ok(f.s.SetAttributeMappings(f.ctx, org.ID, ms, f.ev("attributes.mappings_updated", org.ID, org.ID)), "SetAttributeMappings")
		if evs := f.eventsAfter(c); len(evs) != 1 || evs[0].Type != "attributes.mappings_updated" {
			f.Fatalf("events = %+v, want the one passed", evs)
		}
		got, err := f.s.ListAttributeMappings(f.ctx, org.ID)
		f.ok(err, "ListAttributeMappings")
		if want := []store.AttributeMapping{ms[1], ms[0]}; !slices.Equal(got, want) {
			f.Fatalf("ListAttributeMappings = %+v, want %+v (by field)", got, want)
		}
		other := f.mkOrg()
		if got, err := f.s.ListAttributeMappings(f.ctx, other.ID); err != nil || len(got) != 0 {
			f.Fatalf("another organization's mappings = %+v, %v", got, err)
		}
		f.is(f.s.SetAttributeMappings(f.ctx, "org_absent", nil), store.ErrNotFound, "an unknown organization")
		f.is(f.s.SetAttributeMappings(f.ctx, org.ID, []store.AttributeMapping{{OrgID: other.ID, Field: "x"}}), store.ErrInvalid, "a mapping of another organization")
		f.is(f.s.SetAttributeMappings(f.ctx, org.ID, []store.AttributeMapping{{OrgID: org.ID}}), store.ErrInvalid, "a mapping without field")
		f.is(f.s.SetAttributeMappings(f.ctx, org.ID, []store.AttributeMapping{{OrgID: org.ID, Field: "a"}, {OrgID: org.ID, Field: "a", OIDCClaim: "b"}}), store.ErrInvalid, "a field mapped twice")
		f.is(f.s.SetAttributeMappings(f.ctx, org.ID, []store.AttributeMapping{{OrgID: org.ID, Field: "a", SAMLAttribute: "x\x00"}}), store.ErrInvalid, "a NUL in a name")
		got, _ = f.s.ListAttributeMappings(f.ctx, org.ID)
		if len(got) != 2 {
			f.Fatalf("a refused write changed the mappings: %+v", got)
		}
		f.ok(f.s.SetAttributeMappings(f.ctx, org.ID, nil), "clearing")
		if got, _ := f.s.ListAttributeMappings(f.ctx, org.ID); len(got) != 0 {
			f.Fatalf("mappings after clearing: %+v", got)
		}
		f.ok(f.s.SetAttributeMappings(f.ctx, org.ID, ms), "SetAttributeMappings")
		f.ok(f.s.DeleteOrganization(f.ctx, org.ID), "DeleteOrganization")
		if got, _ := f.s.ListAttributeMappings(f.ctx, org.ID); len(got) != 0 {
			f.Fatalf("mappings outlive their organization: %+v", got)
		}
	}},
	{"UserValues", func(f *fixture) {
		org := f.mkOrg()
		dir := f.mkDir(org.ID)
		vals := store.CustomValues{
			"department": "Research",
			"employee":   int64(math.MaxInt64),
			"negative":   int64(math.MinInt64),
			"remote":     true,
			"office":     false,
			"projects":   []string{"apollo", "gemini"},
			"note":       "two\nlines",
		}
		u := f.mkUser(dir.ID, "ada@example.com", func(u *store.DirectoryUser) { u.Custom = vals.Clone() })
		if got := f.getUser(dir.ID, u.ID).Custom; !got.Equal(vals) {
			f.Fatalf("Custom = %#v, want %#v", got, vals)
		}
		if _, ok := f.getUser(dir.ID, u.ID).Custom["employee"].(int64); !ok {
			f.Fatalf("an integer does not come back as an int64")
		}
		list, _, err := f.s.ListDirectoryUsers(f.ctx, dir.ID, store.UserQuery{Limit: 10})
		f.ok(err, "ListDirectoryUsers")
		if len(list) != 1 || !list[0].Custom.Equal(vals) {
			f.Fatalf("listed Custom = %#v", list)
		}
		found, err := f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, "ada@example.com")
		f.ok(err, "FindDirectoryUsersByEmail")
		if len(found) != 1 || !found[0].Custom.Equal(vals) {
			f.Fatalf("found Custom = %#v", found)
		}

		// The update function sees the stored values and may change them.
		updated, err := f.s.UpdateDirectoryUser(f.ctx, dir.ID, u.ID, func(cur *store.DirectoryUser) ([]store.Event, error) {
			if !cur.Custom.Equal(vals) {
				f.Errorf("fn sees Custom = %#v", cur.Custom)
			}
			cur.Custom["department"] = "Sales"
			delete(cur.Custom, "projects")
			return nil, nil
		})
		f.ok(err, "UpdateDirectoryUser")
		want := vals.Clone()
		want["department"] = "Sales"
		delete(want, "projects")
		if !updated.Custom.Equal(want) || !f.getUser(dir.ID, u.ID).Custom.Equal(want) {
			f.Fatalf("after the update Custom = %#v, stored %#v, want %#v", updated.Custom, f.getUser(dir.ID, u.ID).Custom, want)
		}
		_, err = f.s.UpdateDirectoryUser(f.ctx, dir.ID, u.ID, func(cur *store.DirectoryUser) ([]store.Event, error) {
			cur.Custom = nil
			return nil, nil
		})
		f.ok(err, "clearing the values")
		if got := f.getUser(dir.ID, u.ID).Custom; len(got) != 0 {
			f.Fatalf("cleared Custom = %#v", got)
		}

		// Values of other types, or text the Stores refuse, write nothing.
		for name, bad := range map[string]store.CustomValues{
			"a float":          {"x": 1.5},
			"an int":           {"x": 3},
			"a map":            {"x": map[string]any{}},
			"a list of ints":   {"x": []int64{1}},
			"an empty key":     {"": "x"},
			"a NUL in a value": {"x": "a\x00b"},
			"a NUL in a list":  {"x": []string{"a\x00b"}},
		} {
			_, err := f.s.UpdateDirectoryUser(f.ctx, dir.ID, u.ID, func(cur *store.DirectoryUser) ([]store.Event, error) {
				cur.Custom = bad
				return nil, nil
			})
			f.is(err, store.ErrInvalid, "updating with %s", name)
			bu := &store.DirectoryUser{ID: f.id("usr"), DirectoryID: dir.ID, UserName: f.id("bad") + "@example.com", Custom: bad, CreatedAt: t0, UpdatedAt: t0}
			f.is(f.s.CreateDirectoryUser(f.ctx, bu), store.ErrInvalid, "creating with %s", name)
		}
		if got := f.getUser(dir.ID, u.ID); len(got.Custom) != 0 || got.Version != 3 {
			f.Fatalf("refused writes changed the user: %#v version %d", got.Custom, got.Version)
		}

		// A value returned is a copy.
		f.ok(f.s.SetAttributeMappings(f.ctx, org.ID, nil), "SetAttributeMappings")
		_, err = f.s.UpdateDirectoryUser(f.ctx, dir.ID, u.ID, func(cur *store.DirectoryUser) ([]store.Event, error) {
			cur.Custom = store.CustomValues{"projects": []string{"a"}}
			return nil, nil
		})
		f.ok(err, "UpdateDirectoryUser")
		got := f.getUser(dir.ID, u.ID)
		got.Custom["projects"].([]string)[0] = "changed"
		if again := f.getUser(dir.ID, u.ID).Custom["projects"].([]string)[0]; again != "a" {
			f.Fatalf("mutating a returned value changed the Store: %q", again)
		}
	}},
	{"LoginFacts", func(f *fixture) {
		org := f.mkOrg()
		conn := f.mkConn(org.ID, store.ProtocolOIDC)
		ms := []store.AttributeMapping{{OrgID: org.ID, Field: "department", OIDCClaim: "dept"}}
		f.ok(f.s.SetAttributeMappings(f.ctx, org.ID, ms), "SetAttributeMappings")
		var got *store.LoginFacts
		_, err := f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, Now: t0, OrgID: org.ID, OrgFacts: true}, func(lf *store.LoginFacts) ([]store.Event, error) {
			got = lf
			return nil, nil
		})
		f.ok(err, "CompleteLogin")
		if !slices.Equal(got.AttributeMappings, ms) {
			f.Fatalf("AttributeMappings = %+v, want %+v", got.AttributeMappings, ms)
		}
		_, err = f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, Now: t0, OrgID: org.ID}, func(lf *store.LoginFacts) ([]store.Event, error) {
			got = lf
			return nil, nil
		})
		f.ok(err, "CompleteLogin")
		if got.AttributeMappings != nil {
			f.Fatalf("facts not asked for: %+v", got.AttributeMappings)
		}
	}},
	{"UpdateCustomValues", func(f *fixture) {
		// A mapping change reads the users' values again, a bounded batch
		// per write, in creation order, with the events fn gives for the
		// users it changes.
		org := f.mkOrg()
		dir := f.mkDir(org.ID)
		other := f.mkDir(org.ID)
		var users []*store.DirectoryUser
		for i := range 5 {
			users = append(users, f.mkUser(dir.ID, fmt.Sprintf("c%d@example.com", i), func(u *store.DirectoryUser) {
				u.Custom = store.CustomValues{"department": "old"}
			}))
		}
		outsider := f.mkUser(other.ID, "o@example.com", nil)
		_, _, err := f.s.UpdateCustomValues(f.ctx, "dir_absent", store.UserKey{}, 2, nil)
		f.is(err, store.ErrNotFound, "an unknown directory")
		_, _, err = f.s.UpdateCustomValues(f.ctx, dir.ID, store.UserKey{}, 0, nil)
		f.is(err, store.ErrInvalid, "a limit of 0")
		// An error of fn writes nothing.
		boom := errors.New("boom")
		_, _, err = f.s.UpdateCustomValues(f.ctx, dir.ID, store.UserKey{}, 5, func(u *store.DirectoryUser) ([]store.Event, error) {
			if u.ID == users[1].ID {
				return nil, boom
			}
			u.Custom = store.CustomValues{"department": "lost"}
			return nil, nil
		})
		f.is(err, boom, "an error of fn")
		if got := f.getUser(dir.ID, users[0].ID); got.Custom["department"] != "old" || got.Version != users[0].Version {
			f.Fatalf("an aborted batch wrote %+v", got)
		}
		c := f.lastCursor()
		var key store.UserKey
		var seen []string
		for batch := 0; ; batch++ {
			if batch > 5 {
				f.Fatalf("UpdateCustomValues never ends")
			}
			last, n, err := f.s.UpdateCustomValues(f.ctx, dir.ID, key, 2, func(u *store.DirectoryUser) ([]store.Event, error) {
				seen = append(seen, u.ID)
				if u.ID == users[3].ID {
					return nil, nil // unchanged
				}
				u.Custom = store.CustomValues{"department": "new", "level": int64(len(seen))}
				u.UpdatedAt = at(time.Hour)
				return []store.Event{f.ev("directory.user.updated", org.ID, u.ID)}, nil
			})
			f.ok(err, "UpdateCustomValues")
			if n == 0 {
				break
			}
			if n > 2 || last == key {
				f.Fatalf("batch %d visited %d users, ending at %+v", batch, n, last)
			}
			key = last
		}
		want := []string{users[0].ID, users[1].ID, users[2].ID, users[3].ID, users[4].ID}
		if !slices.Equal(seen, want) {
			f.Fatalf("visited %q, want %q (creation order, each once)", seen, want)
		}
		for i, u := range users {
			got := f.getUser(dir.ID, u.ID)
			if i == 3 {
				if got.Custom["department"] != "old" || got.Version != u.Version {
					f.Fatalf("a user fn left alone was written: %+v", got)
				}
				continue
			}
			if got.Custom["department"] != "new" || got.Custom["level"] != int64(i+1) || got.Version != u.Version+1 || !got.UpdatedAt.Equal(at(time.Hour)) {
				f.Fatalf("user %d after the update: %+v", i, got)
			}
		}
		var subjects []string
		for _, e := range f.eventsAfter(c) {
			subjects = append(subjects, e.Subject)
		}
		if wantEv := []string{users[0].ID, users[1].ID, users[2].ID, users[4].ID}; !slices.Equal(subjects, wantEv) {
			f.Fatalf("events about %q, want %q", subjects, wantEv)
		}
		if got := f.getUser(other.ID, outsider.ID); got.Version != outsider.Version {
			f.Fatalf("a user of another directory was written: %+v", got)
		}
	}},
}
