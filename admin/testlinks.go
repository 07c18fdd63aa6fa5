package admin

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// TestTicketPrefix starts the ticket of every test link: "ptt_" followed by
// 43 characters (256 bits).
const TestTicketPrefix = "ptt_"

// TestLinkTTL is how long a test link can be opened.
const TestLinkTTL = 5 * time.Minute

// TestLinkOptions says where a test login ends.
type TestLinkOptions struct {
	// ReturnTo is where the browser goes once the test is over (through
	// the SSO kit's OnTestResult): a path on the host, or a URL the SSO
	// kit's return_to rules allow. Default: the portal's result page of
	// the connection, which needs a portal session.
	ReturnTo string
}

// TestLink is a single-use link that starts a test login of a connection.
type TestLink struct {
	// URL opens the test in a browser, once, until ExpiresAt. It is served
	// by the portal (GET /sso/test/{ticket}) and carries the secret ticket:
	// hand it only to the person who tests.
	URL          string
	ConnectionID string
	ExpiresAt    time.Time
	// After is the event cursor before the test: TestResult(ConnectionID,
	// After) reports its outcome.
	After int64
}

// CreateTestLink creates a test link of the connection id: whoever opens
// it signs in at the connection's identity provider, and the outcome is
// recorded (sso.connection.tested, which lets a draft connection be
// enabled, or sso.connection.test_failed with the diagnosis) instead of
// signing anyone in to the application. The ticket is 256 random bits
// stored as a SHA-256 digest in a single-use login request, so any app
// instance redeems it, once.
func (a *Admin) CreateTestLink(ctx context.Context, id string, opts TestLinkOptions) (*TestLink, error) {
	c, err := a.loadConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.State == store.ConnectionInactive {
		return nil, conflict(nil, "connection %q is inactive: enable it again, or change its settings, before testing", id)
	}
	after, err := a.st.LastEventCursor(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: reading event cursor: %w", err)
	}
	tok, err := secret.New(a.rand, TestTicketPrefix)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	returnTo := opts.ReturnTo
	if returnTo == "" {
		pu, _ := url.Parse(a.portalURL)
		returnTo = pu.Path + "/sso/" + url.PathEscape(c.ID) + "/test/result?after=" + strconv.FormatInt(after, 10)
	}
	now := a.now().UTC()
	l := &TestLink{URL: a.portalURL + "/sso/test/" + tok, ConnectionID: c.ID, ExpiresAt: now.Add(TestLinkTTL), After: after}
	if err := a.st.CreateLoginRequest(ctx, &store.LoginRequest{
		ID: testTicketID(tok), ConnectionID: c.ID, OrgID: c.OrgID, Protocol: c.Protocol, Test: true,
		ReturnTo: returnTo, CreatedAt: now, ExpiresAt: l.ExpiresAt,
	}); err != nil {
		return nil, fmt.Errorf("admin: storing test ticket: %w", err)
	}
	return l, nil
}

// testTicketID is the Store id of a test ticket's login request.
func testTicketID(tok string) string {
	return TestTicketPrefix + hex.EncodeToString(secret.Digest(tok))
}

// RedeemTestLink consumes the ticket of a test link, once, and returns
// its login request: start the test with ssokit's StartTest(ConnectionID,
// ReturnTo). ErrNotFound for a ticket that is malformed, unknown, used or
// expired (also wrapping store.ErrExpired for an expired one).
func (a *Admin) RedeemTestLink(ctx context.Context, ticket string) (*store.LoginRequest, error) {
	refused := &AdminError{Kind: ErrNotFound, Message: "this test link has expired or was already used", Err: store.ErrNotFound}
	if !secret.Valid(ticket, TestTicketPrefix) {
		return nil, refused
	}
	lr, err := a.st.ConsumeLoginRequest(ctx, testTicketID(ticket), store.LoginRequestMatch{}, a.now().UTC())
	switch {
	case errors.Is(err, store.ErrExpired):
		refused.Err = errors.Join(store.ErrNotFound, store.ErrExpired)
		return nil, refused
	case errors.Is(err, store.ErrNotFound):
		return nil, refused
	case err != nil:
		return nil, fmt.Errorf("admin: redeeming test ticket: %w", err)
	case !lr.Test:
		return nil, refused
	}
	return lr, nil
}

// TestResult returns the outcome of the first test of the connection id
// recorded after the event cursor after (TestLink.After), or nil while
// there is none yet. On success its Profile holds the subject, email and
// attributes received; on failure its Err the diagnosis.
func (a *Admin) TestResult(ctx context.Context, id string, after int64) (*ssokit.TestResult, error) {
	c, err := a.loadConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	if after < 0 {
		return nil, invalidInput("after", "after must be a cursor (0 or more)")
	}
	types := []string{ssokit.EventConnectionTested, ssokit.EventConnectionTestFailed}
	const page = 100
	for range 50 {
		evs, err := a.st.ListEvents(ctx, store.EventQuery{After: after, OrgID: c.OrgID, Types: types, Limit: page})
		if err != nil {
			return nil, fmt.Errorf("admin: listing events: %w", err)
		}
		for _, ev := range evs {
			if ev.Subject == c.ID && (ev.Type == types[0] || ev.Type == types[1]) {
				return ssokit.TestResultFromEvent(ev)
			}
		}
		if len(evs) < page {
			return nil, nil
		}
		after = evs[len(evs)-1].Cursor
	}
	return nil, nil
}
