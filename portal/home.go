package portal

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// homeData is the overview page: the organization and, for each section the
// session may use, its current state read from the Store. A nil section is
// not granted.
type homeData struct {
	OrgName string
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
	TestedAt string // "" when never tested
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
	VerifiedAt string
	Failure    string
	Challenge  string // the TXT value to publish, while pending
}

// home serves the overview of the session's organization.
func (p *Portal) home(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := p.loadHome(r.Context(), s)
	if err != nil {
		p.serverError(w, r, "loading overview", err)
		return
	}
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
	conns, err := p.st.ListConnections(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing connections: %w", err)
	}
	d := &ssoData{Href: p.path("/sso"), Connections: make([]connRow, 0, len(conns))}
	for _, c := range conns {
		row := connRow{
			Name:     c.Name,
			Provider: providerLabel(c.Provider),
			State:    string(c.State),
			Label:    connectionStateLabel(c.State),
			TestedAt: formatTime(c.TestedAt),
		}
		switch c.Protocol {
		case store.ProtocolSAML:
			row.Protocol = "SAML"
			if c.SAML != nil {
				row.Detail = c.SAML.IdPEntityID
			}
		case store.ProtocolOIDC:
			row.Protocol = "OpenID Connect"
			if c.OIDC != nil {
				row.Detail = c.OIDC.Issuer
			}
		default:
			row.Protocol = string(c.Protocol)
		}
		if row.Name == "" {
			row.Name = row.Provider + " " + row.Protocol
		}
		d.Connections = append(d.Connections, row)
	}
	return d, nil
}

func (p *Portal) loadDirectories(ctx context.Context, orgID string) (*dirData, error) {
	dirs, err := p.st.ListDirectories(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing directories: %w", err)
	}
	d := &dirData{Href: p.path("/directory-sync"), Directories: make([]dirRow, 0, len(dirs))}
	for _, dir := range dirs {
		_, users, err := p.st.ListDirectoryUsers(ctx, dir.ID, store.UserQuery{Limit: 0})
		if err != nil {
			return nil, fmt.Errorf("counting users: %w", err)
		}
		_, groups, err := p.st.ListDirectoryGroups(ctx, dir.ID, store.GroupQuery{Limit: 0})
		if err != nil {
			return nil, fmt.Errorf("counting groups: %w", err)
		}
		row := dirRow{
			Name:     dir.Name,
			Provider: providerLabel(dir.Provider),
			State:    string(dir.State),
			Label:    directoryStateLabel(dir.State),
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
	doms, err := p.st.ListDomains(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing domains: %w", err)
	}
	d := &domainsData{Href: p.path("/domains"), Domains: make([]domainRow, 0, len(doms))}
	for _, dom := range doms {
		row := domainRow{
			Name:       dom.Name,
			State:      string(dom.State),
			Label:      domainStateLabel(dom.State),
			VerifiedAt: formatTime(dom.VerifiedAt),
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

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

func providerLabel(p string) string {
	switch p {
	case "okta":
		return "Okta"
	case "entra":
		return "Microsoft Entra ID"
	case "google":
		return "Google Workspace"
	case "onelogin":
		return "OneLogin"
	case "jumpcloud":
		return "JumpCloud"
	case "ping":
		return "Ping Identity"
	case "adfs":
		return "AD FS"
	case "generic", "":
		return "Custom"
	}
	return p
}

func connectionStateLabel(s store.ConnectionState) string {
	switch s {
	case store.ConnectionDraft:
		return "Draft"
	case store.ConnectionTested:
		return "Tested, not active"
	case store.ConnectionActive:
		return "Active"
	case store.ConnectionInactive:
		return "Inactive"
	}
	return string(s)
}

func directoryStateLabel(s store.DirectoryState) string {
	switch s {
	case store.DirectoryActive:
		return "Active"
	case store.DirectoryInactive:
		return "Inactive"
	}
	return string(s)
}

func domainStateLabel(s store.DomainState) string {
	switch s {
	case store.DomainPending:
		return "Pending verification"
	case store.DomainVerified:
		return "Verified"
	case store.DomainFailed:
		return "Verification failed"
	}
	return string(s)
}
