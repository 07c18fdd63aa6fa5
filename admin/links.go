package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/internal/outbox"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/store"
)

// LinkTokenPrefix starts every portal link token: "okp_" followed by 43
// characters (256 bits).
const LinkTokenPrefix = "okp_"

// linkIDPrefix starts the id of every portal link.
const linkIDPrefix = "plink"

// Event types of portal links, written to the Store's outbox. (The portal
// writes the events of the sessions links open.)
const (
	EventLinkCreated = "portal.link.created"
	EventLinkRevoked = "portal.link.revoked"
)

// allFeatures is the default feature set of a link.
func allFeatures() store.Features {
	return store.Features{store.FeatureSSO, store.FeatureDirSync, store.FeatureDomains}
}

// LinkOptions says what a new portal link grants.
type LinkOptions struct {
	// Features the session may use. Default: all three (sso, dir_sync,
	// domains).
	Features []store.Feature
	// Embedded makes a single-use link that expires after
	// Config.EmbeddedLinkTTL (1 minute by default), for an iframe src
	// generated on every page load. Default false: a shareable link, reusable
	// until Config.ShareableLinkTTL (7 days by default) and revocable.
	Embedded bool
	// IdempotencyKey, when set, makes the generation safe to retry: a
	// second call with the same key returns the first one's link without
	// its URL (Link.Replayed: the token was shown once) and creates nothing.
	IdempotencyKey string
}

// Link is a newly generated portal link. URL holds the token: it is shown
// once and never stored. The JSON form matches the usual portal-link API
// response: {"id", "location", "expireTime"}.
type Link struct {
	ID        string    `json:"id"`         // the link's id, for RevokeLink
	URL       string    `json:"location"`   // the link to open, holding the token
	ExpiresAt time.Time `json:"expireTime"` // when it can no longer be redeemed
	// Replayed is set when an earlier call with the same idempotency key
	// generated the link: URL is then empty.
	Replayed bool `json:"-"`
}

// GenerateLink issues a portal link for the organization, recording actor
// (such as "operator:jane@example.com") on the link and in its event. The
// token is 256 random bits; only its SHA-256 digest is stored, together
// with a portal.link.created event, in one write. The link's URL holds the
// token: show it once. ErrInvalidInput for an empty organization id or an
// unknown feature; ErrNotFound when the organization does not exist.
func (a *Admin) GenerateLink(ctx context.Context, orgID string, opts LinkOptions, actor string) (*Link, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	features := store.Features(opts.Features)
	if len(features) == 0 {
		features = allFeatures()
	}
	for _, f := range features {
		if !f.Valid() {
			return nil, invalidInput("features", "unknown feature %q: use sso, dir_sync or domains", f)
		}
	}
	features = features.Normalize()
	actor = actorOr(actor)
	kind, ttl := store.LinkShareable, a.cfg.ShareableLinkTTL
	if opts.Embedded {
		kind, ttl = store.LinkEmbedded, a.cfg.EmbeddedLinkTTL
	}
	id, err := idempotentID(linkIDPrefix, orgID, opts.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	replay := func() (*Link, error) {
		l, err := replayed(ctx, "portal link", id, orgID, a.st.GetPortalLink, func(l *store.PortalLink) string { return l.OrgID })
		if l == nil || err != nil {
			return nil, err
		}
		return &Link{ID: l.ID, ExpiresAt: l.ExpiresAt, Replayed: true}, nil
	}
	if l, err := replay(); l != nil || err != nil {
		return l, err
	}
	token, err := secret.New(a.rand, LinkTokenPrefix)
	if err != nil {
		return nil, fmt.Errorf("admin: generating link: %w", err)
	}
	if id == "" {
		if id, err = secret.NewID(a.rand, linkIDPrefix); err != nil {
			return nil, fmt.Errorf("admin: generating link: %w", err)
		}
	}
	now := a.now().UTC()
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
	ev, err := a.event(EventLinkCreated, orgID, id, actor, map[string]any{
		"link_id":    id,
		"kind":       kind,
		"features":   features,
		"expires_at": l.ExpiresAt,
	})
	if err != nil {
		return nil, err
	}
	if err := a.st.CreatePortalLink(ctx, l, ev); err != nil {
		if opts.IdempotencyKey != "" && errors.Is(err, store.ErrAlreadyExists) {
			if l, err := replay(); l != nil || err != nil {
				return l, err
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("organization", orgID)
		}
		return nil, fmt.Errorf("admin: storing link: %w", err)
	}
	return &Link{ID: id, URL: a.portalURL + "/l/" + token, ExpiresAt: l.ExpiresAt}, nil
}

// RevokeLink revokes the link id, recording actor in a portal.link.revoked
// event, and returns it without its digest. Sessions started from the link
// end at their next request. Revoking a revoked link is not an error.
// ErrNotFound when no link has this id.
func (a *Admin) RevokeLink(ctx context.Context, id, actor string) (*store.PortalLink, error) {
	if strings.TrimSpace(id) == "" {
		return nil, invalidInput("id", "link id is required")
	}
	l, err := a.st.GetPortalLink(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("portal link", id)
	}
	if err != nil {
		return nil, fmt.Errorf("admin: loading link: %w", err)
	}
	ev, err := a.event(EventLinkRevoked, l.OrgID, id, actorOr(actor), map[string]any{"link_id": id, "kind": l.Kind})
	if err != nil {
		return nil, err
	}
	err = a.st.RevokePortalLink(ctx, id, a.now().UTC(), ev)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("portal link", id)
	}
	if err != nil {
		return nil, fmt.Errorf("admin: revoking link: %w", err)
	}
	if l, err = a.st.GetPortalLink(ctx, id); err != nil {
		return nil, fmt.Errorf("admin: loading link: %w", err)
	}
	l.Digest = nil
	return l, nil
}

// ListLinks returns the organization's links, newest first, without their
// digests: a link's token cannot be shown again. ErrNotFound for an
// unknown organization.
func (a *Admin) ListLinks(ctx context.Context, orgID string) ([]store.PortalLink, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	return a.listLinks(ctx, orgID)
}

func (a *Admin) listLinks(ctx context.Context, orgID string) ([]store.PortalLink, error) {
	links, err := a.st.ListPortalLinks(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("admin: listing links: %w", err)
	}
	for i := range links {
		links[i].Digest = nil
	}
	return links, nil
}

// event builds an outbox event.
func (a *Admin) event(typ, orgID, subject, actor string, data any) (store.Event, error) {
	ev, err := outbox.Event(a.rand, a.now(), typ, orgID, subject, actor, data)
	if err != nil {
		return ev, fmt.Errorf("admin: %w", err)
	}
	return ev, nil
}

// EndSessions ends the end-user sessions (package ssokit/session) of the
// organization, or of one of its directory users when userID is not
// empty: an operator's or IT admin's "sign everyone out" or "sign this
// user out". Each session ends with a session.ended event of reason
// store.SessionEndedRevoked recording actor, in one write; every app
// instance refuses the sessions at their next request after its session
// cache TTL. It returns how many sessions ended. ErrNotFound for an
// unknown organization.
func (a *Admin) EndSessions(ctx context.Context, orgID, userID, actor string) (int, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return 0, err
	}
	n, err := a.st.EndSessions(ctx, store.SessionSelector{OrgID: orgID, UserID: strings.TrimSpace(userID)},
		store.SessionEnd{Reason: store.SessionEndedRevoked, Actor: actorOr(actor), At: a.now().UTC()})
	if err != nil {
		return 0, fmt.Errorf("admin: ending sessions: %w", err)
	}
	return n, nil
}
