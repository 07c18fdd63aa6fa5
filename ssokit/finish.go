package ssokit

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/roles"
	"github.com/onboardkit/onboardkit/store"
)

// Event types written by ssokit.
const (
	EventLoginSucceeded        = "sso.login.succeeded"
	EventLoginFailed           = "sso.login.failed"
	EventConnectionTested      = "sso.connection.tested"
	EventConnectionTestFailed  = "sso.connection.test_failed"
	EventConnectionActivated   = "sso.connection.activated"
	EventConnectionDeactivated = "sso.connection.deactivated"
	EventMetadataRefreshed     = "sso.connection.metadata_refreshed"
	EventMetadataRefreshFailed = "sso.connection.metadata_refresh_failed"
	EventCertificateExpiring   = "sso.connection.certificate_expiring"
	EventCertificateHasExpired = "sso.connection.certificate_expired"
)

// TestResult is the outcome of a "test connection" flow.
type TestResult struct {
	ConnectionID string
	OrgID        string
	// Profile holds the claims received, on success.
	Profile *Profile
	// Err is the diagnosis, on failure.
	Err *LoginError
	// State is the connection's state after the test (draft becomes tested
	// on success).
	State store.ConnectionState
}

var testPage = template.Must(template.New("test").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connection test</title></head><body>
{{if .Err}}<h1>Connection test failed</h1>
<p data-testid="reason">{{.Err.Reason}}</p><p data-testid="detail">{{.Err.Detail}}</p>
{{else}}<h1>Connection test succeeded</h1>
<dl><dt>Subject</dt><dd data-testid="subject">{{.Profile.Subject}}</dd>
<dt>Email</dt><dd data-testid="email">{{.Profile.Email}}</dd>
<dt>Name</dt><dd>{{.Profile.FirstName}} {{.Profile.LastName}}</dd>
<dt>Groups</dt><dd>{{range .Profile.Groups}}{{.}} {{end}}</dd>
{{range $k, $v := .Profile.Custom}}<dt>{{$k}}</dt><dd data-testid="custom-{{$k}}">{{$v}}</dd>{{end}}</dl>
{{with .Profile.CustomRefused}}<h2>Values refused</h2><ul>{{range .}}<li data-testid="custom-refused">{{.Error}}</li>{{end}}</ul>{{end}}
{{end}}</body></html>
`))

func defaultTestResult(w http.ResponseWriter, r *http.Request, res *TestResult) {
	setNoStore(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	if res.Err != nil {
		w.WriteHeader(StatusCode(res.Err))
	}
	_ = testPage.Execute(w, res)
}

// login is a verified login, ready to commit.
type login struct {
	conn    *store.Connection
	profile *Profile
	email   *domains.Email // the profile's parsed email, to judge; nil when none
	// lr is the pending request when it was consumed before (OIDC: it
	// holds the nonce and PKCE verifier); else commit names it.
	lr *store.LoginRequest
	// commit holds the write's checks: the connection's Version, the
	// pending request, the assertion id for the replay cache.
	commit store.LoginCompletion
}

// committed is the outcome of commitLogin: a login accepted, with the
// request it consumed and the profile as judged, or refused.
type committed struct {
	lr      *store.LoginRequest // nil for an IdP-initiated login
	profile *Profile
	refused *LoginError
	// requestRefused: refused is about the pending request itself (of
	// another connection or browser, unknown, expired), which the write
	// left as it was.
	requestRefused bool
}

// commitLogin makes the one write that accepts a verified login
// (store.CompleteLogin): it checks the connection's Version, consumes the
// pending request if it is this connection's and this browser's, records
// the assertion id, and judges the profile against the organization's
// verified domains and directory as they are at that moment, appending the
// success event. A refusal is returned in the committed value, a changed
// connection as an error wrapping store.ErrConflict; either way nothing
// was written.
func (s *SSO) commitLogin(r *http.Request, l *login) (res *committed, err error) {
	ctx, sp := s.tel.Tracer.Start(r.Context(), telemetry.SpanSSOCommit)
	defer func() {
		if res != nil {
			endVerify(sp, res.refused, err)
		} else {
			endVerify(sp, nil, err)
		}
	}()
	conn := l.conn
	lc := l.commit
	if lc.RequestID != "" {
		lc.Binding = presentedBinding(r)
	}
	if e := l.email; e != nil {
		lc.EmailDomain, lc.Email, lc.OrgID = e.Domain, e.String(), conn.OrgID
	}
	lc.OrgID, lc.OrgFacts = conn.OrgID, true
	var c committed
	got, err := s.st.CompleteLogin(ctx, lc, func(facts *store.LoginFacts) ([]store.Event, error) {
		p := *l.profile // the write may run this more than once
		c = committed{lr: l.lr, profile: &p}
		if facts.Request != nil {
			c.lr = facts.Request
		}
		test := c.lr != nil && c.lr.Test
		if !usable(conn, test) {
			c.refused = refuse(ReasonConnectionInactive, "the connection is %s", conn.State)
			return nil, c.refused
		}
		if c.refused = judgeProfile(conn, &p, l.email, facts); c.refused != nil {
			return nil, c.refused
		}
		if facts.Policy != nil && facts.Policy.SignIn == store.SignInDirectoryOnly && p.DirectoryUser == nil && !test {
			c.refused = refuse(ReasonNotProvisioned, "your organization admits only users its directory has provisioned; ask your IT admin to assign you to this application")
			c.refused.Email = p.Email
			return nil, c.refused
		}
		if rc := s.cfg.Roles; rc != nil {
			values := append(slices.Clone(p.Groups), p.Roles...)
			p.Roles = rc.ForLogin(p.DirectoryUser, values, facts.RoleMappings)
			if len(rc.Fields) > 0 {
				var idp store.CustomValues
				idp, p.CustomRefused = p.customFromIdP(rc, facts.AttributeMappings)
				var dir store.CustomValues
				if p.DirectoryUser != nil {
					dir = p.DirectoryUser.Custom
				}
				p.Custom = roles.ForLoginCustom(dir, idp)
			}
		}
		if test {
			return nil, nil // the test's event goes with the connection's update
		}
		ev, err := s.event(EventLoginSucceeded, conn.OrgID, conn.ID, "sso:"+p.ID, map[string]any{
			"profile_id": p.ID, "subject": p.Subject, "email": p.Email, "protocol": p.Protocol,
			"idp_initiated": p.IdPInitiated, "roles": p.Roles, "custom": p.Custom, "custom_refused": p.CustomRefused,
		})
		if err != nil {
			return nil, err
		}
		return []store.Event{ev}, nil
	})
	switch {
	case c.refused != nil:
		return &committed{lr: c.lr, refused: c.refused}, nil
	case errors.Is(err, store.ErrMismatch) && got != nil:
		return &committed{refused: requestMismatch(conn, got), requestRefused: true}, nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExpired):
		return &committed{refused: requestError(err, lc.RequestID), requestRefused: true}, nil
	case errors.Is(err, store.ErrAlreadyExists):
		le := refuse(ReasonReplayed, "this assertion was already used")
		le.AssertionID = lc.AssertionID
		return &committed{refused: le}, nil
	case errors.Is(err, store.ErrConflict):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("ssokit: recording login: %w", err)
	}
	if got != nil {
		c.lr = got
	}
	return &c, nil
}

// loggedIn hands a committed login to OnLogin, or to OnTestResult for a
// test flow. It returns nil, or the error recording a test ended with.
func (s *SSO) loggedIn(w http.ResponseWriter, r *http.Request, conn *store.Connection, c *committed) error {
	p := c.profile
	if c.lr != nil {
		p.ReturnTo = c.lr.ReturnTo
	}
	if p.ReturnTo == "" {
		p.ReturnTo = "/"
	}
	if c.lr != nil && c.lr.Test {
		return s.recordTest(w, r, conn, p)
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "ssokit: login", slog.String("connection", conn.ID),
		slog.String("org", conn.OrgID), slog.String("profile", p.ID), slog.Bool("idp_initiated", p.IdPInitiated))
	for _, ve := range p.CustomRefused {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "ssokit: custom attribute value refused", slog.String("connection", conn.ID),
			slog.String("org", conn.OrgID), slog.String("profile", p.ID), slog.String("field", ve.Field), slog.String("source", ve.Source), slog.String("reason", ve.Reason))
	}
	setNoStore(w)
	s.cfg.OnLogin(w, r, p)
	return nil
}

// recordTest marks conn tested after a successful test flow and reports
// the result.
func (s *SSO) recordTest(w http.ResponseWriter, r *http.Request, conn *store.Connection, p *Profile) error {
	now := s.now().UTC()
	updated, err := s.st.UpdateConnection(r.Context(), conn.ID, func(c *store.Connection) ([]store.Event, error) {
		from := c.State
		if c.State == store.ConnectionDraft {
			c.State = store.ConnectionTested
		}
		c.TestedAt = now
		c.UpdatedAt = now
		ev, err := s.event(EventConnectionTested, c.OrgID, c.ID, "system", map[string]any{
			"from": from, "to": c.State, "subject": p.Subject, "email": p.Email,
			"attributes": p.Attributes,
		})
		if err != nil {
			return nil, err
		}
		return []store.Event{ev}, nil
	})
	if err != nil {
		return s.fail(w, r, fmt.Errorf("ssokit: recording test result: %w", err))
	}
	s.forgetConnection(conn.ID)
	s.cfg.OnTestResult(w, r, &TestResult{ConnectionID: conn.ID, OrgID: conn.OrgID, Profile: p, State: updated.State})
	return nil
}

// profileEmail parses the profile's email for the checks against the
// organization's verified domains and directory (judgeProfile); nil when
// there is none to check. It refuses what needs no Store to refuse.
func profileEmail(conn *store.Connection, p *Profile) (*domains.Email, *LoginError) {
	if p.Email == "" {
		switch {
		case conn.AllowEmailOutsideDomains:
			return nil, nil
		case p.unverifiedEmail:
			return nil, refuse(ReasonEmailNotVerified, "the provider did not mark the email as verified (email_verified); it is needed to check the organization's domains")
		default:
			return nil, refuse(ReasonMissingEmail, "no email in the assertion; it is needed to check the organization's domains")
		}
	}
	e, err := domains.ParseEmail(p.Email)
	if err != nil {
		if !conn.AllowEmailOutsideDomains {
			le := &LoginError{Reason: ReasonInvalidEmail, Detail: "the asserted email is not a valid address", Err: err}
			le.Email = truncate(p.Email, 200)
			return nil, le
		}
		p.Email, p.EmailVerified = "", false
		return nil, nil
	}
	return &e, nil
}

// judgeProfile enforces the organization's verified domains and the
// directory's deactivations on the profile whose parsed email is e, from
// the facts read with the login's final write, and attaches the directory
// user. It changes p, from the state profileEmail left it in.
func judgeProfile(conn *store.Connection, p *Profile, e *domains.Email, facts *store.LoginFacts) *LoginError {
	if e == nil {
		return nil
	}
	owner := ""
	if d := facts.Domain; d != nil && d.State == store.DomainVerified && d.Name == e.Domain {
		owner = d.OrgID
	}
	switch {
	case owner == conn.OrgID:
		p.Email, p.EmailVerified = e.String(), true
	case owner != "":
		// Another organization verified this domain: no connection,
		// whatever it allows, may assert its addresses.
		le := refuse(ReasonEmailOutsideDomains, "the email's domain is verified by another organization")
		le.Email, le.Domain = e.String(), e.Domain
		return le
	case !conn.AllowEmailOutsideDomains:
		le := refuse(ReasonEmailOutsideDomains, "the email's domain is not a verified domain of the organization")
		le.Email, le.Domain = e.String(), e.Domain
		return le
	case p.emailNeedsDomain:
		// Trusted only inside the organization's verified domains.
		p.Email, p.EmailVerified = "", false
		return nil
	default:
		p.Email = e.String()
	}
	for i := range facts.DirectoryUsers {
		if u := &facts.DirectoryUsers[i]; !u.Active {
			le := refuse(ReasonUserDeactivated, "the user is deactivated in the organization's directory")
			le.Email, le.DirectoryUserID = p.Email, u.ID
			return le
		}
	}
	if len(facts.DirectoryUsers) > 0 {
		u := facts.DirectoryUsers[0]
		p.DirectoryUser = &u
		return nil
	}
	if d := facts.Deprovisioned; d != nil {
		// The directory deleted this person: no just-in-time way back in
		// until a directory provisions them again.
		le := refuse(ReasonUserDeprovisioned, "the user was removed from the organization's directory")
		le.Email, le.DirectoryUserID = p.Email, d.UserID
		return le
	}
	return nil
}

// refused reports a refused login: to OnTestResult for a test flow, else to
// ErrorHandler; always to the log, and as an event when the message is
// worth recording (it came through a flow this browser started, or its
// signature verified), so that garbage posted by anyone cannot flood the
// outbox. It returns le.
func (s *SSO) refused(w http.ResponseWriter, r *http.Request, conn *store.Connection, lr *store.LoginRequest, le *LoginError, record bool) error {
	le.ConnectionID, le.OrgID, le.Protocol = conn.ID, conn.OrgID, conn.Protocol
	ctx := r.Context()
	if lr != nil || record {
		typ := EventLoginFailed
		if lr != nil && lr.Test {
			typ = EventConnectionTestFailed
		}
		ev, err := s.event(typ, conn.OrgID, conn.ID, "system", le)
		if err == nil {
			_, err = s.st.AppendEvents(ctx, ev)
		}
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "ssokit: recording failed login", slog.Any("err", err))
		}
	}
	if lr != nil && lr.Test && le.Reason != ReasonBrowserMismatch {
		s.log.LogAttrs(ctx, slog.LevelWarn, "ssokit: connection test failed", slog.String("reason", string(le.Reason)),
			slog.String("connection", conn.ID), slog.String("detail", le.Detail), slog.Any("err", le.Err))
		s.cfg.OnTestResult(w, r, &TestResult{ConnectionID: conn.ID, OrgID: conn.OrgID, Err: le, State: conn.State})
		return le
	}
	return s.fail(w, r, le)
}

// event builds an event; data is marshalled to JSON.
func (s *SSO) event(typ, orgID, subject, actor string, data any) (store.Event, error) {
	id, err := s.newID("evt")
	if err != nil {
		return store.Event{}, err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return store.Event{}, err
	}
	return store.Event{ID: id, Type: typ, OrgID: orgID, Subject: subject, Actor: actor, Data: raw, CreatedAt: s.now().UTC()}, nil
}
