package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// mkUserSession stores an end-user session of conn (in org) for user,
// idle for an hour, absolute for a day, after applying mod. A user that is
// not yet an active directory user of org is created in the directory
// "dir_"+org.
func (f *fixture) mkUserSession(org, conn, user string, mod func(*store.Session)) *store.Session {
	f.Helper()
	id := f.id("ses")
	s := &store.Session{
		ID: id, Digest: digest(id), OrgID: org, ConnectionID: conn, UserID: user,
		Subject: "subject-" + user, NameID: "nameid-" + user,
		SessionIndex: "idx-" + id, SID: "sid-" + id, IDToken: "idtoken-" + id,
		Profile:   json.RawMessage(`{"email":"` + user + `@example.com"}`),
		CreatedAt: t0, LastSeenAt: t0, IdleExpiresAt: at(time.Hour), ExpiresAt: at(24 * time.Hour),
	}
	if mod != nil {
		mod(s)
	}
	f.ensureConn(org, s.ConnectionID)
	if s.UserID != "" {
		f.ensureUser(org, s.UserID)
	}
	f.ok(f.s.CreateSession(f.ctx, s), "CreateSession")
	return s
}

// ensureConn makes id an active OIDC connection of org, unless it is a
// connection already.
func (f *fixture) ensureConn(org, id string) {
	f.Helper()
	err := f.s.CreateConnection(f.ctx, &store.Connection{ID: id, OrgID: org, Protocol: store.ProtocolOIDC, Provider: "okta", Name: "Okta",
		State: store.ConnectionActive, OIDC: oidcConfig(), CreatedAt: t0, UpdatedAt: t0})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		f.Fatalf("CreateConnection: %v", err)
	}
}

// ensureUser makes id an active directory user of org, in the directory
// "dir_"+org, unless it is one already.
func (f *fixture) ensureUser(org, id string) {
	f.Helper()
	dir := "dir_" + org
	err := f.s.CreateDirectory(f.ctx, &store.Directory{ID: dir, OrgID: org, Provider: "okta", Name: "Okta", State: store.DirectoryActive, CreatedAt: t0, UpdatedAt: t0})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		f.Fatalf("CreateDirectory: %v", err)
	}
	err = f.s.CreateDirectoryUser(f.ctx, &store.DirectoryUser{ID: id, DirectoryID: dir, UserName: id + "@" + org + ".example", Active: true, CreatedAt: t0, UpdatedAt: t0})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		f.Fatalf("CreateDirectoryUser: %v", err)
	}
}

// active returns the ids of the sessions of sel that have not ended.
func (f *fixture) activeSessions(sel store.SessionSelector) []string {
	f.Helper()
	list, err := f.s.ListSessions(f.ctx, sel)
	f.ok(err, "ListSessions")
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	return ids
}

