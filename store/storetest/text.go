package storetest

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit/store"
)

// Look-alike identifiers: userNames and email addresses are one when their
// store.MatchKey is, whatever the normalization form and case they came in.
const (
	jorgNFC = "J\u00f6rg.M\u00fcller@example.com"   // precomposed ö, ü
	jorgNFD = "Jo\u0308rg.Mu\u0308ller@example.com" // o, u + U+0308
)

var lookalikes = [][]string{
	{jorgNFC, jorgNFD, "JO\u0308RG.MU\u0308LLER@EXAMPLE.COM", "j\u00f6rg.m\u00fcller@example.com"},
	{"\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3", "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2", "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c3"}, // ΟΔΥΣΣΕΥΣ, final ς, σ
	{"stra\u00dfe@example.com", "STRASSE@example.com", "strasse@example.com", "STRA\u1e9eE@example.com"},                                                         // ß, SS, ẞ
}

var matchKeyTests = []subtest{
	{"UniqueUserName", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		for _, set := range lookalikes {
			u := f.mkUser(d.ID, set[0], nil)
			for _, other := range set[1:] {
				err := f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: f.id("usr"), DirectoryID: d.ID, UserName: other, CreatedAt: t0})
				f.is(err, store.ErrAlreadyExists, "CreateDirectoryUser %q beside %q", other, set[0])
			}
			// Another user cannot take a look-alike by renaming; the user
			// itself can.
			v := f.mkUser(d.ID, "other-"+f.id("x"), nil)
			_, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, v.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
				u.UserName = set[len(set)-1]
				return nil, nil
			})
			f.is(err, store.ErrAlreadyExists, "UpdateDirectoryUser to %q beside %q", set[len(set)-1], set[0])
			got, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, u.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
				u.UserName = set[1]
				return nil, nil
			})
			f.ok(err, "UpdateDirectoryUser %q to its look-alike %q", set[0], set[1])
			if got.UserName != set[1] {
				f.Fatalf("userName kept as %q, want %q as given", got.UserName, set[1])
			}
		}
		// Another directory has its own userNames.
		other := f.mkDir(org.ID)
		f.mkUser(other.ID, jorgNFD, nil)
	}},
	{"FindByKey", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		var ids []string
		for _, set := range lookalikes {
			u := f.mkUser(d.ID, set[0], func(u *store.DirectoryUser) {
				u.Emails = []store.Email{{Value: "mail-" + set[0], Type: "work", Primary: true}}
			})
			ids = append(ids, u.ID)
			if got := f.getUser(d.ID, u.ID); got.UserName != set[0] || got.Emails[0].Value != "mail-"+set[0] {
				f.Fatalf("user stored as %q, %q; want the values as given", got.UserName, got.Emails[0].Value)
			}
		}
		for i, set := range lookalikes {
			for _, v := range set {
				for _, c := range []store.Compare{
					{Attr: store.AttrUserName, Op: store.OpEq, Value: v},
					{Attr: store.AttrEmail, Op: store.OpEq, Value: "mail-" + v},
					{Attr: store.AttrEmail, Op: store.OpEq, Value: "MAIL-" + v, EmailType: "Work"},
					{Attr: store.AttrUserName, Op: store.OpSw, Value: v[:len(v)-1] + v[len(v)-1:]},
					{Attr: store.AttrEmail, Op: store.OpEw, Value: v},
				} {
					got, total := f.listUsers(d.ID, store.UserQuery{Filter: c, Limit: 10})
					if total != 1 || len(got) != 1 || got[0] != ids[i] {
						f.Fatalf("filter %s %s %q: %v (total %d), want [%s]", c.Attr, c.Op, c.Value, got, total, ids[i])
					}
				}
				for _, e := range []string{v, "mail-" + v} {
					found, err := f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, e)
					f.ok(err, "FindDirectoryUsersByEmail")
					if len(found) != 1 || found[0].ID != ids[i] {
						f.Fatalf("FindDirectoryUsersByEmail(%q) = %v, want [%s]", e, userIDs(found), ids[i])
					}
				}
			}
		}
		// A NUL or bytes that are not UTF-8 match no one, on every Store.
		for _, bad := range []string{"a\x00b@example.com", "a\xffb@example.com"} {
			found, err := f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, bad)
			f.ok(err, "FindDirectoryUsersByEmail(%q)", bad)
			if len(found) != 0 {
				f.Fatalf("FindDirectoryUsersByEmail(%q) = %v", bad, userIDs(found))
			}
		}
	}},
	{"Login", func(f *fixture) {
		// The SSO kit's login finds the directory user whatever the form
		// of the email the IdP sends.
		org := f.mkOrg()
		conn := f.mkConn(org.ID, store.ProtocolSAML)
		d := f.mkDir(org.ID)
		byName := f.mkUser(d.ID, jorgNFC, nil)
		byEmail := f.mkUser(d.ID, "sigma", func(u *store.DirectoryUser) {
			u.Emails = []store.Email{{Value: "\u03c3\u03b1\u03c2@example.com"}} // σας
		})
		for email, want := range map[string]string{
			jorgNFD: byName.ID, "J\u00d6RG.M\u00dcLLER@EXAMPLE.COM": byName.ID,
			"\u03a3\u0391\u03a3@example.com": byEmail.ID, "\u03c3\u03b1\u03c3@example.com": byEmail.ID,
			"a\x00b@example.com": "", "a\xffb@example.com": "",
		} {
			var got []string
			_, err := f.s.CompleteLogin(f.ctx, store.LoginCompletion{ConnectionID: conn.ID, Now: t0, Email: email, OrgID: org.ID},
				func(lf *store.LoginFacts) ([]store.Event, error) {
					got = userIDs(lf.DirectoryUsers)
					return nil, nil
				})
			f.ok(err, "CompleteLogin with %q", email)
			if (want == "" && len(got) != 0) || (want != "" && (len(got) != 1 || got[0] != want)) {
				f.Fatalf("CompleteLogin with %q: directory users %v, want %q", email, got, want)
			}
		}
	}},
	{"EmailsChange", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u := f.mkUser(d.ID, "ann", func(u *store.DirectoryUser) { u.Emails = []store.Email{{Value: jorgNFC}} })
		// The same address in another form, then another address.
		for _, e := range []string{jorgNFD, "ann@example.com"} {
			_, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, u.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
				u.Emails = []store.Email{{Value: e}}
				return nil, nil
			})
			f.ok(err, "UpdateDirectoryUser emails %q", e)
			found, err := f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, e)
			f.ok(err, "FindDirectoryUsersByEmail")
			if len(found) != 1 {
				f.Fatalf("FindDirectoryUsersByEmail(%q) after update = %v", e, userIDs(found))
			}
		}
		found, err := f.s.FindDirectoryUsersByEmail(f.ctx, org.ID, jorgNFC)
		f.ok(err, "FindDirectoryUsersByEmail")
		if len(found) != 0 {
			f.Fatalf("FindDirectoryUsersByEmail of a replaced address = %v", userIDs(found))
		}
	}},
}

