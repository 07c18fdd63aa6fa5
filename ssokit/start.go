package ssokit

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/store"
)

// StartOptions selects what a login starts with. Exactly one of
// ConnectionID, OrgID and Email is used, in that order of precedence.
type StartOptions struct {
	// ConnectionID starts a login with this connection.
	ConnectionID string
	// OrgID starts a login with the organization's only active connection;
	// with several, StartLogin returns a *ChooseConnectionError.
	OrgID string
	// Email routes through the verified domain of the address. An unknown or
	// unverified domain gives ErrNoSSO.
	Email string
	// ReturnTo is where OnLogin should send the browser afterwards. It is
	// sanitized (see SanitizeReturnTo): anything unsafe becomes "/".
	ReturnTo string
	// Test starts a "test connection" flow: the connection may be draft or
	// tested, and the result goes to OnTestResult instead of OnLogin.
	Test bool
}

// StartLogin begins a login: it records a pending login request bound to the
// browser (a cookie) and redirects the browser to the identity provider (or
// renders the auto-submitting form of the SAML HTTP-POST binding).
//
// Errors (nothing is written to w): ErrNoSSO, ErrInvalidEmail,
// ErrChooseConnection (a *ChooseConnectionError, which carries the
// connections to offer), ErrConnectionNotFound, ErrConnectionNotActive, or
// a configuration error.
func (s *SSO) StartLogin(w http.ResponseWriter, r *http.Request, opts StartOptions) (err error) {
	r, sp := telemetry.StartRequest(s.tel.Tracer, r, telemetry.SpanSSOStart, telemetry.LoginTest.Bool(opts.Test))
	defer func() {
		if err != nil && !errors.Is(err, ErrChooseConnection) {
			reason := refusalReason(err)
			if reason == "" {
				reason = "internal"
			}
			telemetry.Fail(sp, reason)
		}
		sp.End()
	}()
	conn, err := s.resolveStart(r.Context(), opts)
	if err != nil {
		return err
	}
	traceConnection(r.Context(), conn)
	return s.startWith(w, r, conn, sanitizeReturnTo(opts.ReturnTo, s.allow), opts.Test)
}

// ChooseConnectionError is the error StartLogin returns when the
// organization has several active connections: the host offers
// Connections to the user and starts again with the chosen one
// (StartOptions.ConnectionID). It matches ErrChooseConnection with
// errors.Is; get it with errors.As:
//
//	var choose *ssokit.ChooseConnectionError
//	if errors.As(err, &choose) {
//		render(choose.Connections)
//	}
type ChooseConnectionError struct {
	// OrgID is the organization the login was routed to.
	OrgID string
	// Connections are its active connections, at least two, in the order
	// the Store lists them (by creation); their secrets are included, so
	// show only ID, Name and Provider.
	Connections []store.Connection
}

// Error says that a connection must be chosen.
func (e *ChooseConnectionError) Error() string {
	return fmt.Sprintf("%s: organization %s has %d active connections", ErrChooseConnection, e.OrgID, len(e.Connections))
}

// Is reports whether target is ErrChooseConnection.
func (e *ChooseConnectionError) Is(target error) bool { return target == ErrChooseConnection }

