package portal

import (
	"errors"
	"net/http"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/limits"
	"github.com/onboardkit/onboardkit/store"
)

// landing serves GET and HEAD /l/{token} (or /l?token=): a page that asks the
// visitor to continue. It never consumes the link, so mail scanners and link
// previews that fetch it change nothing. An embedded link's page continues
// by itself when framed (the script submits the form) so that the iframe
// goes straight into the portal; opened at the top level, or when it would
// replace a live session of another organization, it waits for the click.
func (p *Portal) landing(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !p.linkAttempt(w, r, p.renderProblem) {
		return
	}
	tok := r.PathValue("token")
	if tok == "" {
		tok = r.URL.Query().Get("token")
	}
	if !secret.Valid(tok, admin.LinkTokenPrefix) {
		p.renderProblem(w, r, http.StatusNotFound, problemLinkInvalid)
		return
	}
	l, err := p.st.GetPortalLinkByDigest(ctx, secret.Digest(tok))
	if errors.Is(err, store.ErrNotFound) {
		p.log.InfoContext(ctx, "portal: unknown link opened")
		p.renderProblem(w, r, http.StatusNotFound, problemLinkInvalid)
		return
	}
	if err != nil {
		p.serverError(w, r, "looking up link", err)
		return
	}
	if pk := p.judgeLink(l); pk != problemNone {
		p.log.InfoContext(ctx, "portal: unusable link opened", "link_id", l.ID, "org_id", l.OrgID, "reason", pk.reason())
		p.renderProblem(w, r, http.StatusGone, pk)
		return
	}
	org, err := p.st.GetOrganization(ctx, l.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		p.renderProblem(w, r, http.StatusNotFound, problemLinkInvalid)
		return
	}
	if err != nil {
		p.serverError(w, r, "loading organization", err)
		return
	}
	brand, err := p.branding(ctx, "")
	if err != nil {
		p.serverError(w, r, "loading branding", err)
		return
	}
	d := landingData{
		OrgName:      org.Name,
		Action:       p.path("/l"),
		Token:        tok,
		AutoContinue: l.Kind == store.LinkEmbedded,
		Features:     p.sectionsFor(l.Features),
	}
	// Continuing would replace a live session of another organization: the
	// visitor must confirm, so that a link sent by someone else cannot
	// silently sign them into that sender's organization.
	switch cur, err := p.liveSession(ctx, r); {
	case err == nil && cur.OrgID != l.OrgID:
		d.AutoContinue = false
		d.ReplacesOrg = "another organization"
		if o, err := p.st.GetOrganization(ctx, cur.OrgID); err == nil {
			d.ReplacesOrg = o.Name
		}
		p.log.InfoContext(ctx, "portal: link of another organization opened under a live session", "link_id", l.ID, "org_id", l.OrgID, "session_id", cur.ID, "session_org_id", cur.OrgID)
	case errors.Is(err, errAmbiguousSession):
		d.AutoContinue = false
		d.ReplacesOrg = "another organization"
	}
	v := p.baseView(r, brand, "Continue to the admin portal")
	p.render(w, r, http.StatusOK, landingPage(v, d))
}

// linkAttempt counts one link opening or redemption of the request's
// client address (Config.LinkAttempts) and reports whether it may go on;
// when not, it has set Retry-After and answered with refuse.
func (p *Portal) linkAttempt(w http.ResponseWriter, r *http.Request, refuse refuser) bool {
	client := limits.ClientKey(r, p.cfg.TrustedProxies)
	wait, err := p.attempts.Allow(r.Context(), "portal.link:"+client)
	if err != nil {
		p.serverError(w, r, "counting link attempts", err)
		return false
	}
	if wait > 0 {
		p.log.WarnContext(r.Context(), "portal: link attempts over the limit", "client", client)
		limits.SetRetryAfter(w, wait)
		refuse(w, r, http.StatusTooManyRequests, problemTooMany)
		return false
	}
	return true
}

// judgeLink tells why a link cannot be redeemed now, or problemNone. The
// Store judges again in RedeemPortalLink; this is only for the page.
func (p *Portal) judgeLink(l *store.PortalLink) problemKind {
	switch {
	case !l.RevokedAt.IsZero():
		return problemLinkRevoked
	case !p.now().Before(l.ExpiresAt):
		return problemLinkExpired
	case l.Kind == store.LinkEmbedded && !l.UsedAt.IsZero():
		return problemLinkUsed
	}
	return problemNone
}

