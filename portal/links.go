package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/store"
)

// Token and id prefixes. A link token is "okp_" followed by 43 characters
// (256 bits); a session secret is "oks_" followed by 43 characters.
const (
	linkTokenPrefix    = "okp_"
	sessionTokenPrefix = "oks_"
	linkIDPrefix       = "plink"
	sessionIDPrefix    = "psess"
)

// Event types the portal writes to the Store's outbox.
const (
	EventLinkCreated    = "portal.link.created"
	EventLinkRevoked    = "portal.link.revoked"
	EventSessionCreated = "portal.session.created"
	EventSessionEnded   = "portal.session.ended"
)

// allFeatures is the default feature set of a link.
func allFeatures() store.Features {
	return store.Features{store.FeatureSSO, store.FeatureDirSync, store.FeatureDomains}
}

// ErrInvalidOptions is returned by GenerateLink for bad arguments: an empty
// organization id or an unknown feature.
var ErrInvalidOptions = errors.New("portal: invalid link options")

// LinkOptions says what a new link grants.
type LinkOptions struct {
	// Features the session may use. Default: all three (sso, dir_sync,
	// domains).
	Features []store.Feature
	// Embedded makes a single-use link that expires after
	// Config.EmbeddedLinkTTL (1 minute by default), for an iframe src
	// generated on every page load. Default false: a shareable link, reusable
	// until Config.ShareableLinkTTL (7 days by default) and revocable.
	Embedded bool
	// CreatedBy is recorded on the link and as the actor of its event, such
	// as "operator:jane@example.com". Default "system".
	CreatedBy string
}

// Link is a newly generated portal link. URL holds the token: it is shown
// once and never stored. The JSON form matches the usual portal-link API
// response: {"id", "location", "expireTime"}.
type Link struct {
	ID        string    `json:"id"`         // the link's id, for RevokeLink
	URL       string    `json:"location"`   // the link to open, holding the token
	ExpiresAt time.Time `json:"expireTime"` // when it can no longer be redeemed
}

// GenerateLink issues a portal link for the organization. The token is 256
// random bits; only its SHA-256 digest is stored, together with a
// portal.link.created event, in one write. ErrInvalidOptions for bad
// arguments; store.ErrNotFound (wrapped) when the organization does not
// exist.
func (p *Portal) GenerateLink(ctx context.Context, orgID string, opts LinkOptions) (*Link, error) {
	if orgID == "" {
		return nil, fmt.Errorf("%w: organization id is required", ErrInvalidOptions)
	}
	features := store.Features(opts.Features)
	if len(features) == 0 {
		features = allFeatures()
	}
	if err := features.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOptions, err)
	}
	features = features.Normalize()
	actor := opts.CreatedBy
	if actor == "" {
		actor = "system"
	}
	kind, ttl := store.LinkShareable, p.cfg.ShareableLinkTTL
	if opts.Embedded {
		kind, ttl = store.LinkEmbedded, p.cfg.EmbeddedLinkTTL
	}
	token, err := secret.New(p.rand, linkTokenPrefix)
	if err != nil {
		return nil, fmt.Errorf("portal: generating link: %w", err)
	}
	id, err := secret.NewID(p.rand, linkIDPrefix)
	if err != nil {
		return nil, fmt.Errorf("portal: generating link: %w", err)
	}
	now := p.now().UTC()
	l := &store.PortalLink{
		ID:        id,
		OrgID:     orgID,
		Kind:      kind,
		Features:  features,
		Digest:    secret.Digest(token),
		CreatedBy: actor,
		CreatedAt: now,
		ExpiresAt: now.Add(ttl),
	}
	ev, err := p.event(EventLinkCreated, orgID, id, actor, map[string]any{
		"link_id":    id,
		"kind":       kind,
		"features":   features,
		"expires_at": l.ExpiresAt,
	})
	if err != nil {
		return nil, err
	}
	if err := p.st.CreatePortalLink(ctx, l, ev); err != nil {
		return nil, fmt.Errorf("portal: storing link: %w", err)
	}
	return &Link{ID: id, URL: p.origin + p.path("/l/"+token), ExpiresAt: l.ExpiresAt}, nil
}

// RevokeLink revokes the link with id, recording actor in a
// portal.link.revoked event. Sessions started from the link end at their
// next request. Revoking a revoked link is not an error; store.ErrNotFound
// (wrapped) when no link has this id.
func (p *Portal) RevokeLink(ctx context.Context, id, actor string) error {
	if id == "" {
		return fmt.Errorf("%w: link id is required", ErrInvalidOptions)
	}
	if actor == "" {
		actor = "system"
	}
	l, err := p.st.GetPortalLink(ctx, id)
	if err != nil {
		return fmt.Errorf("portal: revoking link: %w", err)
	}
	ev, err := p.event(EventLinkRevoked, l.OrgID, id, actor, map[string]any{"link_id": id, "kind": l.Kind})
	if err != nil {
		return err
	}
	if err := p.st.RevokePortalLink(ctx, id, p.now().UTC(), ev); err != nil {
		return fmt.Errorf("portal: revoking link: %w", err)
	}
	return nil
}

// ListLinks returns the organization's links, newest first, for an
// operator's view. Digest is cleared: a link's token cannot be shown again.
func (p *Portal) ListLinks(ctx context.Context, orgID string) ([]store.PortalLink, error) {
	if orgID == "" {
		return nil, fmt.Errorf("%w: organization id is required", ErrInvalidOptions)
	}
	links, err := p.st.ListPortalLinks(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("portal: listing links: %w", err)
	}
	for i := range links {
		links[i].Digest = nil
	}
	return links, nil
}

// event builds an outbox event.
func (p *Portal) event(typ, orgID, subject, actor string, data any) (store.Event, error) {
	id, err := secret.NewID(p.rand, "evt")
	if err != nil {
		return store.Event{}, fmt.Errorf("portal: %w", err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return store.Event{}, fmt.Errorf("portal: encoding event: %w", err)
	}
	return store.Event{
		ID:        id,
		Type:      typ,
		OrgID:     orgID,
		Subject:   subject,
		Actor:     actor,
		Data:      raw,
		CreatedAt: p.now().UTC(),
	}, nil
}
