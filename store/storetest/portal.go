package storetest

import (
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

var portalLinkTests = []subtest{
	{"CreateGet", func(f *fixture) {
		org := f.mkOrg()
		l := &store.PortalLink{
			ID: "link_1", OrgID: org.ID, Kind: store.LinkShareable,
			Features:  store.Features{store.FeatureSSO, store.FeatureDomains, store.FeatureDirSync, store.FeatureSSO},
			Digest:    digest("link_1"),
			CreatedBy: "operator:ann", CreatedAt: t0.In(elsewhere), ExpiresAt: at(7 * 24 * time.Hour).In(elsewhere),
		}
		c := f.lastCursor()
		f.ok(f.s.CreatePortalLink(f.ctx, l, f.ev("portal.link.created", org.ID, l.ID)), "CreatePortalLink")
		f.wantEventTypes(c, "CreatePortalLink", "portal.link.created")
		want := normalized(l).(*store.PortalLink)
		want.Features = store.Features{store.FeatureDirSync, store.FeatureDomains, store.FeatureSSO}
		got, err := f.s.GetPortalLink(f.ctx, l.ID)
		f.ok(err, "GetPortalLink")
		f.utcOnly("GetPortalLink", got)
		f.equal("GetPortalLink (features sorted, without duplicates)", got, want)
		got, err = f.s.GetPortalLinkByDigest(f.ctx, digest("link_1"))
		f.ok(err, "GetPortalLinkByDigest")
		f.equal("GetPortalLinkByDigest", got, want)

		// Copies, both ways.
		l.Digest[0] ^= 0xff
		l.Features[0] = "mutated"
		got.Digest[1] ^= 0xff
		got.Features[0] = "mutated"
		again, err := f.s.GetPortalLinkByDigest(f.ctx, digest("link_1"))
		f.ok(err, "GetPortalLinkByDigest after mutating copies")
		f.equal("link after mutating copies", again, want)

		_, err = f.s.GetPortalLink(f.ctx, "link_missing")
		f.is(err, store.ErrNotFound, "GetPortalLink of an unknown id")
		_, err = f.s.GetPortalLinkByDigest(f.ctx, digest("unknown"))
		f.is(err, store.ErrNotFound, "GetPortalLinkByDigest of an unknown digest")
	}},
	{"Invalid", func(f *fixture) {
		org := f.mkOrg()
		good := store.PortalLink{ID: "link_1", OrgID: org.ID, Kind: store.LinkEmbedded, Digest: digest("link_1"), CreatedAt: t0, ExpiresAt: at(time.Minute)}
		for name, mod := range map[string]func(*store.PortalLink){
			"no id":           func(l *store.PortalLink) { l.ID = "" },
			"no org":          func(l *store.PortalLink) { l.OrgID = "" },
			"unknown kind":    func(l *store.PortalLink) { l.Kind = "permanent" },
			"short digest":    func(l *store.PortalLink) { l.Digest = l.Digest[:16] },
			"no digest":       func(l *store.PortalLink) { l.Digest = nil },
			"no expiry":       func(l *store.PortalLink) { l.ExpiresAt = time.Time{} },
			"unknown feature": func(l *store.PortalLink) { l.Features = store.Features{store.FeatureSSO, "billing"} },
		} {
			l := good
			mod(&l)
			f.is(f.s.CreatePortalLink(f.ctx, &l, f.ev("portal.link.created", org.ID, l.ID)), store.ErrInvalid, "CreatePortalLink with %s", name)
		}
		f.is(f.s.CreatePortalLink(f.ctx, nil), store.ErrInvalid, "CreatePortalLink(nil)")
		_, err := f.s.GetPortalLink(f.ctx, "")
		f.is(err, store.ErrInvalid, "GetPortalLink(\"\")")
		_, err = f.s.GetPortalLinkByDigest(f.ctx, nil)
		f.is(err, store.ErrInvalid, "GetPortalLinkByDigest(nil)")
		_, err = f.s.ListPortalLinks(f.ctx, "")
		f.is(err, store.ErrInvalid, "ListPortalLinks(\"\")")
		f.is(f.s.RevokePortalLink(f.ctx, "", t0), store.ErrInvalid, "RevokePortalLink(\"\")")
		_, err = f.s.RedeemPortalLink(f.ctx, nil, t0, f.newSession(at(time.Hour)))
		f.is(err, store.ErrInvalid, "RedeemPortalLink(nil digest)")
		f.noEventsSince(0, "invalid writes")
		_, err = f.s.GetPortalLink(f.ctx, "link_1")
		f.is(err, store.ErrNotFound, "link after invalid creates")
	}},
	{"NotFoundAndDuplicates", func(f *fixture) {
		org := f.mkOrg()
		err := f.s.CreatePortalLink(f.ctx, &store.PortalLink{ID: "link_1", OrgID: "org_missing", Kind: store.LinkEmbedded, Digest: digest("x"), CreatedAt: t0, ExpiresAt: at(time.Minute)})
		f.is(err, store.ErrNotFound, "CreatePortalLink for an unknown organization")
		l := f.mkLink(org.ID, store.LinkShareable, at(time.Hour))
		c := f.lastCursor()
		dup := *l
		dup.Digest = digest("another")
		f.is(f.s.CreatePortalLink(f.ctx, &dup, f.ev("portal.link.created", org.ID, l.ID)), store.ErrAlreadyExists, "CreatePortalLink with a taken id")
		dup = *l
		dup.ID = "link_other"
		f.is(f.s.CreatePortalLink(f.ctx, &dup, f.ev("portal.link.created", org.ID, dup.ID)), store.ErrAlreadyExists, "CreatePortalLink with a taken digest")
		f.noEventsSince(c, "duplicate creates")
		_, err = f.s.GetPortalLink(f.ctx, "link_other")
		f.is(err, store.ErrNotFound, "link with a taken digest")
	}},
	{"List", func(f *fixture) {
		a, b := f.mkOrg(), f.mkOrg()
		l1 := f.mkLink(a.ID, store.LinkShareable, at(time.Hour))
		l2 := f.mkLink(a.ID, store.LinkEmbedded, at(time.Hour))
		f.mkLink(b.ID, store.LinkShareable, at(time.Hour))
		l3 := f.mkLink(a.ID, store.LinkShareable, at(time.Hour))
		got, err := f.s.ListPortalLinks(f.ctx, a.ID)
		f.ok(err, "ListPortalLinks")
		f.utcOnly("ListPortalLinks", got)
		var ids []string
		for _, l := range got {
			ids = append(ids, l.ID)
		}
		if want := []string{l3.ID, l2.ID, l1.ID}; !slices.Equal(ids, want) {
			f.Fatalf("ListPortalLinks = %v, want %v (newest first)", ids, want)
		}
		got, err = f.s.ListPortalLinks(f.ctx, "org_missing")
		f.ok(err, "ListPortalLinks of an unknown organization")
		if len(got) != 0 {
			f.Fatalf("ListPortalLinks of an unknown organization: %d links", len(got))
		}
	}},
	{"Revoke", func(f *fixture) {
		org := f.mkOrg()
		l := f.mkLink(org.ID, store.LinkShareable, at(24*time.Hour))
		c := f.lastCursor()
		f.ok(f.s.RevokePortalLink(f.ctx, l.ID, at(time.Hour).In(elsewhere), f.ev("portal.link.revoked", org.ID, l.ID)), "RevokePortalLink")
		f.wantEventTypes(c, "RevokePortalLink", "portal.link.revoked")
		got, err := f.s.GetPortalLink(f.ctx, l.ID)
		f.ok(err, "GetPortalLink")
		f.utcOnly("GetPortalLink", got)
		if !got.RevokedAt.Equal(at(time.Hour)) {
			f.Fatalf("RevokedAt = %v, want %v", got.RevokedAt, at(time.Hour))
		}
		c = f.lastCursor()
		f.ok(f.s.RevokePortalLink(f.ctx, l.ID, at(2*time.Hour), f.ev("portal.link.revoked", org.ID, l.ID)), "second RevokePortalLink")
		f.noEventsSince(c, "revoking a revoked link")
		got, err = f.s.GetPortalLink(f.ctx, l.ID)
		f.ok(err, "GetPortalLink")
		if !got.RevokedAt.Equal(at(time.Hour)) {
			f.Fatalf("RevokedAt after a second revocation = %v, want the first %v", got.RevokedAt, at(time.Hour))
		}
		f.is(f.s.RevokePortalLink(f.ctx, "link_missing", at(time.Hour)), store.ErrNotFound, "RevokePortalLink of an unknown id")
		_, err = f.s.RedeemPortalLink(f.ctx, l.Digest, at(2*time.Hour), f.newSession(at(8*time.Hour)))
		f.is(err, store.ErrRevoked, "RedeemPortalLink of a revoked link")
	}},
	{"RedeemShareable", func(f *fixture) {
		org := f.mkOrg()
		l := &store.PortalLink{
			ID: "link_1", OrgID: org.ID, Kind: store.LinkShareable, Features: store.Features{store.FeatureSSO, store.FeatureDomains},
			Digest: digest("link_1"), CreatedAt: t0, ExpiresAt: at(7 * 24 * time.Hour),
		}
		f.ok(f.s.CreatePortalLink(f.ctx, l), "CreatePortalLink")
		s1 := f.newSession(at(7 * time.Hour))
		// The session's own organization, link and features are replaced by
		// the link's.
		s1.OrgID, s1.LinkID, s1.Features = "org_forged", "link_forged", store.Features{store.FeatureDirSync}
		c := f.lastCursor()
		got, err := f.s.RedeemPortalLink(f.ctx, l.Digest, at(time.Hour).In(elsewhere), s1, f.ev("portal.session.created", org.ID, s1.ID))
		f.ok(err, "RedeemPortalLink")
		f.wantEventTypes(c, "RedeemPortalLink", "portal.session.created")
		want := normalized(s1).(*store.PortalSession)
		want.OrgID, want.LinkID, want.Features = org.ID, l.ID, store.Features{store.FeatureDomains, store.FeatureSSO}
		f.utcOnly("RedeemPortalLink", got)
		f.equal("RedeemPortalLink result", got, want)
		stored, err := f.s.GetPortalSession(f.ctx, s1.Digest, at(time.Hour))
		f.ok(err, "GetPortalSession")
		f.equal("stored session", stored, want)
		link, err := f.s.GetPortalLink(f.ctx, l.ID)
		f.ok(err, "GetPortalLink")
		if !link.UsedAt.Equal(at(time.Hour)) {
			f.Fatalf("UsedAt = %v, want %v", link.UsedAt, at(time.Hour))
		}
		// A shareable link is reusable; UsedAt keeps the first redemption.
		s2 := f.newSession(at(8 * time.Hour))
		_, err = f.s.RedeemPortalLink(f.ctx, l.Digest, at(2*time.Hour), s2)
		f.ok(err, "second RedeemPortalLink of a shareable link")
		link, err = f.s.GetPortalLink(f.ctx, l.ID)
		f.ok(err, "GetPortalLink")
		if !link.UsedAt.Equal(at(time.Hour)) {
			f.Fatalf("UsedAt after a second redemption = %v, want the first %v", link.UsedAt, at(time.Hour))
		}
		_, err = f.s.GetPortalSession(f.ctx, s2.Digest, at(2*time.Hour))
		f.ok(err, "second session")
	}},
	{"RedeemEmbedded", func(f *fixture) {
		org := f.mkOrg()
		l := f.mkLink(org.ID, store.LinkEmbedded, at(time.Minute))
		s1 := f.newSession(at(6 * time.Hour))
		s1.Embedded = true
		got, err := f.s.RedeemPortalLink(f.ctx, l.Digest, at(30*time.Second), s1)
		f.ok(err, "RedeemPortalLink")
		if !got.Embedded || got.LinkID != l.ID {
			f.Fatalf("session %+v", got)
		}
		c := f.lastCursor()
		s2 := f.newSession(at(6 * time.Hour))
		_, err = f.s.RedeemPortalLink(f.ctx, l.Digest, at(40*time.Second), s2, f.ev("portal.session.created", org.ID, s2.ID))
		f.is(err, store.ErrUsed, "second RedeemPortalLink of an embedded link")
		_, err = f.s.GetPortalSession(f.ctx, s2.Digest, at(40*time.Second))
		f.is(err, store.ErrNotFound, "session of a refused redemption")
		f.noEventsSince(c, "refused redemption")
		link, err := f.s.GetPortalLink(f.ctx, l.ID)
		f.ok(err, "GetPortalLink")
		if !link.UsedAt.Equal(at(30 * time.Second)) {
			f.Fatalf("UsedAt = %v, want %v", link.UsedAt, at(30*time.Second))
		}
	}},
	{"RedeemRefused", func(f *fixture) {
		org := f.mkOrg()
		embedded := f.mkLink(org.ID, store.LinkEmbedded, at(time.Minute))
		shareable := f.mkLink(org.ID, store.LinkShareable, at(time.Hour))
		revoked := f.mkLink(org.ID, store.LinkEmbedded, at(time.Hour))
		f.ok(f.s.RevokePortalLink(f.ctx, revoked.ID, t0), "RevokePortalLink")
		expiredAndRevoked := f.mkLink(org.ID, store.LinkShareable, at(time.Minute))
		f.ok(f.s.RevokePortalLink(f.ctx, expiredAndRevoked.ID, t0), "RevokePortalLink")
		c := f.lastCursor()
		for _, tc := range []struct {
			name   string
			digest []byte
			now    time.Time
			want   error
		}{
			{"embedded link at its expiry", embedded.Digest, at(time.Minute), store.ErrExpired},
			{"embedded link after its expiry", embedded.Digest, at(61 * time.Second), store.ErrExpired},
			{"shareable link at its expiry", shareable.Digest, at(time.Hour), store.ErrExpired},
			{"revoked link", revoked.Digest, at(time.Second), store.ErrRevoked},
			{"revoked and expired link", expiredAndRevoked.Digest, at(time.Hour), store.ErrRevoked},
			{"unknown digest", digest("unknown"), at(time.Second), store.ErrNotFound},
		} {
			s := f.newSession(at(6 * time.Hour))
			_, err := f.s.RedeemPortalLink(f.ctx, tc.digest, tc.now, s, f.ev("portal.session.created", org.ID, s.ID))
			f.is(err, tc.want, "RedeemPortalLink of %s", tc.name)
			_, err = f.s.GetPortalSession(f.ctx, s.Digest, at(time.Second))
			f.is(err, store.ErrNotFound, "session of a refused redemption of %s", tc.name)
		}
		f.noEventsSince(c, "refused redemptions")
		for _, l := range []*store.PortalLink{embedded, shareable, revoked} {
			got, err := f.s.GetPortalLink(f.ctx, l.ID)
			f.ok(err, "GetPortalLink")
			if !got.UsedAt.IsZero() {
				f.Fatalf("link %s marked used by a refused redemption", l.ID)
			}
		}
		// The embedded link is still redeemable before its expiry.
		_, err := f.s.RedeemPortalLink(f.ctx, embedded.Digest, at(59*time.Second), f.newSession(at(6*time.Hour)))
		f.ok(err, "RedeemPortalLink before expiry")
	}},
	{"RedeemAtomic", func(f *fixture) {
		org := f.mkOrg()
		l := f.mkLink(org.ID, store.LinkEmbedded, at(time.Hour))
		s1 := f.newSession(at(6 * time.Hour))
		_, err := f.s.RedeemPortalLink(f.ctx, f.mkLink(org.ID, store.LinkShareable, at(time.Hour)).Digest, at(time.Second), s1)
		f.ok(err, "RedeemPortalLink")
		c := f.lastCursor()
		// A session whose digest is taken cannot be stored: the embedded
		// link must stay unused.
		dup := f.newSession(at(6 * time.Hour))
		dup.Digest = s1.Digest
		_, err = f.s.RedeemPortalLink(f.ctx, l.Digest, at(time.Second), dup, f.ev("portal.session.created", org.ID, dup.ID))
		f.is(err, store.ErrAlreadyExists, "RedeemPortalLink with a taken session digest")
		// An invalid session is refused before anything is written.
		for name, mod := range map[string]func(*store.PortalSession){
			"no id":        func(s *store.PortalSession) { s.ID = "" },
			"short digest": func(s *store.PortalSession) { s.Digest = s.Digest[:8] },
			"no expiry":    func(s *store.PortalSession) { s.ExpiresAt = time.Time{} },
		} {
			s := f.newSession(at(6 * time.Hour))
			mod(s)
			_, err = f.s.RedeemPortalLink(f.ctx, l.Digest, at(time.Second), s, f.ev("portal.session.created", org.ID, s.ID))
			f.is(err, store.ErrInvalid, "RedeemPortalLink with a session with %s", name)
		}
		_, err = f.s.RedeemPortalLink(f.ctx, l.Digest, at(time.Second), nil)
		f.is(err, store.ErrInvalid, "RedeemPortalLink with a nil session")
		s := f.newSession(at(6 * time.Hour))
		_, err = f.s.RedeemPortalLink(f.ctx, l.Digest, at(time.Second), s, store.Event{ID: "evt_bad"})
		f.is(err, store.ErrInvalid, "RedeemPortalLink with an invalid event")
		_, err = f.s.GetPortalSession(f.ctx, s.Digest, at(time.Second))
		f.is(err, store.ErrNotFound, "session of a redemption with an invalid event")
		f.noEventsSince(c, "failed redemptions")
		got, err := f.s.GetPortalLink(f.ctx, l.ID)
		f.ok(err, "GetPortalLink")
		if !got.UsedAt.IsZero() {
			f.Fatalf("embedded link marked used by a failed redemption")
		}
		_, err = f.s.RedeemPortalLink(f.ctx, l.Digest, at(time.Second), f.newSession(at(6*time.Hour)))
		f.ok(err, "RedeemPortalLink after failed attempts")
	}},
}

var portalSessionTests = []subtest{
	{"Expiry", func(f *fixture) {
		org := f.mkOrg()
		l := f.mkLink(org.ID, store.LinkShareable, at(24*time.Hour))
		s := f.newSession(at(6 * time.Hour))
		_, err := f.s.RedeemPortalLink(f.ctx, l.Digest, t0, s)
		f.ok(err, "RedeemPortalLink")
		_, err = f.s.GetPortalSession(f.ctx, s.Digest, at(6*time.Hour-time.Second))
		f.ok(err, "GetPortalSession before expiry")
		_, err = f.s.GetPortalSession(f.ctx, s.Digest, at(6*time.Hour))
		f.is(err, store.ErrExpired, "GetPortalSession at expiry")
		_, err = f.s.GetPortalSession(f.ctx, s.Digest, at(6*time.Hour+time.Second))
		f.is(err, store.ErrExpired, "GetPortalSession after expiry")
		_, err = f.s.GetPortalSession(f.ctx, digest("unknown"), t0)
		f.is(err, store.ErrNotFound, "GetPortalSession of an unknown digest")
		_, err = f.s.GetPortalSession(f.ctx, nil, t0)
		f.is(err, store.ErrInvalid, "GetPortalSession(nil)")
	}},
	{"Copies", func(f *fixture) {
		org := f.mkOrg()
		l := f.mkLink(org.ID, store.LinkShareable, at(24*time.Hour))
		s := f.newSession(at(6 * time.Hour))
		got, err := f.s.RedeemPortalLink(f.ctx, l.Digest, t0, s)
		f.ok(err, "RedeemPortalLink")
		want := normalized(got)
		s.CSRF, s.Digest[0] = "mutated", s.Digest[0]^0xff
		got.Features[0], got.CSRF = "mutated", "mutated"
		again, err := f.s.GetPortalSession(f.ctx, digest(s.ID), t0)
		f.ok(err, "GetPortalSession")
		f.equal("session after mutating copies", again, want)
		again.Digest[0] ^= 0xff
		third, err := f.s.GetPortalSession(f.ctx, digest(s.ID), t0)
		f.ok(err, "GetPortalSession after mutating a returned digest")
		f.equal("session after mutating copies", third, want)
	}},
	{"Delete", func(f *fixture) {
		org := f.mkOrg()
		l := f.mkLink(org.ID, store.LinkShareable, at(24*time.Hour))
		s1, s2 := f.newSession(at(6*time.Hour)), f.newSession(at(6*time.Hour))
		_, err := f.s.RedeemPortalLink(f.ctx, l.Digest, t0, s1)
		f.ok(err, "RedeemPortalLink")
		_, err = f.s.RedeemPortalLink(f.ctx, l.Digest, t0, s2)
		f.ok(err, "RedeemPortalLink")
		f.ok(f.s.DeletePortalSession(f.ctx, s1.ID), "DeletePortalSession")
		_, err = f.s.GetPortalSession(f.ctx, s1.Digest, t0)
		f.is(err, store.ErrNotFound, "GetPortalSession after delete")
		_, err = f.s.GetPortalSession(f.ctx, s2.Digest, t0)
		f.ok(err, "the other session")
		f.ok(f.s.DeletePortalSession(f.ctx, s1.ID), "second DeletePortalSession")
		f.is(f.s.DeletePortalSession(f.ctx, ""), store.ErrInvalid, "DeletePortalSession(\"\")")
		// The session id is free again.
		_, err = f.s.RedeemPortalLink(f.ctx, l.Digest, t0, s1)
		f.ok(err, "RedeemPortalLink reusing a deleted session's id and digest")
	}},
}
