package portal

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
)

// Simulated sync bounds (Config.DevSimulatedSync).
const (
	simUsers    = 8
	simGroups   = 2
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

// directorySimulate runs a simulated sync (Config.DevSimulatedSync): a few
// generated users and groups pushed through the directory's own SCIM
// endpoint the way Okta (or Entra ID, for Entra directories) does, with a
// short-lived token revoked afterwards.
func (p *Portal) directorySimulate(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	ctx := r.Context()
	if !p.cfg.DevSimulatedSync || p.cfg.SCIM == nil {
		p.log.InfoContext(ctx, "portal: simulated sync refused: not enabled", "session_id", s.s.ID, "directory_id", d.ID)
		p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
		return
	}
	if d.State != store.DirectoryActive {
		p.renderDirectoryDetail(w, r, s, d, http.StatusConflict, dirNotice{Error: "Turn directory sync on before running a simulated sync: an inactive directory refuses every request."})
		return
	}
	tok, t, err := p.cfg.SCIM.CreateToken(ctx, d.ID, scimkit.TokenOptions{ExpiresAt: p.now().Add(simTokenTTL), Actor: s.actor()})
	if errors.Is(err, scimkit.ErrTooManyTokens) {
		p.renderDirectoryDetail(w, r, s, d, http.StatusConflict, dirNotice{Error: "The simulated sync needs a temporary token, and this directory already has two active tokens. Revoke one first."})
		return
	}
	if err != nil {
		p.serverError(w, r, "creating simulation token", err)
		return
	}
	revoke := func() {
		// Revoke even if the request was cancelled.
		if err := p.cfg.SCIM.RevokeToken(context.WithoutCancel(ctx), d.ID, t.ID); err != nil {
			p.log.ErrorContext(ctx, "portal: revoking simulation token", "directory_id", d.ID, "token_id", t.ID, "error", err)
		}
	}
	dialect := scimsim.Okta
	if d.Provider == "entra" {
		dialect = scimsim.Entra
	}
	hc := p.cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: simTimeout}
	}
	c, err := scimsim.New(scimsim.Config{
		BaseURL:    p.cfg.SCIM.EndpointURL(d.ID),
		Token:      tok,
		Dialect:    dialect,
		HTTPClient: hc,
		Now:        p.now,
		Rand:       p.rand,
		Logger:     p.log,
	})
	if err != nil {
		revoke()
		p.serverError(w, r, "starting simulated sync", err)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, simTimeout)
	rep, err := c.FullSync(sctx, scimsim.SyncSpec{Users: simUsers, Groups: simGroups, Domain: "example.com", Seed: p.now().UnixNano(), MaxFailures: 1})
	cancel()
	revoke()
	res := &simResult{Dialect: string(dialect)}
	if rep != nil {
		res.Summary = strconv.Itoa(rep.UsersCreated) + " users created, " + strconv.Itoa(rep.UsersMatched) + " matched, " +
			strconv.Itoa(rep.GroupsCreated) + " groups created, " + strconv.Itoa(rep.MembersAdded) + " memberships added, in " +
			strconv.Itoa(rep.Requests) + " requests."
	}
	if err != nil {
		p.log.WarnContext(ctx, "portal: simulated sync failed", "session_id", s.s.ID, "directory_id", d.ID, "error", err)
		res.Failed = "The simulated sync stopped early; the requests below show where."
	}
	for _, e := range c.Log() {
		if len(res.Requests) == simMaxShown {
			break
		}
		st := strconv.Itoa(e.Status)
		if e.Status == 0 {
			st = "no answer"
		}
		res.Requests = append(res.Requests, simRequest{Method: e.Method, Path: e.Path, Status: st})
	}
	p.log.InfoContext(ctx, "portal: simulated sync run", "session_id", s.s.ID, "directory_id", d.ID, "requests", len(c.Log()))
	nd, err := p.st.GetDirectory(ctx, d.ID)
	if err != nil {
		p.serverError(w, r, "loading directory", err)
		return
	}
	p.renderDirectoryDetail(w, r, s, nd, http.StatusOK, dirNotice{Sim: res})
}
