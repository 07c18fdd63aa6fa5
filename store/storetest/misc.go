package storetest

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

var brandingTests = []subtest{
	{"PutGet", func(f *fixture) {
		_, err := f.s.GetBranding(f.ctx, "")
		f.is(err, store.ErrNotFound, "GetBranding before any was set")
		host := &store.Branding{
			AccentColor: "#0a0B0c", Logo: &store.Asset{ContentType: "image/png", Data: []byte{0x89, 'P', 'N', 'G'}},
			Favicon: &store.Asset{ContentType: "image/x-icon", Data: []byte{0, 0, 1, 0}}, UpdatedAt: t0.In(elsewhere),
		}
		c := f.lastCursor()
		f.ok(f.s.PutBranding(f.ctx, host, f.ev("branding.updated", "", "")), "PutBranding host-wide")
		f.wantEventTypes(c, "PutBranding", "branding.updated")
		want := normalized(host)
		host.Logo.Data[0] = 0
		got, err := f.s.GetBranding(f.ctx, "")
		f.ok(err, "GetBranding")
		f.utcOnly("GetBranding", got)
		f.equal("GetBranding", got, want)
		got.Logo.Data[1], got.Favicon.ContentType = 0, "mutated"
		again, err := f.s.GetBranding(f.ctx, "")
		f.ok(err, "GetBranding")
		f.equal("branding after mutating copies", again, want)

		org := f.mkOrg()
		_, err = f.s.GetBranding(f.ctx, org.ID)
		f.is(err, store.ErrNotFound, "GetBranding of an organization without one")
		f.ok(f.s.PutBranding(f.ctx, &store.Branding{Scope: org.ID, AccentColor: "#ffffff", UpdatedAt: t0}), "PutBranding for an organization")
		repl := &store.Branding{Scope: org.ID, Logo: &store.Asset{ContentType: "image/svg+xml", Data: []byte("<svg/>")}, UpdatedAt: at(time.Hour)}
		f.ok(f.s.PutBranding(f.ctx, repl), "PutBranding replacing")
		got, err = f.s.GetBranding(f.ctx, org.ID)
		f.ok(err, "GetBranding")
		f.equal("replaced branding", got, repl)
		again, err = f.s.GetBranding(f.ctx, "")
		f.ok(err, "GetBranding")
		f.equal("host-wide branding after an organization's was set", again, want)

		f.ok(f.s.DeleteBranding(f.ctx, org.ID), "DeleteBranding")
		_, err = f.s.GetBranding(f.ctx, org.ID)
		f.is(err, store.ErrNotFound, "GetBranding after delete")
		f.ok(f.s.DeleteBranding(f.ctx, org.ID), "second DeleteBranding")
		f.ok(f.s.DeleteBranding(f.ctx, ""), "DeleteBranding host-wide")
		_, err = f.s.GetBranding(f.ctx, "")
		f.is(err, store.ErrNotFound, "GetBranding host-wide after delete")
	}},
	{"Invalid", func(f *fixture) {
		c := f.lastCursor()
		f.is(f.s.PutBranding(f.ctx, &store.Branding{Scope: "org_missing", UpdatedAt: t0}, f.ev("branding.updated", "", "")), store.ErrNotFound, "PutBranding for an unknown organization")
		for _, b := range []*store.Branding{
			nil,
			{AccentColor: "red"},
			{AccentColor: "#12345"},
			{AccentColor: "#12345g"},
			{Logo: &store.Asset{Data: []byte{1}}},
			{Favicon: &store.Asset{ContentType: "image/png"}},
		} {
			f.is(f.s.PutBranding(f.ctx, b, f.ev("branding.updated", "", "")), store.ErrInvalid, "PutBranding(%+v)", b)
		}
		f.noEventsSince(c, "refused branding")
		_, err := f.s.GetBranding(f.ctx, "")
		f.is(err, store.ErrNotFound, "branding after refused writes")
	}},
}