var sessionTests = []subtest{
	{"CreateGet", func(f *fixture) {
		org := f.mkOrg()
		s := &store.Session{
			ID: "ses_1", Digest: digest("ses_1"), OrgID: org.ID, ConnectionID: "conn_1", UserID: "u1",
			Subject: "ann@example.com", EmailDomain: "example.com", NameID: "ann@example.com",
			SessionIndex: "_idx1", SID: "sid1", Profile: json.RawMessage(`{"email":"ann@example.com","groups":["a"]}`),
			CreatedAt: t0.In(elsewhere), LastSeenAt: t0.In(elsewhere),
			IdleExpiresAt: at(time.Hour).In(elsewhere), ExpiresAt: at(8 * time.Hour).In(elsewhere),
		}
		f.ensureConn(org.ID, "conn_1")
		f.ensureUser(org.ID, "u1")
		f.mkDomain(org.ID, "example.com", store.DomainVerified)
		c := f.lastCursor()
		f.ok(f.s.CreateSession(f.ctx, s, f.ev("session.started", org.ID, s.ID)), "CreateSession")
		f.wantEventTypes(c, "CreateSession", "session.started")
		want := normalized(s).(*store.Session)
		got, err := f.s.GetSession(f.ctx, digest("ses_1"), at(time.Minute))
		f.ok(err, "GetSession")
		f.utcOnly("GetSession", got)
		f.equal("GetSession", got, want)

		got.Digest[0] ^= 0xff
		got.Profile[0] = '['
		s.Profile[1] = 'x'
		again, err := f.s.GetSession(f.ctx, digest("ses_1"), at(time.Minute))
		f.ok(err, "GetSession after mutating copies")
		f.equal("session after mutating copies", again, want)

		_, err = f.s.GetSession(f.ctx, digest("unknown"), at(time.Minute))
		f.is(err, store.ErrNotFound, "GetSession of an unknown digest")
		dup := *want
		dup.Digest = digest("other")
		f.is(f.s.CreateSession(f.ctx, &dup), store.ErrAlreadyExists, "CreateSession with a taken id")
		dup = *want
		dup.ID = "ses_2"
		f.is(f.s.CreateSession(f.ctx, &dup), store.ErrAlreadyExists, "CreateSession with a taken digest")
		dup.Digest, dup.OrgID = digest("ses_2"), "org_missing"
		f.is(f.s.CreateSession(f.ctx, &dup), store.ErrNotFound, "CreateSession in an unknown organization")
	}},
	{"Invalid", func(f *fixture) {
		org := f.mkOrg()
		good := store.Session{ID: "ses_1", Digest: digest("ses_1"), OrgID: org.ID, ConnectionID: "conn_1",
			CreatedAt: t0, IdleExpiresAt: at(time.Hour), ExpiresAt: at(2 * time.Hour)}
		for name, mod := range map[string]func(*store.Session){
			"no id":         func(s *store.Session) { s.ID = "" },
			"no org":        func(s *store.Session) { s.OrgID = "" },
			"no connection": func(s *store.Session) { s.ConnectionID = "" },
			"short digest":  func(s *store.Session) { s.Digest = s.Digest[:16] },
			"no expiry":     func(s *store.Session) { s.ExpiresAt = time.Time{} },
			"no idle":       func(s *store.Session) { s.IdleExpiresAt = time.Time{} },
			"ended":         func(s *store.Session) { s.EndedAt = t0 },
			"bad profile":   func(s *store.Session) { s.Profile = json.RawMessage(`{`) },
			"NUL in sid":    func(s *store.Session) { s.SID = "a\x00b" },
		} {
			s := good
			mod(&s)
			f.is(f.s.CreateSession(f.ctx, &s), store.ErrInvalid, "CreateSession with %s", name)
		}
		end := store.SessionEnd{Reason: store.SessionEndedLogout, At: t0}
		for name, sel := range map[string]store.SessionSelector{
			"empty":               {},
			"user without org":    {UserID: "u1"},
			"sid without conn":    {OrgID: org.ID, SID: "s"},
			"nameid without conn": {OrgID: org.ID, NameID: "n"},
			"short digest":        {SessionDigest: []byte{1}},
		} {
			_, err := f.s.EndSessions(f.ctx, sel, end)
			f.is(err, store.ErrInvalid, "EndSessions with %s", name)
			_, err = f.s.ListSessions(f.ctx, sel)
			f.is(err, store.ErrInvalid, "ListSessions with %s", name)
		}
		_, err := f.s.EndSessions(f.ctx, store.SessionSelector{OrgID: org.ID}, store.SessionEnd{At: t0})
		f.is(err, store.ErrInvalid, "EndSessions without a reason")
		_, err = f.s.EndSessions(f.ctx, store.SessionSelector{OrgID: org.ID}, store.SessionEnd{Reason: "x"})
		f.is(err, store.ErrInvalid, "EndSessions without a time")
	}},
	{"AccessTakenAway", func(f *fixture) {
		// A session is not created for access taken away since the login
		// was accepted.
		org, org2 := f.mkOrg(), f.mkOrg()
		f.ensureUser(org.ID, "u_active")
		f.ensureUser(org.ID, "u_gone")
		_, err := f.s.UpdateDirectoryUser(f.ctx, "dir_"+org.ID, "u_gone", func(u *store.DirectoryUser) ([]store.Event, error) {
			u.Active = false
			return nil, nil
		})
		f.ok(err, "deactivate")
		f.ensureUser(org2.ID, "u_other")
		f.mkDomain(org.ID, "verified.example", store.DomainVerified)
		f.mkDomain(org.ID, "pending.example", store.DomainPending)
		f.mkDomain(org2.ID, "theirs.example", store.DomainVerified)
		f.ensureConn(org.ID, "c")
		f.ensureConn(org2.ID, "c_other")
		f.ensureConn(org.ID, "c_draft")
		_, err = f.s.UpdateConnection(f.ctx, "c_draft", func(c *store.Connection) ([]store.Event, error) {
			c.State = store.ConnectionDraft
			return nil, nil
		})
		f.ok(err, "UpdateConnection")
		for name, mod := range map[string]func(*store.Session){
			"unknown connection":                func(s *store.Session) { s.ConnectionID = "c_nope" },
			"another organization's connection": func(s *store.Session) { s.ConnectionID = "c_other" },
			"draft connection":                  func(s *store.Session) { s.ConnectionID = "c_draft" },
			"inactive user":                     func(s *store.Session) { s.UserID = "u_gone" },
			"unknown user":                      func(s *store.Session) { s.UserID = "u_nobody" },
			"another organization's user":       func(s *store.Session) { s.UserID = "u_other" },
			"unverified domain":                 func(s *store.Session) { s.EmailDomain = "pending.example" },
			"another organization's domain":     func(s *store.Session) { s.EmailDomain = "theirs.example" },
		} {
			id := f.id("ses")
			s := &store.Session{ID: id, Digest: digest(id), OrgID: org.ID, ConnectionID: "c", UserID: "u_active", EmailDomain: "verified.example",
				CreatedAt: t0, IdleExpiresAt: at(time.Hour), ExpiresAt: at(time.Hour)}
			mod(s)
			c := f.lastCursor()
			f.is(f.s.CreateSession(f.ctx, s, f.ev("session.started", org.ID, id)), store.ErrConflict, "CreateSession with %s", name)
			f.noEventsSince(c, name)
		}
		f.mkUserSession(org.ID, "c", "u_active", func(s *store.Session) { s.EmailDomain = "verified.example" })
	}},
	{"Expiry", func(f *fixture) {
		org := f.mkOrg()
		s := f.mkUserSession(org.ID, "conn_1", "u1", func(s *store.Session) {
			s.IdleExpiresAt, s.ExpiresAt = at(10*time.Minute), at(time.Hour)
		})
		_, err := f.s.GetSession(f.ctx, s.Digest, at(10*time.Minute))
		f.is(err, store.ErrExpired, "GetSession at the idle expiry")
		f.ok(f.s.TouchSession(f.ctx, s.ID, at(5*time.Minute), at(15*time.Minute)), "TouchSession")
		got, err := f.s.GetSession(f.ctx, s.Digest, at(10*time.Minute))
		f.ok(err, "GetSession after a touch")
		if !got.LastSeenAt.Equal(at(5*time.Minute)) || !got.IdleExpiresAt.Equal(at(15*time.Minute)) {
			f.Fatalf("after TouchSession: last seen %v, idle expiry %v", got.LastSeenAt, got.IdleExpiresAt)
		}
		// An earlier idle expiry is ignored; a later one is capped at the
		// absolute expiry.
		f.ok(f.s.TouchSession(f.ctx, s.ID, at(6*time.Minute), at(11*time.Minute)), "TouchSession earlier")
		f.ok(f.s.TouchSession(f.ctx, s.ID, at(7*time.Minute), at(5*time.Hour)), "TouchSession past the absolute expiry")
		got, err = f.s.GetSession(f.ctx, s.Digest, at(30*time.Minute))
		f.ok(err, "GetSession")
		if !got.IdleExpiresAt.Equal(at(time.Hour)) || !got.LastSeenAt.Equal(at(7*time.Minute)) {
			f.Fatalf("idle expiry %v (want the absolute %v), last seen %v", got.IdleExpiresAt, at(time.Hour), got.LastSeenAt)
		}
		_, err = f.s.GetSession(f.ctx, s.Digest, at(time.Hour))
		f.is(err, store.ErrExpired, "GetSession at the absolute expiry")
		f.ok(f.s.TouchSession(f.ctx, "ses_missing", at(time.Minute), at(time.Hour)), "TouchSession of an unknown session")
		// Touching an expired session does not revive it.
		f.ok(f.s.TouchSession(f.ctx, s.ID, at(2*time.Hour), at(3*time.Hour)), "TouchSession of an expired session")
		_, err = f.s.GetSession(f.ctx, s.Digest, at(59*time.Minute))
		f.ok(err, "GetSession before the absolute expiry")
	}},
	{"EndSessionsBySelector", func(f *fixture) {
		orgA, orgB := f.mkOrg(), f.mkOrg()
		a1 := f.mkUserSession(orgA.ID, "connA", "u1", nil)
		a2 := f.mkUserSession(orgA.ID, "connA", "u1", nil)
		a3 := f.mkUserSession(orgA.ID, "connA2", "u2", nil)
		b1 := f.mkUserSession(orgB.ID, "connB", "u1b", func(s *store.Session) { s.Subject, s.NameID = "subject-u1", "nameid-u1" }) // same subject, other tenant
		all := []string{a1.ID, a2.ID, a3.ID}
		_ = all
		for _, tc := range []struct {
			name string
			sel  store.SessionSelector
			want []string
		}{
			{"by digest", store.SessionSelector{SessionDigest: a1.Digest}, []string{a1.ID}},
			{"by id", store.SessionSelector{ID: a2.ID}, []string{a2.ID}},
			{"by user", store.SessionSelector{OrgID: orgA.ID, UserID: "u1"}, []string{a1.ID, a2.ID}},
			{"by subject", store.SessionSelector{ConnectionID: "connA", Subject: "subject-u1"}, []string{a1.ID, a2.ID}},
			{"by NameID", store.SessionSelector{ConnectionID: "connA", NameID: "nameid-u1"}, []string{a1.ID, a2.ID}},
			{"by NameID and SessionIndex", store.SessionSelector{ConnectionID: "connA", NameID: "nameid-u1", SessionIndex: a2.SessionIndex}, []string{a2.ID}},
			{"by sid", store.SessionSelector{ConnectionID: "connA", SID: a1.SID}, []string{a1.ID}},
			{"sid of another connection", store.SessionSelector{ConnectionID: "connA2", SID: a1.SID}, nil},
			{"by connection", store.SessionSelector{ConnectionID: "connA2"}, []string{a3.ID}},
			{"by org", store.SessionSelector{OrgID: orgA.ID}, []string{a1.ID, a2.ID, a3.ID}},
		} {
			got := f.activeSessions(tc.sel)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				f.Fatalf("ListSessions %s = %v, want %v", tc.name, got, tc.want)
			}
		}

		c := f.lastCursor()
		end := store.SessionEnd{Reason: store.SessionEndedIdPLogout, Actor: "idp:connA", At: at(time.Minute).In(elsewhere)}
		n, err := f.s.EndSessions(f.ctx, store.SessionSelector{ConnectionID: "connA", NameID: "nameid-u1", SessionIndex: a2.SessionIndex}, end)
		f.ok(err, "EndSessions")
		if n != 1 {
			f.Fatalf("EndSessions ended %d, want 1", n)
		}
		evs := f.eventsAfter(c)
		if len(evs) != 1 || evs[0].Type != store.SessionEventEnded || evs[0].Subject != a2.ID || evs[0].OrgID != orgA.ID ||
			evs[0].Actor != "idp:connA" || !evs[0].CreatedAt.Equal(at(time.Minute)) || evs[0].ID == "" {
			f.Fatalf("events of EndSessions: %+v", evs)
		}
		var data map[string]string
		f.ok(json.Unmarshal(evs[0].Data, &data), "event data")
		if data["reason"] != store.SessionEndedIdPLogout || data["connection_id"] != "connA" || data["user_id"] != "u1" {
			f.Fatalf("event data %v", data)
		}
		got, err := f.s.GetSession(f.ctx, a2.Digest, at(2*time.Minute))
		f.is(err, store.ErrRevoked, "GetSession of an ended session")
		if got == nil || !got.EndedAt.Equal(at(time.Minute)) || got.EndReason != store.SessionEndedIdPLogout {
			f.Fatalf("ended session: %+v", got)
		}
		f.utcOnly("ended session", got)

		// Ending again keeps the first end and writes nothing.
		c = f.lastCursor()
		n, err = f.s.EndSessions(f.ctx, store.SessionSelector{ID: a2.ID}, store.SessionEnd{Reason: "again", At: at(time.Hour)})
		f.ok(err, "EndSessions again")
		if n != 0 {
			f.Fatalf("EndSessions of an ended session ended %d", n)
		}
		f.noEventsSince(c, "EndSessions of an ended session")
		got, _ = f.s.GetSession(f.ctx, a2.Digest, at(2*time.Minute))
		if got.EndReason != store.SessionEndedIdPLogout {
			f.Fatalf("end reason %q after a second end", got.EndReason)
		}

		// Every session of a user of org A ends; org B's keep going.
		c = f.lastCursor()
		n, err = f.s.EndSessions(f.ctx, store.SessionSelector{OrgID: orgA.ID, UserID: "u1"}, store.SessionEnd{Reason: store.SessionEndedRevoked, At: at(2 * time.Minute)})
		f.ok(err, "EndSessions of a user")
		if n != 1 {
			f.Fatalf("EndSessions of a user ended %d, want 1 (the other had ended)", n)
		}
		evs = f.eventsAfter(c)
		if len(evs) != 1 || evs[0].Subject != a1.ID || evs[0].Actor != "system" {
			f.Fatalf("events: %+v", evs)
		}
		_, err = f.s.GetSession(f.ctx, b1.Digest, at(3*time.Minute))
		f.ok(err, "other tenant's session")
		_, err = f.s.GetSession(f.ctx, a3.Digest, at(3*time.Minute))
		f.ok(err, "other user's session")
		n, err = f.s.EndSessions(f.ctx, store.SessionSelector{OrgID: "org_missing"}, store.SessionEnd{Reason: "x", At: t0})
		f.ok(err, "EndSessions of an unknown organization")
		if n != 0 {
			f.Fatalf("ended %d", n)
		}
		if got := f.activeSessions(store.SessionSelector{OrgID: orgA.ID}); fmt.Sprint(got) != fmt.Sprint([]string{a3.ID}) {
			f.Fatalf("active sessions of org A: %v", got)
		}
	}},
	{"DeleteExpired", func(f *fixture) {
		org := f.mkOrg()
		idle := f.mkUserSession(org.ID, "c", "u1", func(s *store.Session) { s.IdleExpiresAt = at(time.Minute) })
		abs := f.mkUserSession(org.ID, "c", "u2", func(s *store.Session) { s.IdleExpiresAt, s.ExpiresAt = at(time.Minute), at(time.Minute) })
		ended := f.mkUserSession(org.ID, "c", "u3", nil)
		live := f.mkUserSession(org.ID, "c", "u4", nil)
		_, err := f.s.EndSessions(f.ctx, store.SessionSelector{ID: ended.ID}, store.SessionEnd{Reason: "logout", At: t0})
		f.ok(err, "EndSessions")
		n, err := f.s.DeleteExpired(f.ctx, at(time.Minute))
		f.ok(err, "DeleteExpired")
		if n != 2 {
			f.Fatalf("DeleteExpired removed %d, want 2", n)
		}
		for _, s := range []*store.Session{idle, abs} {
			_, err := f.s.GetSession(f.ctx, s.Digest, t0)
			f.is(err, store.ErrNotFound, "expired session after DeleteExpired")
		}
		_, err = f.s.GetSession(f.ctx, ended.Digest, t0)
		f.is(err, store.ErrRevoked, "an ended session is kept until it expires")
		_, err = f.s.GetSession(f.ctx, live.Digest, at(2*time.Minute))
		f.ok(err, "live session")
	}},
}