// redeem serves POST /l: it consumes the link whose token is in the form body
// and starts a session with a fresh random id, then redirects with 303 to the
// portal's home, a URL without the token. A refused redemption redirects
// too, to the page that says why (linkRefused), so that a reload does not
// post the link again. Only a post from another site (refused before
// anything is read) and a server error (where a reload is the retry) are
// answered at this URL.
func (p *Portal) redeem(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !p.sameOrigin(r, false) {
		p.log.WarnContext(ctx, "portal: cross-origin link redemption refused", "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		p.renderProblem(w, r, http.StatusForbidden, problemCSRF)
		return
	}
	if !p.linkAttempt(w, r, p.refuseRedemption) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, web.MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.refuseRedemption(w, r, http.StatusBadRequest, problemBadRequest)
		return
	}
	tok := r.PostForm.Get("token")
	if !secret.Valid(tok, admin.LinkTokenPrefix) {
		p.refuseRedemption(w, r, http.StatusNotFound, problemLinkInvalid)
		return
	}
	digest := secret.Digest(tok)
	// The link's kind decides the session's lifetime and cookie; a kind never
	// changes, so reading it first is safe. Consumption is the guarded write
	// below.
	l, err := p.st.GetPortalLinkByDigest(ctx, digest)
	if errors.Is(err, store.ErrNotFound) {
		p.log.InfoContext(ctx, "portal: redemption of an unknown link refused")
		p.refuseRedemption(w, r, http.StatusNotFound, problemLinkInvalid)
		return
	}
	if err != nil {
		p.serverError(w, r, "looking up link", err)
		return
	}
	embedded := l.Kind == store.LinkEmbedded
	ttl := p.cfg.ShareableSessionTTL
	if embedded {
		ttl = p.cfg.EmbeddedSessionTTL
	}
	sessTok, err := secret.New(p.rand, sessionTokenPrefix)
	if err != nil {
		p.serverError(w, r, "generating session", err)
		return
	}
	csrf, err := secret.New(p.rand, "")
	if err != nil {
		p.serverError(w, r, "generating session", err)
		return
	}
	id, err := secret.NewID(p.rand, sessionIDPrefix)
	if err != nil {
		p.serverError(w, r, "generating session", err)
		return
	}
	now := p.now().UTC()
	ev, err := p.event(EventSessionCreated, l.OrgID, id, "portal:"+id, map[string]any{
		"session_id": id,
		"link_id":    l.ID,
		"kind":       l.Kind,
		"features":   l.Features,
		"expires_at": now.Add(ttl),
	})
	if err != nil {
		p.serverError(w, r, "building event", err)
		return
	}
	s, err := p.st.RedeemPortalLink(ctx, digest, now, &store.PortalSession{
		ID:        id,
		Embedded:  embedded,
		Digest:    secret.Digest(sessTok),
		CSRF:      csrf,
		CreatedAt: now,
		ExpiresAt: now.Add(ttl),
	}, ev)
	if err != nil {
		var pk problemKind
		switch {
		case errors.Is(err, store.ErrNotFound):
			pk = problemLinkInvalid
		case errors.Is(err, store.ErrRevoked):
			pk = problemLinkRevoked
		case errors.Is(err, store.ErrExpired):
			pk = problemLinkExpired
		case errors.Is(err, store.ErrUsed):
			pk = problemLinkUsed
		default:
			p.serverError(w, r, "redeeming link", err)
			return
		}
		p.log.InfoContext(ctx, "portal: link redemption refused", "link_id", l.ID, "org_id", l.OrgID, "reason", pk.reason())
		p.refuseRedemption(w, r, redemptionRefusals[pk], pk)
		return
	}
	// Sessions the browser already had are replaced, never reused.
	for i, old := range p.readSessionTokens(r) {
		if i == maxSessionCookies {
			break
		}
		if prev, err := p.st.GetPortalSession(ctx, secret.Digest(old), now); err == nil {
			if err := p.st.DeletePortalSession(ctx, prev.ID); err != nil {
				p.log.WarnContext(ctx, "portal: deleting replaced session", "session_id", prev.ID, "error", err)
			}
		}
	}
	p.log.InfoContext(ctx, "portal: link redeemed", "link_id", l.ID, "org_id", s.OrgID, "session_id", s.ID, "kind", l.Kind)
	http.SetCookie(w, p.sessionCookie(sessTok, embedded, s.ExpiresAt))
	http.Redirect(w, r, p.path("/"), http.StatusSeeOther)
}

// refuser answers a request for a link that cannot be used now with the
// problem pk, whose page has the status given.
type refuser func(w http.ResponseWriter, r *http.Request, status int, pk problemKind)

// refuseRedemption answers a refused POST /l with a 303 to the page that
// shows the problem: its URL names only the reason, never the token.
func (p *Portal) refuseRedemption(w http.ResponseWriter, r *http.Request, _ int, pk problemKind) {
	http.Redirect(w, r, p.path("/link-refused/"+pk.reason()), http.StatusSeeOther)
}

// redemptionRefusals are the problems a redemption can be refused with,
// with the status of their page.
var redemptionRefusals = map[problemKind]int{
	problemTooMany:     http.StatusTooManyRequests,
	problemBadRequest:  http.StatusBadRequest,
	problemLinkInvalid: http.StatusNotFound,
	problemLinkExpired: http.StatusGone,
	problemLinkUsed:    http.StatusGone,
	problemLinkRevoked: http.StatusGone,
}

// linkRefused serves GET /link-refused/{reason}, the page a refused
// redemption redirects to. It reads nothing and counts no attempt: it
// only says what the reason means, so reloading it changes nothing.
func (p *Portal) linkRefused(w http.ResponseWriter, r *http.Request) {
	reason := r.PathValue("reason")
	for pk, status := range redemptionRefusals {
		if pk.reason() == reason {
			p.renderProblem(w, r, status, pk)
			return
		}
	}
	p.renderProblem(w, r, http.StatusNotFound, problemNotFound)
}
