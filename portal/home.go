package portal

import (
	"context"
	"fmt"
	"net/http"

	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// homeData is the overview page: the organization and, for each section the
// session may use, its current state read from the Store. A nil section is
// not granted.
type homeData struct {
	OrgName string
	// Flash confirms a change made from the overview.
	Flash   string
	SSO     *ssoData
	Dir     *dirData
	Domains *domainsData
}

type ssoData struct {
	Href        string
	Connections []connRow
}

type connRow struct {
	Name     string
	Protocol string // "SAML" or "OpenID Connect"
	Provider string
	State    string // the store state, for the badge class
	Label    string // the state for people
	Detail   string // IdP entity id or OIDC issuer
	TestedAt stamp  // unset when never tested
}

type dirData struct {
	Href        string
	Directories []dirRow
}

type dirRow struct {
	Name     string
	Provider string
	State    string
	Label    string
	Users    int
	Groups   int
}

type domainsData struct {
	Href    string
	Domains []domainRow
}

type domainRow struct {
	Name       string
	State      string
	Label      string
	Method     string
	VerifiedAt stamp
	Failure    string
	Challenge  string // the TXT value to publish, while pending
}

// home serves the overview of the session's organization.
func (p *Portal) home(w http.ResponseWriter, r *http.Request, s *session) {
	f := p.takeFlash(w, r, s)
	d, err := p.loadHome(r.Context(), s)
	if err != nil {
		p.serverError(w, r, "loading overview", err)
		return
	}
	d.Flash = f.Notice
	p.render(w, r, http.StatusOK, homePage(p.sessionView(r, s, "Overview", ""), d))
}

// loadHome reads what the overview shows, only for granted features.
func (p *Portal) loadHome(ctx context.Context, s *session) (homeData, error) {
	d := homeData{OrgName: s.org.Name}
	var err error
	if s.s.Features.Has(store.FeatureSSO) {
		if d.SSO, err = p.loadSSO(ctx, s.org.ID); err != nil {
			return d, err
		}
	}
	if s.s.Features.Has(store.FeatureDirSync) {
		if d.Dir, err = p.loadDirectories(ctx, s.org.ID); err != nil {
			return d, err
		}
	}
	if s.s.Features.Has(store.FeatureDomains) {
		if d.Domains, err = p.loadDomains(ctx, s.org.ID); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (p *Portal) loadSSO(ctx context.Context, orgID string) (*ssoData, error) {
	conns, err := p.admin.ListConnections(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing connections: %w", err)
	}
	d := &ssoData{Href: p.path("/sso"), Connections: make([]connRow, 0, len(conns))}
	for _, c := range conns {
		row := connRow{
			Name:     c.Name,
			Provider: web.ProviderLabel(c.Provider),
			State:    string(c.State),
			Label:    web.ConnectionStateLabel(c.State),
			TestedAt: timeStamp("Last tested", c.TestedAt),
		}
		row.Protocol, row.Detail = web.ConnectionProtocol(&c)
		if row.Name == "" {
			row.Name = row.Provider + " " + row.Protocol
		}
		d.Connections = append(d.Connections, row)
	}
	return d, nil
}

func (p *Portal) loadDirectories(ctx context.Context, orgID string) (*dirData, error) {
	dirs, err := p.admin.ListDirectories(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing directories: %w", err)
	}
	d := &dirData{Href: p.path("/directory-sync"), Directories: make([]dirRow, 0, len(dirs))}
	for _, di := range dirs {
		dir, users, groups := di.Directory, di.Users, di.Groups
		row := dirRow{
			Name:     dir.Name,
			Provider: web.ProviderLabel(dir.Provider),
			State:    string(dir.State),
			Label:    web.DirectoryStateLabel(dir.State),
			Users:    users,
			Groups:   groups,
		}
		if row.Name == "" {
			row.Name = row.Provider + " directory"
		}
		d.Directories = append(d.Directories, row)
	}
	return d, nil
}

func (p *Portal) loadDomains(ctx context.Context, orgID string) (*domainsData, error) {
	doms, err := p.admin.ListDomains(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing domains: %w", err)
	}
	d := &domainsData{Href: p.path("/domains"), Domains: make([]domainRow, 0, len(doms))}
	for _, di := range doms {
		dom := di.Domain
		row := domainRow{
			Name:       dom.Name,
			State:      string(dom.State),
			Label:      web.DomainStateLabel(dom.State),
			VerifiedAt: dayStamp("Verified", dom.VerifiedAt),
			Failure:    dom.Failure,
		}
		switch dom.Method {
		case store.DomainDNSTXT:
			row.Method = "DNS TXT record"
			if dom.State != store.DomainVerified {
				row.Challenge = dom.Challenge
			}
		case store.DomainManual:
			row.Method = "Verified by your provider"
		}
		d.Domains = append(d.Domains, row)
	}
	return d, nil
}

// endSessions signs every end-user of the organization out of the host
// app (package ssokit/session) and shows the overview again.
func (p *Portal) endSessions(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := p.admin.EndSessions(r.Context(), s.org.ID, "", ssoActor(s))
	if err != nil {
		p.serverError(w, r, "ending sessions", err)
		return
	}
	p.redirect(w, r, s, p.path("/"), &flash{Notice: fmt.Sprintf("Everyone is signed out: %d session(s) ended.", n)})
}