var sessionConcurrencyTests = []subtest{
	{"LoginRacesDeactivation", func(f *fixture) {
		// A login's session and the user's deactivation race: either the
		// session is refused or it is ended, never left active.
		org := f.mkOrg()
		f.ensureConn(org.ID, "c")
		for i := range 8 {
			user := fmt.Sprint("u_race", i)
			f.ensureUser(org.ID, user)
			id := f.id("ses")
			errs := race(2, func(w int) error {
				if w == 0 {
					return f.s.CreateSession(f.ctx, &store.Session{ID: id, Digest: digest(id), OrgID: org.ID, ConnectionID: "c", UserID: user,
						CreatedAt: t0, IdleExpiresAt: at(time.Hour), ExpiresAt: at(time.Hour)})
				}
				_, err := f.s.UpdateDirectoryUser(f.ctx, "dir_"+org.ID, user, func(u *store.DirectoryUser) ([]store.Event, error) {
					u.Active = false
					return nil, nil
				})
				return err
			})
			f.ok(errs[1], "deactivate")
			if errs[0] != nil {
				f.is(errs[0], store.ErrConflict, "CreateSession racing a deactivation")
				continue
			}
			_, err := f.s.GetSession(f.ctx, digest(id), at(time.Minute))
			f.is(err, store.ErrRevoked, "session created while its user was deactivated")
		}
	}},
	{"EndSessionsOnce", func(f *fixture) {
		// Concurrent ends of one user's sessions (a SCIM deactivation and
		// an IdP logout at once): every session ends once, with one event.
		org := f.mkOrg()
		var ids []string
		for range 5 {
			ids = append(ids, f.mkUserSession(org.ID, "c", "u1", nil).ID)
		}
		c := f.lastCursor()
		counts := make([]int, 8)
		errs := race(8, func(i int) error {
			n, err := f.s.EndSessions(f.ctx, store.SessionSelector{OrgID: org.ID, UserID: "u1"},
				store.SessionEnd{Reason: fmt.Sprint("r", i), At: at(time.Minute)})
			counts[i] = n
			return err
		})
		for _, err := range errs {
			f.ok(err, "EndSessions")
		}
		total := 0
		for _, n := range counts {
			total += n
		}
		if total != len(ids) {
			f.Fatalf("sessions ended %d times in all, want %d", total, len(ids))
		}
		seen := map[string]bool{}
		for _, e := range f.eventsAfter(c) {
			if seen[e.Subject] {
				f.Fatalf("two session.ended events for %s", e.Subject)
			}
			seen[e.Subject] = true
		}
		if len(seen) != len(ids) {
			f.Fatalf("%d events, want %d", len(seen), len(ids))
		}
	}},
}

