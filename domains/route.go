package domains

import (
	"context"
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit/store"
)

// Routing is where an email address logs in: the organization that verified
// the address's domain and that organization's active SSO connections.
type Routing struct {
	Email  Email  // the parsed address
	OrgID  string // the organization holding Domain verified
	Domain string // the verified domain, equal to Email.Domain
	// Connections are the organization's active connections, ordered by
	// (CreatedAt, ID); never empty when Route returns no error.
	Connections []store.Connection
}

// Route finds where the email address email signs in with SSO. It parses the
// address strictly (ParseEmail), looks up the verified domain with exactly
// that name (a verified example.com does not route user@sub.example.com, and
// a pending or failed domain routes nothing), and returns the organization's
// active connections.
//
// Errors wrap ErrInvalidEmail for a malformed address and ErrNoSSO when the
// domain is not verified by any organization or the organization has no
// active connection; other errors come from the Store.
func Route(ctx context.Context, st RouteStore, email string) (*Routing, error) {
	e, err := ParseEmail(email)
	if err != nil {
		return nil, err
	}
	d, err := st.GetVerifiedDomain(ctx, e.Domain)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: domain %s is not verified by any organization", ErrNoSSO, e.Domain)
	}
	if err != nil {
		return nil, fmt.Errorf("domains: looking up %s: %w", e.Domain, err)
	}
	// The Store only returns verified domains here; check anyway so that a
	// faulty Store cannot route through an unverified claim.
	if d.State != store.DomainVerified || d.Name != e.Domain {
		return nil, fmt.Errorf("%w: domain %s is not verified", ErrNoSSO, e.Domain)
	}
	conns, err := st.ListConnections(ctx, d.OrgID)
	if err != nil {
		return nil, fmt.Errorf("domains: listing connections of %s: %w", d.OrgID, err)
	}
	r := &Routing{Email: e, OrgID: d.OrgID, Domain: d.Name}
	for _, c := range conns {
		if c.State == store.ConnectionActive && c.OrgID == d.OrgID {
			r.Connections = append(r.Connections, c)
		}
	}
	if len(r.Connections) == 0 {
		return nil, fmt.Errorf("%w: organization %s has no active connection", ErrNoSSO, d.OrgID)
	}
	return r, nil
}

// EmailOwner parses email strictly (ParseEmail) and returns it with the id of
// the organization holding its domain verified, or "" when no organization
// does. It is the check an SSO login applies to the email an identity provider
// asserts: an email in another organization's verified domain must be
// refused, whatever the connection allows.
//
// Errors wrap ErrInvalidEmail for a malformed address; other errors come from
// the Store.
func EmailOwner(ctx context.Context, st store.DomainStore, email string) (Email, string, error) {
	e, err := ParseEmail(email)
	if err != nil {
		return Email{}, "", err
	}
	d, err := st.GetVerifiedDomain(ctx, e.Domain)
	if errors.Is(err, store.ErrNotFound) {
		return e, "", nil
	}
	if err != nil {
		return Email{}, "", fmt.Errorf("domains: looking up %s: %w", e.Domain, err)
	}
	if d.State != store.DomainVerified || d.Name != e.Domain {
		return e, "", nil
	}
	return e, d.OrgID, nil
}