var apiKeyTests = []subtest{
	{"CreateGetList", func(f *fixture) {
		k1 := &store.APIKey{ID: "key_1", Name: "CI", Digest: digest("key_1"), Hint: "abcd", CreatedAt: t0.In(elsewhere)}
		k2 := &store.APIKey{ID: "key_2", Name: "Deploy", Digest: digest("key_2"), CreatedAt: at(time.Hour)}
		k0 := &store.APIKey{ID: "key_0", Name: "Same time", Digest: digest("key_0"), CreatedAt: at(time.Hour)}
		c := f.lastCursor()
		f.ok(f.s.CreateAPIKey(f.ctx, k1, f.ev("api_key.created", "", k1.ID)), "CreateAPIKey")
		f.ok(f.s.CreateAPIKey(f.ctx, k2), "CreateAPIKey")
		f.ok(f.s.CreateAPIKey(f.ctx, k0), "CreateAPIKey")
		f.wantEventTypes(c, "CreateAPIKey", "api_key.created")
		want := normalized(k1)
		k1.Digest[0] ^= 0xff
		got, err := f.s.GetAPIKeyByDigest(f.ctx, digest("key_1"))
		f.ok(err, "GetAPIKeyByDigest")
		f.utcOnly("GetAPIKeyByDigest", got)
		f.equal("GetAPIKeyByDigest", got, want)
		got.Digest[0] ^= 0xff
		got, err = f.s.GetAPIKeyByDigest(f.ctx, digest("key_1"))
		f.ok(err, "GetAPIKeyByDigest after mutating copies")
		f.equal("key after mutating copies", got, want)
		_, err = f.s.GetAPIKeyByDigest(f.ctx, digest("unknown"))
		f.is(err, store.ErrNotFound, "GetAPIKeyByDigest of an unknown digest")
		list, err := f.s.ListAPIKeys(f.ctx)
		f.ok(err, "ListAPIKeys")
		f.utcOnly("ListAPIKeys", list)
		var ids []string
		for _, k := range list {
			ids = append(ids, k.ID)
		}
		if len(ids) != 3 || ids[2] != "key_1" {
			f.Fatalf("ListAPIKeys = %v, want the newest first", ids)
		}
	}},
	{"RevokeTouch", func(f *fixture) {
		k := &store.APIKey{ID: "key_1", Name: "CI", Digest: digest("key_1"), CreatedAt: t0}
		f.ok(f.s.CreateAPIKey(f.ctx, k), "CreateAPIKey")
		c := f.lastCursor()
		f.ok(f.s.RevokeAPIKey(f.ctx, k.ID, at(time.Hour).In(elsewhere), f.ev("api_key.revoked", "", k.ID)), "RevokeAPIKey")
		f.wantEventTypes(c, "RevokeAPIKey", "api_key.revoked")
		f.ok(f.s.RevokeAPIKey(f.ctx, k.ID, at(2*time.Hour)), "second RevokeAPIKey")
		got, err := f.s.GetAPIKeyByDigest(f.ctx, k.Digest)
		f.ok(err, "GetAPIKeyByDigest of a revoked key")
		f.utcOnly("revoked key", got)
		if !got.RevokedAt.Equal(at(time.Hour)) {
			f.Fatalf("RevokedAt = %v, want the first revocation %v", got.RevokedAt, at(time.Hour))
		}
		f.is(f.s.RevokeAPIKey(f.ctx, "key_missing", t0), store.ErrNotFound, "RevokeAPIKey of an unknown key")
		f.ok(f.s.TouchAPIKey(f.ctx, k.ID, at(3*time.Hour).In(elsewhere)), "TouchAPIKey")
		got, err = f.s.GetAPIKeyByDigest(f.ctx, k.Digest)
		f.ok(err, "GetAPIKeyByDigest")
		f.utcOnly("touched key", got)
		// A touch may be coalesced or deferred, but never records another time.
		if !got.LastUsedAt.IsZero() && !got.LastUsedAt.Equal(at(3*time.Hour)) {
			f.Fatalf("LastUsedAt = %v, want %v (or not yet recorded)", got.LastUsedAt, at(3*time.Hour))
		}
		f.ok(f.s.TouchAPIKey(f.ctx, "key_missing", t0), "TouchAPIKey of an unknown key")
	}},
	{"InvalidDuplicates", func(f *fixture) {
		good := store.APIKey{ID: "key_1", Name: "CI", Digest: digest("key_1"), CreatedAt: t0}
		for name, mod := range map[string]func(*store.APIKey){
			"no id":        func(k *store.APIKey) { k.ID = "" },
			"no name":      func(k *store.APIKey) { k.Name = "" },
			"short digest": func(k *store.APIKey) { k.Digest = k.Digest[:20] },
		} {
			k := good
			mod(&k)
			f.is(f.s.CreateAPIKey(f.ctx, &k, f.ev("api_key.created", "", k.ID)), store.ErrInvalid, "CreateAPIKey with %s", name)
		}
		f.is(f.s.CreateAPIKey(f.ctx, nil), store.ErrInvalid, "CreateAPIKey(nil)")
		_, err := f.s.GetAPIKeyByDigest(f.ctx, nil)
		f.is(err, store.ErrInvalid, "GetAPIKeyByDigest(nil)")
		f.is(f.s.RevokeAPIKey(f.ctx, "", t0), store.ErrInvalid, "RevokeAPIKey(\"\")")
		f.is(f.s.TouchAPIKey(f.ctx, "", t0), store.ErrInvalid, "TouchAPIKey(\"\")")
		f.noEventsSince(0, "invalid writes")
		f.ok(f.s.CreateAPIKey(f.ctx, &good), "CreateAPIKey")
		dup := good
		dup.Digest = digest("other")
		f.is(f.s.CreateAPIKey(f.ctx, &dup), store.ErrAlreadyExists, "CreateAPIKey with a taken id")
		dup = good
		dup.ID = "key_2"
		f.is(f.s.CreateAPIKey(f.ctx, &dup), store.ErrAlreadyExists, "CreateAPIKey with a taken digest")
		list, err := f.s.ListAPIKeys(f.ctx)
		f.ok(err, "ListAPIKeys")
		if len(list) != 1 {
			f.Fatalf("ListAPIKeys after refused creates: %d keys", len(list))
		}
	}},
}

