package storetest

import (
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func domainIDs(ds []store.Domain) []string {
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

var domainTests = []subtest{
	{"CreateGet", func(f *fixture) {
		org := f.mkOrg()
		d := &store.Domain{
			ID: "dom_1", OrgID: org.ID, Name: "acme.example", State: store.DomainVerified, Method: store.DomainManual,
			Challenge: "okit=abc", VerifiedAt: at(time.Hour).In(elsewhere), VerifiedBy: "operator:ann",
			CheckedAt: at(time.Hour), NextCheckAt: at(2 * time.Hour).In(elsewhere), Failure: "none",
			CreatedAt: t0.In(elsewhere), UpdatedAt: at(time.Hour),
		}
		c := f.lastCursor()
		f.ok(f.s.CreateDomain(f.ctx, d, f.ev("domain.created", org.ID, "dom_1")), "CreateDomain")
		f.wantEventTypes(c, "CreateDomain", "domain.created")
		got, err := f.s.GetDomain(f.ctx, "dom_1")
		f.ok(err, "GetDomain")
		f.utcOnly("GetDomain", got)
		f.equal("GetDomain", got, d)
		v, err := f.s.GetVerifiedDomain(f.ctx, "acme.example")
		f.ok(err, "GetVerifiedDomain")
		f.equal("GetVerifiedDomain", v, d)
		got.Name, got.Challenge = "mutated", "mutated"
		again, err := f.s.GetDomain(f.ctx, "dom_1")
		f.ok(err, "GetDomain")
		f.equal("domain after mutating a returned copy", again, d)
	}},
	{"Invalid", func(f *fixture) {
		org := f.mkOrg()
		good := store.Domain{ID: "dom_1", OrgID: org.ID, Name: "a.example", State: store.DomainPending, Method: store.DomainDNSTXT, CreatedAt: t0}
		for name, mod := range map[string]func(*store.Domain){
			"no id":          func(d *store.Domain) { d.ID = "" },
			"no org":         func(d *store.Domain) { d.OrgID = "" },
			"no name":        func(d *store.Domain) { d.Name = "" },
			"unknown state":  func(d *store.Domain) { d.State = "approved" },
			"empty state":    func(d *store.Domain) { d.State = "" },
			"unknown method": func(d *store.Domain) { d.Method = "http" },
		} {
			d := good
			mod(&d)
			f.is(f.s.CreateDomain(f.ctx, &d, f.ev("domain.created", org.ID, d.ID)), store.ErrInvalid, "CreateDomain with %s", name)
		}
		f.is(f.s.CreateDomain(f.ctx, nil), store.ErrInvalid, "CreateDomain(nil)")
		_, err := f.s.GetDomain(f.ctx, "")
		f.is(err, store.ErrInvalid, "GetDomain(\"\")")
		_, err = f.s.GetVerifiedDomain(f.ctx, "")
		f.is(err, store.ErrInvalid, "GetVerifiedDomain(\"\")")
		_, err = f.s.ListDomains(f.ctx, "")
		f.is(err, store.ErrInvalid, "ListDomains(\"\")")
		f.is(f.s.DeleteDomain(f.ctx, ""), store.ErrInvalid, "DeleteDomain(\"\")")
		f.ok(f.s.CreateDomain(f.ctx, &good), "CreateDomain")
		_, err = f.s.UpdateDomain(f.ctx, good.ID, func(d *store.Domain) ([]store.Event, error) {
			d.State = "bogus"
			return nil, nil
		})
		f.is(err, store.ErrInvalid, "UpdateDomain to an unknown state")
		got, err := f.s.GetDomain(f.ctx, good.ID)
		f.ok(err, "GetDomain")
		f.equal("domain after an invalid update", got, &good)
		f.noEventsSince(0, "invalid domain writes")
	}},
	{"UnknownOrganization", func(f *fixture) {
		err := f.s.CreateDomain(f.ctx, &store.Domain{ID: "dom_1", OrgID: "org_missing", Name: "a.example", State: store.DomainPending, Method: store.DomainDNSTXT, CreatedAt: t0})
		f.is(err, store.ErrNotFound, "CreateDomain for an unknown organization")
		_, err = f.s.GetDomain(f.ctx, "dom_1")
		f.is(err, store.ErrNotFound, "GetDomain after a failed create")
		_, err = f.s.GetDomain(f.ctx, "dom_missing")
		f.is(err, store.ErrNotFound, "GetDomain of an unknown id")
		ds, err := f.s.ListDomains(f.ctx, "org_missing")
		f.ok(err, "ListDomains of an unknown organization")
		if len(ds) != 0 {
			f.Fatalf("ListDomains of an unknown organization: %v", ds)
		}
	}},
	{"Duplicates", func(f *fixture) {
		a, b := f.mkOrg(), f.mkOrg()
		d := f.mkDomain(a.ID, "acme.example", store.DomainPending)
		c := f.lastCursor()
		f.is(f.s.CreateDomain(f.ctx, &store.Domain{ID: d.ID, OrgID: b.ID, Name: "other.example", State: store.DomainPending, Method: store.DomainDNSTXT, CreatedAt: t0}, f.ev("domain.created", b.ID, d.ID)),
			store.ErrAlreadyExists, "CreateDomain with a taken id")
		f.is(f.s.CreateDomain(f.ctx, &store.Domain{ID: "dom_x", OrgID: a.ID, Name: "acme.example", State: store.DomainFailed, Method: store.DomainDNSTXT, CreatedAt: t0}, f.ev("domain.created", a.ID, "dom_x")),
			store.ErrAlreadyExists, "CreateDomain with a name the organization already has")
		f.noEventsSince(c, "failed domain creates")
		// Other organizations may claim the name while it is not verified.
		f.mkDomain(b.ID, "acme.example", store.DomainPending)
		f.mkDomain(f.mkOrg().ID, "acme.example", store.DomainFailed)
		// Names are compared byte for byte.
		f.mkDomain(a.ID, "acme.example.", store.DomainPending)
	}},
	{"VerifiedConflict", func(f *fixture) {
		a, b := f.mkOrg(), f.mkOrg()
		da := f.mkDomain(a.ID, "acme.example", store.DomainVerified)
		c := f.lastCursor()
		err := f.s.CreateDomain(f.ctx, &store.Domain{ID: "dom_b", OrgID: b.ID, Name: "acme.example", State: store.DomainVerified, Method: store.DomainManual, CreatedAt: t0},
			f.ev("domain.created", b.ID, "dom_b"))
		f.is(err, store.ErrConflict, "CreateDomain verified while another organization holds it verified")
		_, err = f.s.GetDomain(f.ctx, "dom_b")
		f.is(err, store.ErrNotFound, "domain after a refused create")
		f.noEventsSince(c, "refused create")

		db := f.mkDomain(b.ID, "acme.example", store.DomainPending)
		c = f.lastCursor()
		_, err = f.s.UpdateDomain(f.ctx, db.ID, func(d *store.Domain) ([]store.Event, error) {
			d.State, d.VerifiedAt, d.VerifiedBy = store.DomainVerified, at(time.Hour), "dns"
			return []store.Event{f.ev("domain.verified", b.ID, db.ID)}, nil
		})
		f.is(err, store.ErrConflict, "UpdateDomain to verified while another organization holds it verified")
		got, err := f.s.GetDomain(f.ctx, db.ID)
		f.ok(err, "GetDomain")
		f.equal("domain after a refused verification", got, db)
		f.noEventsSince(c, "refused verification")
		v, err := f.s.GetVerifiedDomain(f.ctx, "acme.example")
		f.ok(err, "GetVerifiedDomain")
		if v.ID != da.ID {
			f.Fatalf("GetVerifiedDomain = %s, want %s", v.ID, da.ID)
		}

		// Updating the verified domain itself is no conflict.
		_, err = f.s.UpdateDomain(f.ctx, da.ID, func(d *store.Domain) ([]store.Event, error) {
			d.CheckedAt = at(time.Hour)
			return nil, nil
		})
		f.ok(err, "UpdateDomain of the verified domain")

		// Once a's domain is no longer verified, b may verify.
		_, err = f.s.UpdateDomain(f.ctx, da.ID, func(d *store.Domain) ([]store.Event, error) {
			d.State, d.Failure = store.DomainFailed, "TXT record gone"
			return nil, nil
		})
		f.ok(err, "UpdateDomain to failed")
		_, err = f.s.GetVerifiedDomain(f.ctx, "acme.example")
		f.is(err, store.ErrNotFound, "GetVerifiedDomain after the verified domain failed")
		_, err = f.s.UpdateDomain(f.ctx, db.ID, func(d *store.Domain) ([]store.Event, error) {
			d.State = store.DomainVerified
			return nil, nil
		})
		f.ok(err, "UpdateDomain to verified once the name is free")
		v, err = f.s.GetVerifiedDomain(f.ctx, "acme.example")
		f.ok(err, "GetVerifiedDomain")
		if v.ID != db.ID || v.OrgID != b.ID {
			f.Fatalf("GetVerifiedDomain = %+v, want %s of %s", v, db.ID, b.ID)
		}
		// And a deleted verified domain frees the name too.
		f.ok(f.s.DeleteDomain(f.ctx, db.ID), "DeleteDomain")
		f.mkDomain(a.ID, "other.example", store.DomainPending)
		c2 := f.mkOrg()
		f.mkDomain(c2.ID, "acme.example", store.DomainVerified)
	}},
	{"GetVerifiedDomain", func(f *fixture) {
		org := f.mkOrg()
		f.mkDomain(org.ID, "pending.example", store.DomainPending)
		f.mkDomain(org.ID, "failed.example", store.DomainFailed)
		f.mkDomain(org.ID, "ok.example", store.DomainVerified)
		for _, name := range []string{"pending.example", "failed.example", "OK.example", "ok.example.", "example", "missing.example"} {
			_, err := f.s.GetVerifiedDomain(f.ctx, name)
			f.is(err, store.ErrNotFound, "GetVerifiedDomain(%q)", name)
		}
		_, err := f.s.GetVerifiedDomain(f.ctx, "ok.example")
		f.ok(err, "GetVerifiedDomain")
	}},
	{"Lists", func(f *fixture) {
		a, b := f.mkOrg(), f.mkOrg()
		d1 := f.mkDomain(a.ID, "zeta.example", store.DomainPending)
		d2 := f.mkDomain(a.ID, "alpha.example", store.DomainVerified)
		d3 := f.mkDomain(b.ID, "zeta.example", store.DomainPending)
		d4 := f.mkDomain(a.ID, "mid.example", store.DomainFailed)
		got, err := f.s.ListDomains(f.ctx, a.ID)
		f.ok(err, "ListDomains")
		f.utcOnly("ListDomains", got)
		if ids, want := domainIDs(got), []string{d2.ID, d4.ID, d1.ID}; !slices.Equal(ids, want) {
			f.Fatalf("ListDomains = %v, want %v (by name)", ids, want)
		}
		f.equal("ListDomains[0]", &got[0], d2)
		byName, err := f.s.ListDomainsByName(f.ctx, "zeta.example")
		f.ok(err, "ListDomainsByName")
		if ids, want := domainIDs(byName), []string{d1.ID, d3.ID}; !slices.Equal(ids, want) {
			f.Fatalf("ListDomainsByName = %v, want %v (by creation)", ids, want)
		}
		none, err := f.s.ListDomainsByName(f.ctx, "nobody.example")
		f.ok(err, "ListDomainsByName")
		if len(none) != 0 {
			f.Fatalf("ListDomainsByName of an unclaimed name: %v", none)
		}
		_, err = f.s.ListDomainsByName(f.ctx, "")
		f.is(err, store.ErrInvalid, "ListDomainsByName(\"\")")
	}},
	{"ListDomainsDue", func(f *fixture) {
		org := f.mkOrg()
		set := func(d *store.Domain, next time.Time) {
			_, err := f.s.UpdateDomain(f.ctx, d.ID, func(d *store.Domain) ([]store.Event, error) {
				d.NextCheckAt = next
				return nil, nil
			})
			f.ok(err, "UpdateDomain")
		}
		now := at(10 * time.Hour)
		never := f.mkDomain(org.ID, "never.example", store.DomainPending)
		late := f.mkDomain(org.ID, "late.example", store.DomainPending)
		set(late, now.Add(-time.Minute))
		early := f.mkDomain(org.ID, "early.example", store.DomainPending)
		set(early, now.Add(-time.Hour).In(elsewhere))
		exact := f.mkDomain(org.ID, "exact.example", store.DomainVerified)
		set(exact, now)
		future := f.mkDomain(org.ID, "future.example", store.DomainPending)
		set(future, now.Add(time.Second))
		_ = never
		got, err := f.s.ListDomainsDue(f.ctx, now, 10)
		f.ok(err, "ListDomainsDue")
		f.utcOnly("ListDomainsDue", got)
		if ids, want := domainIDs(got), []string{early.ID, late.ID, exact.ID}; !slices.Equal(ids, want) {
			f.Fatalf("ListDomainsDue = %v, want %v", ids, want)
		}
		got, err = f.s.ListDomainsDue(f.ctx, now, 2)
		f.ok(err, "ListDomainsDue")
		if ids, want := domainIDs(got), []string{early.ID, late.ID}; !slices.Equal(ids, want) {
			f.Fatalf("ListDomainsDue limit 2 = %v, want %v", ids, want)
		}
		got, err = f.s.ListDomainsDue(f.ctx, t0, 10)
		f.ok(err, "ListDomainsDue")
		if len(got) != 0 {
			f.Fatalf("ListDomainsDue before anything is due: %v", domainIDs(got))
		}
	}},
	{"Update", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDomain(org.ID, "acme.example", store.DomainPending)
		c := f.lastCursor()
		got, err := f.s.UpdateDomain(f.ctx, d.ID, func(x *store.Domain) ([]store.Event, error) {
			f.equal("UpdateDomain function argument", x, d)
			x.State, x.VerifiedAt, x.VerifiedBy, x.CheckedAt = store.DomainVerified, at(time.Hour).In(elsewhere), "dns", at(time.Hour)
			x.UpdatedAt = at(time.Hour)
			return []store.Event{f.ev("domain.verified", org.ID, d.ID)}, nil
		})
		f.ok(err, "UpdateDomain")
		want := *d
		want.State, want.VerifiedAt, want.VerifiedBy, want.CheckedAt, want.UpdatedAt = store.DomainVerified, at(time.Hour), "dns", at(time.Hour), at(time.Hour)
		f.utcOnly("UpdateDomain", got)
		f.equal("UpdateDomain result", got, &want)
		f.wantEventTypes(c, "UpdateDomain", "domain.verified")
		v, err := f.s.GetVerifiedDomain(f.ctx, d.Name)
		f.ok(err, "GetVerifiedDomain after verification")
		f.equal("GetVerifiedDomain", v, &want)

		c = f.lastCursor()
		_, err = f.s.UpdateDomain(f.ctx, d.ID, func(x *store.Domain) ([]store.Event, error) {
			x.State = store.DomainFailed
			return []store.Event{f.ev("domain.failed", org.ID, d.ID)}, errFn
		})
		f.is(err, errFn, "UpdateDomain whose function fails")
		_, err = f.s.UpdateDomain(f.ctx, "dom_missing", func(x *store.Domain) ([]store.Event, error) { return nil, nil })
		f.is(err, store.ErrNotFound, "UpdateDomain of an unknown id")
		stored, err := f.s.GetDomain(f.ctx, d.ID)
		f.ok(err, "GetDomain")
		f.equal("domain after failed updates", stored, &want)
		f.noEventsSince(c, "failed updates")

		// Back to pending: the verified lookup no longer finds it.
		_, err = f.s.UpdateDomain(f.ctx, d.ID, func(x *store.Domain) ([]store.Event, error) {
			x.State, x.VerifiedAt, x.VerifiedBy = store.DomainPending, time.Time{}, ""
			return nil, nil
		})
		f.ok(err, "UpdateDomain back to pending")
		_, err = f.s.GetVerifiedDomain(f.ctx, d.Name)
		f.is(err, store.ErrNotFound, "GetVerifiedDomain of a domain no longer verified")
	}},
	{"Delete", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDomain(org.ID, "acme.example", store.DomainVerified)
		c := f.lastCursor()
		f.ok(f.s.DeleteDomain(f.ctx, d.ID, f.ev("domain.deleted", org.ID, d.ID)), "DeleteDomain")
		f.wantEventTypes(c, "DeleteDomain", "domain.deleted")
		_, err := f.s.GetDomain(f.ctx, d.ID)
		f.is(err, store.ErrNotFound, "GetDomain after delete")
		_, err = f.s.GetVerifiedDomain(f.ctx, d.Name)
		f.is(err, store.ErrNotFound, "GetVerifiedDomain after delete")
		c = f.lastCursor()
		f.ok(f.s.DeleteDomain(f.ctx, d.ID, f.ev("domain.deleted", org.ID, d.ID)), "second DeleteDomain")
		f.noEventsSince(c, "deleting an absent domain")
		// The organization may claim the name again.
		f.mkDomain(org.ID, "acme.example", store.DomainPending)
	}},
}