// sessionRevocationTests check that every change that takes a person's
// access away ends their sessions in the same write, with one
// session.ended event each, and leaves other sessions alone.
var sessionRevocationTests = []subtest{
	{"UserDeactivated", func(f *fixture) {
		r := f.revocationSetup()
		c := f.lastCursor()
		_, err := f.s.UpdateDirectoryUser(f.ctx, r.dir.ID, r.user.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
			u.Active = false
			u.UpdatedAt = at(time.Hour)
			ev := f.ev("directory.user.updated", u.OrgID, u.ID)
			ev.Actor, ev.CreatedAt = "scim:"+r.dir.ID, at(time.Hour)
			return []store.Event{ev}, nil
		})
		f.ok(err, "UpdateDirectoryUser")
		f.wantEnded(c, r, store.SessionEndedUserDeactivated, "scim:"+r.dir.ID, r.mine...)
		// A second update of an inactive user ends nothing more.
		c = f.lastCursor()
		_, err = f.s.UpdateDirectoryUser(f.ctx, r.dir.ID, r.user.ID, func(u *store.DirectoryUser) ([]store.Event, error) {
			u.DisplayName = "again"
			return nil, nil
		})
		f.ok(err, "UpdateDirectoryUser again")
		f.noEventsSince(c, "update of an inactive user")
	}},
	{"UserDeleted", func(f *fixture) {
		r := f.revocationSetup()
		c := f.lastCursor()
		f.ok(f.s.DeleteDirectoryUser(f.ctx, r.dir.ID, r.user.ID, func(u *store.DirectoryUser, _ []string) []store.Event {
			ev := f.ev("directory.user.deleted", u.OrgID, u.ID)
			ev.Actor = "scim:" + r.dir.ID
			return []store.Event{ev}
		}), "DeleteDirectoryUser")
		f.wantEnded(c, r, store.SessionEndedUserDeleted, "scim:"+r.dir.ID, r.mine...)
	}},
	{"DirectoryDeleted", func(f *fixture) {
		r := f.revocationSetup()
		c := f.lastCursor()
		f.ok(f.s.DeleteDirectory(f.ctx, r.dir.ID, f.ev("directory.deleted", r.org.ID, r.dir.ID)), "DeleteDirectory")
		f.wantEnded(c, r, store.SessionEndedDirectoryDeleted, "system", r.all...)
	}},
	{"ConnectionDeactivated", func(f *fixture) {
		r := f.revocationSetup()
		c := f.lastCursor()
		_, err := f.s.UpdateConnection(f.ctx, r.conn.ID, func(cn *store.Connection) ([]store.Event, error) {
			cn.State = store.ConnectionInactive
			return []store.Event{f.ev("connection.deactivated", cn.OrgID, cn.ID)}, nil
		})
		f.ok(err, "UpdateConnection")
		f.wantEnded(c, r, store.SessionEndedConnectionDeactivated, "system", r.viaConn...)
	}},
	{"ConnectionDeleted", func(f *fixture) {
		r := f.revocationSetup()
		c := f.lastCursor()
		f.ok(f.s.DeleteConnection(f.ctx, r.conn.ID, f.ev("connection.deleted", r.org.ID, r.conn.ID)), "DeleteConnection")
		f.wantEnded(c, r, store.SessionEndedConnectionDeleted, "system", r.viaConn...)
	}},
	{"DomainUnverified", func(f *fixture) {
		r := f.revocationSetup()
		c := f.lastCursor()
		_, err := f.s.UpdateDomain(f.ctx, r.domain.ID, func(d *store.Domain) ([]store.Event, error) {
			d.State, d.VerifiedAt = store.DomainFailed, time.Time{}
			return []store.Event{f.ev("domain.failed", d.OrgID, d.ID)}, nil
		})
		f.ok(err, "UpdateDomain")
		f.wantEnded(c, r, store.SessionEndedDomainUnverified, "system", r.viaDomain...)
	}},
	{"DomainDeleted", func(f *fixture) {
		r := f.revocationSetup()
		c := f.lastCursor()
		f.ok(f.s.DeleteDomain(f.ctx, r.domain.ID, f.ev("domain.deleted", r.org.ID, r.domain.ID)), "DeleteDomain")
		f.wantEnded(c, r, store.SessionEndedDomainUnverified, "system", r.viaDomain...)
	}},
	{"OrganizationDeleted", func(f *fixture) {
		r := f.revocationSetup()
		c := f.lastCursor()
		f.ok(f.s.DeleteOrganization(f.ctx, r.org.ID, f.ev("organization.deleted", r.org.ID, r.org.ID)), "DeleteOrganization")
		var ended []string
		for _, e := range f.eventsAfter(c) {
			if e.Type == store.SessionEventEnded {
				ended = append(ended, e.Subject)
			}
		}
		if fmt.Sprint(ended) != fmt.Sprint(r.all) {
			f.Fatalf("sessions ended with the organization: %v, want %v", ended, r.all)
		}
		_, err := f.s.GetSession(f.ctx, r.sessions[r.all[0]].Digest, at(time.Minute))
		f.is(err, store.ErrNotFound, "session of a deleted organization")
		_, err = f.s.GetSession(f.ctx, r.other.Digest, at(time.Minute))
		f.ok(err, "another organization's session")
	}},
}