var attemptTests = []subtest{
	{"CountPerWindow", func(f *fixture) {
		count := func(key string, start time.Time, want int64) {
			f.Helper()
			got, err := f.s.CountAttempt(f.ctx, key, start.In(elsewhere), start.Add(time.Minute))
			f.ok(err, "CountAttempt")
			if got != want {
				f.Fatalf("CountAttempt(%s, window at %v) = %d, want %d", key, start.Sub(t0), got, want)
			}
		}
		count("redeem:192.0.2.1", t0, 1)
		count("redeem:192.0.2.1", t0, 2)
		count("redeem:192.0.2.1", t0, 3)
		count("redeem:192.0.2.2", t0, 1)               // keys are independent
		count("redeem:192.0.2.1", at(-time.Minute), 4) // a slower clock counts in the stored window
		count("redeem:192.0.2.1", at(time.Minute), 1)  // the next window starts again
		count("redeem:192.0.2.1", at(time.Minute), 2)
		count("redeem:192.0.2.1", t0, 3)
	}},
	{"Expiry", func(f *fixture) {
		_, err := f.s.CountAttempt(f.ctx, "a", t0, at(time.Minute))
		f.ok(err, "CountAttempt")
		_, err = f.s.CountAttempt(f.ctx, "b", at(time.Minute), at(2*time.Minute))
		f.ok(err, "CountAttempt")
		n, err := f.s.DeleteExpired(f.ctx, at(time.Minute))
		f.ok(err, "DeleteExpired")
		if n != 1 {
			f.Fatalf("DeleteExpired at the end of one window removed %d rows, want 1", n)
		}
		got, err := f.s.CountAttempt(f.ctx, "b", at(time.Minute), at(2*time.Minute))
		f.ok(err, "CountAttempt")
		if got != 2 {
			f.Fatalf("the counter of a window not ended was removed: count %d, want 2", got)
		}
		got, err = f.s.CountAttempt(f.ctx, "a", t0, at(time.Minute))
		f.ok(err, "CountAttempt")
		if got != 1 {
			f.Fatalf("the counter of an ended window was kept: count %d, want 1", got)
		}
	}},
	{"Invalid", func(f *fixture) {
		for name, args := range map[string]struct {
			key        string
			start, end time.Time
		}{
			"no key":           {"", t0, at(time.Minute)},
			"key too long":     {strings.Repeat("k", store.MaxRateKeyLength+1), t0, at(time.Minute)},
			"no start":         {"k", time.Time{}, at(time.Minute)},
			"end before start": {"k", at(time.Minute), t0},
			"empty window":     {"k", t0, t0},
		} {
			_, err := f.s.CountAttempt(f.ctx, args.key, args.start, args.end)
			f.is(err, store.ErrInvalid, "CountAttempt with %s", name)
		}
		got, err := f.s.CountAttempt(f.ctx, strings.Repeat("k", store.MaxRateKeyLength), t0, at(time.Minute))
		f.ok(err, "CountAttempt with the longest key")
		if got != 1 {
			f.Fatalf("CountAttempt after refused calls = %d, want 1", got)
		}
	}},
}

