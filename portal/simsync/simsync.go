// Package simsync connects the directory simulator (scimkit/scimsim) to
// the IT-admin portal's "run a simulated sync" button, for development and
// demos. The portal never imports a simulator: a host that wants the
// button imports this package and sets portal.Config.SimulatedSync:
//
//	p, err := portal.New(portal.Config{
//		Store: st, Admin: svc, SCIM: scim,
//		SimulatedSync: simsync.New(simsync.Config{}),
//	})
//
// Each run provisions a few generated users and groups through the
// directory's own SCIM endpoint, the way Okta does (Entra ID for
// directories whose provider is "entra").
package simsync

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
)

// The size of a simulated sync.
const (
	Users  = 8
	Groups = 2
)

// Config configures the simulated sync. Every field has a default.
type Config struct {
	// HTTPClient sends the SCIM requests. Default: a client with a
	// 30-second timeout.
	HTTPClient *http.Client
	// Now is the clock; it also seeds the generated people. Default
	// time.Now.
	Now func() time.Time
	// Rand is the source of the simulator's randomness. Default
	// crypto/rand.
	Rand io.Reader
	// Logger receives the simulator's diagnostics. Default slog.Default().
	Logger *slog.Logger
}

// New returns a portal.SimulatedSync that runs the directory simulator.
func New(cfg Config) portal.SimulatedSync {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return func(ctx context.Context, t portal.SyncTarget) (*portal.SyncReport, error) {
		dialect := scimsim.Okta
		if t.Provider == "entra" {
			dialect = scimsim.Entra
		}
		c, err := scimsim.New(scimsim.Config{
			BaseURL:    t.EndpointURL,
			Token:      t.Token,
			Dialect:    dialect,
			HTTPClient: cfg.HTTPClient,
			Now:        cfg.Now,
			Rand:       cfg.Rand,
			Logger:     cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		rep, err := c.FullSync(ctx, scimsim.SyncSpec{Users: Users, Groups: Groups, Domain: "example.com", Seed: cfg.Now().UnixNano(), MaxFailures: 1})
		out := &portal.SyncReport{Dialect: string(dialect)}
		if rep != nil {
			out.Summary = strconv.Itoa(rep.UsersCreated) + " users created, " + strconv.Itoa(rep.UsersMatched) + " matched, " +
				strconv.Itoa(rep.GroupsCreated) + " groups created, " + strconv.Itoa(rep.MembersAdded) + " memberships added, in " +
				strconv.Itoa(rep.Requests) + " requests."
		}
		for _, e := range c.Log() {
			out.Requests = append(out.Requests, portal.SyncRequest{Method: e.Method, Path: e.Path, Status: e.Status})
		}
		return out, err
	}
}