// badTexts are strings no Store holds, and what a *store.TextError says.
var badTexts = []struct{ s, reason string }{
	{"a\x00b", "NUL"},
	{"a\xffb", "UTF-8"},
	{"a\xc3", "UTF-8"},
	{"a\x1b[31mb", "U+001B"},
	{"a\tb", "U+0009"},
	{"a\u0085b", "U+0085"},
	{"a\x7fb", "U+007F"},
}

var textTests = []subtest{
	{"Refused", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		u := f.mkUser(d.ID, "ann", nil)
		g := f.mkGroup(d.ID, "Staff")
		for _, bad := range badTexts {
			c := f.lastCursor()
			check := func(err error, field string) {
				f.Helper()
				f.is(err, store.ErrInvalid, "%s %q", field, bad.s)
				var te *store.TextError
				if !errors.As(err, &te) || !strings.Contains(te.Field, field) || !strings.Contains(te.Reason, bad.reason) {
					f.Fatalf("%s %q: error %v, want a *store.TextError naming %s and saying %s", field, bad.s, err, field, bad.reason)
				}
			}
			check(f.s.CreateOrganization(f.ctx, &store.Organization{ID: f.id("org"), Name: bad.s, CreatedAt: t0, UpdatedAt: t0}, f.ev("organization.created", "", "")), "name")
			check(f.s.CreateOrganization(f.ctx, &store.Organization{ID: f.id("org"), Name: "Org", ExternalID: bad.s, CreatedAt: t0, UpdatedAt: t0}), "external id")
			_, err := f.s.UpdateOrganization(f.ctx, org.ID, func(o *store.Organization) ([]store.Event, error) { o.Name = bad.s; return nil, nil })
			check(err, "name")
			check(f.s.CreateDirectory(f.ctx, &store.Directory{ID: f.id("dir"), OrgID: org.ID, Name: bad.s, State: store.DirectoryActive, CreatedAt: t0, UpdatedAt: t0}), "directory name")
			_, err = f.s.UpdateDirectory(f.ctx, d.ID, func(d *store.Directory) ([]store.Event, error) { d.Name = bad.s; return nil, nil })
			check(err, "directory name")
			conn := &store.Connection{ID: f.id("conn"), OrgID: org.ID, Protocol: store.ProtocolOIDC, OIDC: oidcConfig(), Name: bad.s, State: store.ConnectionDraft, CreatedAt: t0, UpdatedAt: t0}
			check(f.s.CreateConnection(f.ctx, conn), "connection name")
			check(f.s.CreateDomain(f.ctx, &store.Domain{ID: f.id("dom"), OrgID: org.ID, Name: "a" + bad.s + ".example", State: store.DomainPending, Method: store.DomainDNSTXT, CreatedAt: t0, UpdatedAt: t0}), "domain name")
			check(f.s.CreateAPIKey(f.ctx, &store.APIKey{ID: f.id("key"), Name: bad.s, Digest: digest(f.id("k")), CreatedAt: t0}), "API key name")

			users := map[string]func(*store.DirectoryUser){
				"userName":        func(u *store.DirectoryUser) { u.UserName = bad.s },
				"externalId":      func(u *store.DirectoryUser) { u.ExternalID = bad.s },
				"displayName":     func(u *store.DirectoryUser) { u.DisplayName = bad.s },
				"givenName":       func(u *store.DirectoryUser) { u.GivenName = bad.s },
				"familyName":      func(u *store.DirectoryUser) { u.FamilyName = bad.s },
				"emails[1].value": func(u *store.DirectoryUser) { u.Emails = []store.Email{{Value: "a@example.com"}, {Value: bad.s}} },
				"emails[0].type":  func(u *store.DirectoryUser) { u.Emails = []store.Email{{Value: "a@example.com", Type: bad.s}} },
			}
			if bad.reason != "U+0009" {
				// Tab, line feed and carriage return are allowed in the
				// resource's free text.
				b, _ := json.Marshal(map[string]any{"addresses": []any{map[string]any{"formatted": bad.s}}})
				if !utf8.ValidString(bad.s) {
					b = []byte(`{"addresses":[{"formatted":"` + bad.s + `"}]}`)
				}
				users["attributes"] = func(u *store.DirectoryUser) { u.Attributes = b }
			}
			for field, mod := range users {
				nu := &store.DirectoryUser{ID: f.id("usr"), DirectoryID: d.ID, UserName: "bob", CreatedAt: t0, UpdatedAt: t0}
				mod(nu)
				check(f.s.CreateDirectoryUser(f.ctx, nu, f.ev("directory.user.created", org.ID, nu.ID)), field)
				_, err := f.s.UpdateDirectoryUser(f.ctx, d.ID, u.ID, func(u *store.DirectoryUser) ([]store.Event, error) { mod(u); return nil, nil })
				check(err, field)
			}
			check(f.s.CreateDirectoryGroup(f.ctx, &store.DirectoryGroup{ID: f.id("grp"), DirectoryID: d.ID, DisplayName: bad.s, CreatedAt: t0, UpdatedAt: t0}, nil, nil), "displayName")
			check(f.s.CreateDirectoryGroup(f.ctx, &store.DirectoryGroup{ID: f.id("grp"), DirectoryID: d.ID, DisplayName: "G", ExternalID: bad.s, CreatedAt: t0, UpdatedAt: t0}, nil, nil), "externalId")
			_, err = f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, func(g *store.DirectoryGroup) ([]store.MemberOp, error) { g.DisplayName = bad.s; return nil, nil }, nil)
			check(err, "displayName")
			_, err = f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, func(g *store.DirectoryGroup) ([]store.MemberOp, error) {
				return []store.MemberOp{{Kind: store.MembersAdd, IDs: []string{u.ID, bad.s}}}, nil
			}, nil)
			check(err, "member id")
			f.noEventsSince(c, "refused writes")
		}
		// Nothing changed.
		if got := f.getUser(d.ID, u.ID); got.UserName != "ann" || got.Version != u.Version {
			f.Fatalf("user after refused updates: %+v", got)
		}
		if ms := f.memberIDs(d.ID, g.ID); len(ms) != 0 {
			f.Fatalf("members after a refused add: %v", ms)
		}
	}},
	{"Allowed", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		// Multi-line free text in the resource, format characters, U+FFFD
		// and letters of any script are kept as given.
		attrs := json.RawMessage(`{"addresses":[{"formatted":"1 Main St\r\nSpringfield\tUSA"}],"title":"\u200bx\u202e"}`)
		u := f.mkUser(d.ID, "\u0391\u03b8\u03b7\u03bd\u03ac \ufffd \u202e", func(u *store.DirectoryUser) {
			u.DisplayName = "\u5f20\u4f1f"
			u.Attributes = attrs
		})
		got := f.getUser(d.ID, u.ID)
		if got.UserName != u.UserName || got.DisplayName != u.DisplayName || string(got.Attributes) != string(attrs) {
			f.Fatalf("user stored as %q, %q, %s", got.UserName, got.DisplayName, got.Attributes)
		}
	}},
	{"Filters", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		f.mkUser(d.ID, "ann", nil)
		f.mkGroup(d.ID, "Staff")
		for _, bad := range []string{"a\x00b", "a\xffb"} {
			for _, a := range []store.Attr{store.AttrUserName, store.AttrExternalID, store.AttrEmail, store.AttrID} {
				_, _, err := f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Filter: store.And{
					Left: store.Compare{Attr: store.AttrActive, Op: store.OpEq, Value: true}, Right: store.Compare{Attr: a, Op: store.OpEq, Value: bad}}, Limit: 10})
				f.is(err, store.ErrInvalid, "users filter %s eq %q", a, bad)
			}
			_, _, err := f.s.ListDirectoryGroups(f.ctx, d.ID, store.GroupQuery{Filter: store.Compare{Attr: store.AttrDisplayName, Op: store.OpCo, Value: bad}, Limit: 10})
			f.is(err, store.ErrInvalid, "groups filter displayName co %q", bad)
			_, _, err = f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Filter: store.Field{Path: []string{"title"}, Type: store.FieldString, Op: store.OpEq, Value: bad}, Limit: 10})
			f.is(err, store.ErrInvalid, "users filter title eq %q", bad)
			_, _, err = f.s.ListDirectoryUsers(f.ctx, d.ID, store.UserQuery{Filter: store.Some{Path: []string{"phoneNumbers"},
				F: store.Field{Path: []string{"value"}, Type: store.FieldString, Op: store.OpCo, Value: bad}}, Limit: 10})
			f.is(err, store.ErrInvalid, "users filter phoneNumbers[value co %q]", bad)
		}
		// Other control characters match nothing.
		got, total := f.listUsers(d.ID, store.UserQuery{Filter: store.Compare{Attr: store.AttrUserName, Op: store.OpEq, Value: "a\x1bb"}, Limit: 10})
		if total != 0 || len(got) != 0 {
			f.Fatalf("filter with a control character: %v", got)
		}
	}},
}