type revocation struct {
	org    *store.Organization
	conn   *store.Connection
	dir    *store.Directory
	user   *store.DirectoryUser
	domain *store.Domain
	// ids, sorted, of the sessions each cause must end
	mine, viaConn, viaDomain, all []string
	sessions                      map[string]*store.Session
	other                         *store.Session // another organization's session of a same-named user
}

// revocationSetup makes an organization with an active connection, a
// verified domain, a directory user with two sessions, and sessions that
// no single cause ends: another user's through a second connection and
// another domain.
func (f *fixture) revocationSetup() *revocation {
	f.Helper()
	r := &revocation{org: f.mkOrg(), sessions: map[string]*store.Session{}}
	r.conn = f.mkConn(r.org.ID, store.ProtocolSAML)
	_, err := f.s.UpdateConnection(f.ctx, r.conn.ID, func(c *store.Connection) ([]store.Event, error) {
		c.State = store.ConnectionActive
		return nil, nil
	})
	f.ok(err, "activate connection")
	conn2 := f.mkConn(r.org.ID, store.ProtocolOIDC)
	_, err = f.s.UpdateConnection(f.ctx, conn2.ID, func(c *store.Connection) ([]store.Event, error) {
		c.State = store.ConnectionActive
		return nil, nil
	})
	f.ok(err, "activate the second connection")
	r.domain = f.mkDomain(r.org.ID, r.org.ID+".example", store.DomainVerified)
	r.dir = f.mkDir(r.org.ID)
	r.user = f.mkUser(r.dir.ID, "ann@"+r.domain.Name, nil)
	other := f.mkUser(r.dir.ID, "bob@elsewhere.example", nil)
	mk := func(conn, user, domain string) string {
		s := f.mkUserSession(r.org.ID, conn, user, func(s *store.Session) { s.EmailDomain = domain })
		r.sessions[s.ID] = s
		r.all = append(r.all, s.ID)
		return s.ID
	}
	a := mk(r.conn.ID, r.user.ID, r.domain.Name)
	b := mk(r.conn.ID, r.user.ID, r.domain.Name)
	c := mk(r.conn.ID, other.ID, "")
	mk(conn2.ID, other.ID, "")
	r.mine, r.viaConn, r.viaDomain = []string{a, b}, []string{a, b, c}, []string{a, b}
	org2 := f.mkOrg()
	r.other = f.mkUserSession(org2.ID, r.conn.ID+"-2", "", nil)
	return r
}