var leaseTests = []subtest{
	{"AcquireRelease", func(f *fixture) {
		acquire := func(holder string, now, until time.Time, want bool) {
			f.Helper()
			got, err := f.s.AcquireLease(f.ctx, "webhooks", holder, now, until)
			f.ok(err, "AcquireLease")
			if got != want {
				f.Fatalf("AcquireLease(%s, now %v) = %v, want %v", holder, now.Sub(t0), got, want)
			}
		}
		acquire("a", t0, at(time.Minute), true)
		acquire("b", at(30*time.Second), at(2*time.Minute), false)
		acquire("a", at(30*time.Second), at(2*time.Minute), true) // renewal
		acquire("b", at(time.Minute), at(3*time.Minute), false)   // the renewal holds
		acquire("b", at(2*time.Minute-time.Microsecond), at(3*time.Minute), false)
		acquire("b", at(2*time.Minute), at(3*time.Minute), true) // expired at now
		acquire("a", at(2*time.Minute), at(4*time.Minute), false)
		// Other names are independent.
		other, err := f.s.AcquireLease(f.ctx, "domains", "a", at(2*time.Minute), at(3*time.Minute))
		f.ok(err, "AcquireLease")
		if !other {
			f.Fatalf("AcquireLease of another name refused")
		}
		f.ok(f.s.ReleaseLease(f.ctx, "webhooks", "a"), "ReleaseLease by a non-holder")
		acquire("a", at(2*time.Minute), at(4*time.Minute), false)
		f.ok(f.s.ReleaseLease(f.ctx, "webhooks", "b"), "ReleaseLease")
		acquire("a", at(2*time.Minute), at(4*time.Minute), true)
		f.ok(f.s.ReleaseLease(f.ctx, "never", "a"), "ReleaseLease of an unknown lease")
	}},
	{"Invalid", func(f *fixture) {
		for name, args := range map[string]struct {
			name, holder string
			now, until   time.Time
		}{
			"no name":            {"", "a", t0, at(time.Minute)},
			"no holder":          {"l", "", t0, at(time.Minute)},
			"until before now":   {"l", "a", at(time.Minute), t0},
			"until equal to now": {"l", "a", t0, t0},
		} {
			_, err := f.s.AcquireLease(f.ctx, args.name, args.holder, args.now, args.until)
			f.is(err, store.ErrInvalid, "AcquireLease with %s", name)
		}
		f.is(f.s.ReleaseLease(f.ctx, "", "a"), store.ErrInvalid, "ReleaseLease with no name")
		ok, err := f.s.AcquireLease(f.ctx, "l", "b", t0, at(time.Minute))
		f.ok(err, "AcquireLease")
		if !ok {
			f.Fatalf("lease taken by invalid calls")
		}
	}},
}

