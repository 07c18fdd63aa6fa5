package portal

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
)

// SimulatedSync runs a simulated directory sync for the portal's "run a
// simulated sync" button (Config.SimulatedSync): it pushes made-up users
// and groups to target's SCIM endpoint the way an identity provider would,
// and reports what it did. The portal creates the token before the call
// and revokes it after. Package portal/simsync has one that runs the
// directory simulator.
type SimulatedSync func(ctx context.Context, target SyncTarget) (*SyncReport, error)

// SyncTarget is the directory a simulated sync provisions.
type SyncTarget struct {
	DirectoryID string
	Provider    string // the directory's provider, such as "okta" or "entra"
	EndpointURL string // the directory's SCIM base URL
	Token       string // a bearer token for it, valid a few minutes
}

// SyncReport is what the page shows after a simulated sync.
type SyncReport struct {
	Dialect  string        // the provider imitated, such as "okta"
	Summary  string        // what was provisioned, in one sentence
	Requests []SyncRequest // the requests sent, in order
}

// SyncRequest is one SCIM request of a simulated sync. Status is 0 when no
// answer came.
type SyncRequest struct {
	Method string
	Path   string
	Status int
}

// Simulated sync bounds (Config.SimulatedSync).
const (
	simTimeout  = 30 * time.Second
	simTokenTTL = 5 * time.Minute
	simMaxShown = 40
)

// simResult is what the page shows after a simulated sync.
type simResult struct {
	Dialect  string
	Summary  string
	Failed   string // "" on success
	Requests []simRequest
}

type simRequest struct {
	Method string
	Path   string
	Status string
}

// directorySimulate runs a simulated sync (Config.SimulatedSync) against
// the directory's own SCIM endpoint, with a short-lived token revoked
// afterwards.
func (p *Portal) directorySimulate(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	ctx := r.Context()
	if p.cfg.SimulatedSync == nil || p.cfg.SCIM == nil {
		p.log.InfoContext(ctx, "portal: simulated sync refused: not enabled", "session_id", s.s.ID, "directory_id", d.ID)
		p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
		return
	}
	if d.State != store.DirectoryActive {
		p.redirect(w, r, s, p.dirPath(d.ID, ""), &flash{Alert: "Turn directory sync on before running a simulated sync: an inactive directory refuses every request."})
		return
	}
	id, err := simTokenID(p.rand)
	if err != nil {
		p.serverError(w, r, "creating simulation token", err)
		return
	}
	tok, t, err := p.cfg.SCIM.CreateToken(ctx, d.ID, scimkit.TokenOptions{ID: id, ExpiresAt: p.now().Add(simTokenTTL), Actor: s.actor()})
	if errors.Is(err, scimkit.ErrTooManyTokens) {
		p.redirect(w, r, s, p.dirPath(d.ID, ""), &flash{Alert: "The simulated sync needs a temporary token, and this directory already has two active tokens. Revoke one first."})
		return
	}
	if err != nil {
		p.serverError(w, r, "creating simulation token", err)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, simTimeout)
	rep, err := p.cfg.SimulatedSync(sctx, SyncTarget{DirectoryID: d.ID, Provider: d.Provider, EndpointURL: p.cfg.SCIM.EndpointURL(d.ID), Token: tok})
	cancel()
	// Revoke even if the request was cancelled.
	if rerr := p.cfg.SCIM.RevokeToken(context.WithoutCancel(ctx), d.ID, t.ID); rerr != nil {
		p.log.ErrorContext(ctx, "portal: revoking simulation token", "directory_id", d.ID, "token_id", t.ID, "error", rerr)
	}
	res := &simResult{}
	if rep != nil {
		res.Dialect, res.Summary = rep.Dialect, rep.Summary
		for _, q := range rep.Requests {
			if len(res.Requests) == simMaxShown {
				break
			}
			st := strconv.Itoa(q.Status)
			if q.Status == 0 {
				st = "no answer"
			}
			res.Requests = append(res.Requests, simRequest{Method: q.Method, Path: q.Path, Status: st})
		}
	}
	if err != nil {
		p.log.WarnContext(ctx, "portal: simulated sync failed", "session_id", s.s.ID, "directory_id", d.ID, "error", err)
		res.Failed = "The simulated sync stopped early; the requests below show where."
	}
	p.log.InfoContext(ctx, "portal: simulated sync run", "session_id", s.s.ID, "directory_id", d.ID, "requests", len(res.Requests))
	p.redirect(w, r, s, p.dirPath(d.ID, "")+"#sim-result", &flash{Sim: res})
}

// simTokenPrefix starts the id of a simulated sync's temporary token: it
// is the portal's, not the customer's, and their token list leaves it out.
const simTokenPrefix = "dtok_sim"

// simTokenID is a new id for a temporary token: the prefix and 18 random
// hex characters, the length of the others.
func simTokenID(rnd io.Reader) (string, error) {
	var b [9]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", err
	}
	return simTokenPrefix + hex.EncodeToString(b[:]), nil
}