// wantEnded checks that exactly the sessions ids of r ended, for reason,
// each with one session.ended event by actor after cursor, and that r's
// other sessions are active.
func (f *fixture) wantEnded(cursor int64, r *revocation, reason, actor string, ids ...string) {
	f.Helper()
	var ended []string
	for _, e := range f.eventsAfter(cursor) {
		if e.Type != store.SessionEventEnded {
			continue
		}
		ended = append(ended, e.Subject)
		var data map[string]string
		f.ok(json.Unmarshal(e.Data, &data), "event data")
		if data["reason"] != reason || e.Actor != actor || e.OrgID != r.org.ID {
			f.Fatalf("session.ended event %+v (data %v), want reason %q by %q", e, data, reason, actor)
		}
	}
	if fmt.Sprint(ended) != fmt.Sprint(ids) {
		f.Fatalf("%s: sessions ended %v, want %v", reason, ended, ids)
	}
	end := map[string]bool{}
	for _, id := range ids {
		end[id] = true
	}
	for _, id := range r.all {
		got, err := f.s.GetSession(f.ctx, r.sessions[id].Digest, at(time.Minute))
		if end[id] {
			f.is(err, store.ErrRevoked, "GetSession of a session %s ended", reason)
			if got.EndReason != reason {
				f.Fatalf("end reason %q, want %q", got.EndReason, reason)
			}
		} else {
			f.ok(err, "GetSession of a session that %s leaves", reason)
		}
	}
	_, err := f.s.GetSession(f.ctx, r.other.Digest, at(time.Minute))
	f.ok(err, "another organization's session")
}