var deleteExpiredTests = []subtest{
	{"Removes", func(f *fixture) {
		org := f.mkOrg()
		now := at(100 * 24 * time.Hour)
		day := 24 * time.Hour
		login := func(id string, exp time.Time) {
			f.ok(f.s.CreateLoginRequest(f.ctx, &store.LoginRequest{ID: id, ConnectionID: "conn_1", Protocol: store.ProtocolSAML, CreatedAt: t0, ExpiresAt: exp}), "CreateLoginRequest")
		}
		login("req_old", now.Add(-time.Second))
		login("req_now", now)
		login("req_live", now.Add(time.Second))
		f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_old", now.Add(-time.Hour), t0), "ConsumeAssertionID")
		f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_live", now.Add(time.Hour), t0), "ConsumeAssertionID")
		shareable := f.mkLink(org.ID, store.LinkShareable, now.Add(20*day))
		sessOld, sessLive := f.newSession(now), f.newSession(now.Add(time.Hour))
		_, err := f.s.RedeemPortalLink(f.ctx, shareable.Digest, t0, sessOld)
		f.ok(err, "RedeemPortalLink")
		_, err = f.s.RedeemPortalLink(f.ctx, shareable.Digest, t0, sessLive)
		f.ok(err, "RedeemPortalLink")
		embOld := f.mkLink(org.ID, store.LinkEmbedded, now.Add(-time.Minute))
		embLive := f.mkLink(org.ID, store.LinkEmbedded, now.Add(time.Minute))
		shareRecent := f.mkLink(org.ID, store.LinkShareable, now.Add(-29*day))
		shareOld := f.mkLink(org.ID, store.LinkShareable, now.Add(-31*day))
		f.ok(f.s.RevokePortalLink(f.ctx, shareRecent.ID, t0), "RevokePortalLink")

		n, err := f.s.DeleteExpired(f.ctx, now.In(elsewhere))
		f.ok(err, "DeleteExpired")
		// req_old, req_now, _old, sessOld, embOld, shareOld.
		if n != 6 {
			f.Fatalf("DeleteExpired removed %d rows, want 6", n)
		}
		for id, want := range map[string]error{"req_old": store.ErrNotFound, "req_now": store.ErrNotFound, "req_live": nil} {
			_, err := f.s.ConsumeLoginRequest(f.ctx, id, store.LoginRequestMatch{}, t0)
			if !errors.Is(err, want) {
				f.Fatalf("login request %s after DeleteExpired: %v, want %v", id, err, want)
			}
		}
		f.ok(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_old", now.Add(time.Hour), t0), "assertion id removed by DeleteExpired")
		f.is(f.s.ConsumeAssertionID(f.ctx, "conn_1", "_live", now.Add(time.Hour), t0), store.ErrAlreadyExists, "assertion id kept by DeleteExpired")
		_, err = f.s.GetPortalSession(f.ctx, sessOld.Digest, t0)
		f.is(err, store.ErrNotFound, "expired session after DeleteExpired")
		_, err = f.s.GetPortalSession(f.ctx, sessLive.Digest, t0)
		f.ok(err, "live session after DeleteExpired")
		for _, l := range []*store.PortalLink{embOld, shareOld} {
			_, err = f.s.GetPortalLink(f.ctx, l.ID)
			f.is(err, store.ErrNotFound, "link %s after DeleteExpired", l.ID)
		}
		for _, l := range []*store.PortalLink{embLive, shareRecent, shareable} {
			_, err = f.s.GetPortalLink(f.ctx, l.ID)
			f.ok(err, "link %s after DeleteExpired", l.ID)
		}
		n, err = f.s.DeleteExpired(f.ctx, now)
		f.ok(err, "second DeleteExpired")
		if n != 0 {
			f.Fatalf("second DeleteExpired removed %d rows, want 0", n)
		}
	}},
}

var contextTests = []subtest{
	{"NilFunctions", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		dom := f.mkDomain(org.ID, "acme.example", store.DomainPending)
		conn := f.mkConn(org.ID, store.ProtocolOIDC)
		u := f.mkUser(d.ID, "alice", nil)
		g := f.mkGroup(d.ID, "Admins")
		var err error
		_, err = f.s.UpdateOrganization(f.ctx, org.ID, nil)
		f.is(err, store.ErrInvalid, "UpdateOrganization with a nil function")
		_, err = f.s.UpdateDomain(f.ctx, dom.ID, nil)
		f.is(err, store.ErrInvalid, "UpdateDomain with a nil function")
		_, err = f.s.UpdateConnection(f.ctx, conn.ID, nil)
		f.is(err, store.ErrInvalid, "UpdateConnection with a nil function")
		_, err = f.s.UpdateDirectory(f.ctx, d.ID, nil)
		f.is(err, store.ErrInvalid, "UpdateDirectory with a nil function")
		_, err = f.s.UpdateDirectoryUser(f.ctx, d.ID, u.ID, nil)
		f.is(err, store.ErrInvalid, "UpdateDirectoryUser with a nil function")
		_, err = f.s.UpdateDirectoryGroup(f.ctx, d.ID, g.ID, nil, nil)
		f.is(err, store.ErrInvalid, "UpdateDirectoryGroup with a nil function")
		if got := f.getUser(d.ID, u.ID); got.Version != 1 {
			f.Fatalf("user changed by an update with a nil function: Version %d", got.Version)
		}
	}},
	{"Cancelled", func(f *fixture) {
		org := f.mkOrg()
		d := f.mkDir(org.ID)
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		c := f.lastCursor()
		err := f.s.CreateOrganization(ctx, &store.Organization{ID: "org_cancelled", Name: "X", CreatedAt: t0}, f.ev("organization.created", "", ""))
		f.is(err, context.Canceled, "CreateOrganization with a cancelled context")
		err = f.s.CreateDirectoryUser(ctx, &store.DirectoryUser{ID: "usr_cancelled", DirectoryID: d.ID, UserName: "x", CreatedAt: t0}, f.ev("directory.user.created", "", ""))
		f.is(err, context.Canceled, "CreateDirectoryUser with a cancelled context")
		_, err = f.s.UpdateDirectory(ctx, d.ID, func(x *store.Directory) ([]store.Event, error) {
			x.Name = "changed"
			return []store.Event{f.ev("directory.updated", "", "")}, nil
		})
		f.is(err, context.Canceled, "UpdateDirectory with a cancelled context")
		_, err = f.s.AppendEvents(ctx, f.ev("x", "", ""))
		f.is(err, context.Canceled, "AppendEvents with a cancelled context")
		_, err = f.s.GetOrganization(ctx, org.ID)
		f.is(err, context.Canceled, "GetOrganization with a cancelled context")
		f.noEventsSince(c, "writes with a cancelled context")
		_, err = f.s.GetOrganization(f.ctx, "org_cancelled")
		f.is(err, store.ErrNotFound, "organization created with a cancelled context")
		_, err = f.s.GetDirectoryUser(f.ctx, d.ID, "usr_cancelled")
		f.is(err, store.ErrNotFound, "user created with a cancelled context")
		got, err := f.s.GetDirectory(f.ctx, d.ID)
		f.ok(err, "GetDirectory")
		f.equal("directory updated with a cancelled context", got, d)
	}},
}