// Connections returns the organization's active connections, to build a
// chooser.
func (s *SSO) Connections(ctx context.Context, orgID string) ([]store.Connection, error) {
	all, err := s.st.ListConnections(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []store.Connection
	for _, c := range all {
		if c.State == store.ConnectionActive {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *SSO) resolveStart(ctx context.Context, opts StartOptions) (*store.Connection, error) {
	switch {
	case opts.ConnectionID != "":
		c, err := s.getConnection(ctx, opts.ConnectionID)
		if err != nil {
			return nil, err
		}
		if opts.OrgID != "" && c.OrgID != opts.OrgID {
			return nil, ErrConnectionNotFound
		}
		return c, nil
	case opts.OrgID != "":
		conns, err := s.Connections(ctx, opts.OrgID)
		if err != nil {
			return nil, err
		}
		switch len(conns) {
		case 0:
			return nil, fmt.Errorf("%w: organization has no active connection", ErrNoSSO)
		case 1:
			return &conns[0], nil
		}
		return nil, &ChooseConnectionError{OrgID: opts.OrgID, Connections: conns}
	case opts.Email != "":
		rt, err := domains.Route(ctx, s.st, opts.Email)
		switch {
		case errors.Is(err, domains.ErrInvalidEmail):
			return nil, fmt.Errorf("%w: %w", ErrInvalidEmail, err)
		case errors.Is(err, domains.ErrNoSSO):
			return nil, fmt.Errorf("%w: %w", ErrNoSSO, err)
		case err != nil:
			return nil, err
		}
		if len(rt.Connections) > 1 {
			return nil, &ChooseConnectionError{OrgID: rt.OrgID, Connections: rt.Connections}
		}
		return &rt.Connections[0], nil
	}
	return nil, fmt.Errorf("%w: connection, organization or email is required", ErrBadRequest)
}

func (s *SSO) startWith(w http.ResponseWriter, r *http.Request, conn *store.Connection, returnTo string, test bool) error {
	if !usable(conn, test) {
		return ErrConnectionNotActive
	}
	r, sp := telemetry.StartRequest(s.tel.Tracer, r, telemetry.SpanSSOIdPRedirect)
	defer sp.End()
	switch conn.Protocol {
	case store.ProtocolSAML:
		return s.startSAML(w, r, conn, returnTo, test)
	case store.ProtocolOIDC:
		return s.startOIDC(w, r, conn, returnTo, test)
	}
	return fmt.Errorf("ssokit: connection %s has unknown protocol %q", conn.ID, conn.Protocol)
}

// newLoginRequest stores a pending request bound to the browser.
func (s *SSO) newLoginRequest(w http.ResponseWriter, r *http.Request, conn *store.Connection, id, returnTo string, test bool, fill func(*store.LoginRequest)) (*store.LoginRequest, error) {
	binding, err := s.browserBinding(w, r)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	lr := &store.LoginRequest{
		ID:           id,
		ConnectionID: conn.ID,
		OrgID:        conn.OrgID,
		Protocol:     conn.Protocol,
		Binding:      secret.Digest(binding),
		ReturnTo:     returnTo,
		Test:         test,
		CreatedAt:    now,
		ExpiresAt:    now.Add(s.cfg.RequestTTL),
	}
	if fill != nil {
		fill(lr)
	}
	if err := s.st.CreateLoginRequest(r.Context(), lr); err != nil {
		return nil, fmt.Errorf("ssokit: storing login request: %w", err)
	}
	return lr, nil
}

// consumeRequest takes the pending request id once, if it is conn's and
// was started in this browser; a request of another connection or browser
// is left pending and refused.
func (s *SSO) consumeRequest(r *http.Request, conn *store.Connection, id string) (*store.LoginRequest, *LoginError) {
	m := store.LoginRequestMatch{ConnectionID: conn.ID, Binding: presentedBinding(r)}
	lr, err := s.st.ConsumeLoginRequest(r.Context(), id, m, s.now().UTC())
	if errors.Is(err, store.ErrMismatch) && lr != nil {
		return nil, requestMismatch(conn, lr)
	}
	if le := requestError(err, id); le != nil {
		return nil, le
	}
	return lr, nil
}

// requestError is the refusal for a Store error consuming the request id.
func requestError(err error, id string) *LoginError {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		le := refuse(ReasonRequestUnknown, "no pending login request with this id: unknown, already used or foreign")
		le.InResponseTo = id
		return le
	case errors.Is(err, store.ErrExpired):
		le := refuse(ReasonRequestUnknown, "the login request expired")
		le.InResponseTo = id
		return le
	}
	return &LoginError{Reason: ReasonRequestUnknown, Detail: "store error", Err: err}
}

// requestMismatch is the refusal of a pending request lr that the Store
// would not consume for conn in this browser.
func requestMismatch(conn *store.Connection, lr *store.LoginRequest) *LoginError {
	if lr.ConnectionID != conn.ID {
		le := refuse(ReasonInResponseTo, "the login request belongs to another connection")
		le.InResponseTo = lr.ID
		return le
	}
	return refuse(ReasonBrowserMismatch, "the login was started in another browser (binding cookie missing or different)")
}

var chooserPage = template.Must(template.New("chooser").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Choose how to sign in</title></head>
<body><h1>Choose how to sign in</h1><ul>
{{range .}}<li><a href="{{.URL}}">{{.Name}}</a></li>
{{end}}</ul></body></html>
`))

// handleStart serves GET /start.
func (s *SSO) handleStart(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := StartOptions{
		ConnectionID: q.Get("connection"),
		OrgID:        q.Get("organization"),
		Email:        q.Get("email"),
		ReturnTo:     q.Get("return_to"),
	}
	err := s.StartLogin(w, r, opts)
	var choose *ChooseConnectionError
	if errors.As(err, &choose) && len(choose.Connections) > 1 {
		s.renderChooser(w, choose.Connections, sanitizeReturnTo(opts.ReturnTo, s.allow))
		return
	}
	if err != nil {
		s.fail(w, r, err)
	}
}

func (s *SSO) renderChooser(w http.ResponseWriter, conns []store.Connection, returnTo string) {
	type item struct{ URL, Name string }
	items := make([]item, 0, len(conns))
	for _, c := range conns {
		v := url.Values{"connection": {c.ID}, "return_to": {returnTo}}
		name := c.Name
		if name == "" {
			name = c.Provider
		}
		items = append(items, item{URL: s.base.Path + "/start?" + v.Encode(), Name: name})
	}
	setNoStore(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	_ = chooserPage.Execute(w, items)
}

// usable reports whether conn may be used by a flow: only active
// connections log users in; a test flow may also use a draft or tested one.
// An inactive connection was switched off on purpose and serves neither.
func usable(conn *store.Connection, test bool) bool {
	if test {
		return conn.State != store.ConnectionInactive
	}
	return conn.State == store.ConnectionActive
}
