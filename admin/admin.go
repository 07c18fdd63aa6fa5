package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/events"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// Event types the service writes to the Store's outbox, each in the same
// Store write as the change it records. Domain events are written by the
// domains package, connection and directory events by the lifecycle
// implementations.
const (
	EventOrganizationCreated = "organization.created"
	EventOrganizationUpdated = "organization.updated"
	EventOrganizationDeleted = "organization.deleted"
	EventBrandingUpdated     = "branding.updated"
	EventAPIKeyCreated       = "api_key.created"
	EventAPIKeyRevoked       = "api_key.revoked"
)

// Limits of the service's inputs.
const (
	// MaxNameLength is the longest organization name, API key name or
	// external id, in characters.
	MaxNameLength = 200
	// MaxBrandingImageBytes is the largest logo or favicon accepted.
	MaxBrandingImageBytes = 256 << 10
	// DefaultPageSize and MaxPageSize bound organization and event listings.
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// APIKeyPrefix starts every management API key.
const APIKeyPrefix = "okm_"

// Sentinel errors of the service. Every error it returns for a caller's
// mistake is an *AdminError that wraps one of these (and the cause), so
// callers test them with errors.Is. Other errors are failures of the Store
// or of a dependency.
var (
	// ErrInvalidInput: a field is missing or malformed.
	ErrInvalidInput = errors.New("admin: invalid input")
	// ErrNotFound: the organization, link, domain, connection or directory
	// does not exist. The error also wraps store.ErrNotFound.
	ErrNotFound = errors.New("admin: not found")
	// ErrConflict: the change clashes with the state of something else (an
	// external id in use, a domain verified by another organization, a
	// connection that cannot be enabled in its state).
	ErrConflict = errors.New("admin: conflict")
	// ErrNotConfigured: the operation needs a Config field that is not set
	// (Domains, Connections or Directories).
	ErrNotConfigured = errors.New("admin: not configured")
)

// AdminError is a refused admin operation. Message is written for the
// operator and is safe to show in the dashboard or return from the
// management API: it never holds a secret or a Store's internal error text.
type AdminError struct {
	Kind    error  // ErrInvalidInput, ErrNotFound, ErrConflict or ErrNotConfigured
	Field   string // the input field at fault, when there is one
	Message string // for the operator; never a secret or a Store's error text
	Err     error  // the cause, if any
}

// Error returns "admin: " followed by Message.
func (e *AdminError) Error() string { return "admin: " + e.Message }

// Unwrap returns the kind and the cause.
func (e *AdminError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func invalidInput(field, format string, args ...any) *AdminError {
	return &AdminError{Kind: ErrInvalidInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(what, id string) *AdminError {
	return &AdminError{Kind: ErrNotFound, Message: fmt.Sprintf("%s %q not found", what, id), Err: store.ErrNotFound}
}

func conflict(cause error, format string, args ...any) *AdminError {
	return &AdminError{Kind: ErrConflict, Message: fmt.Sprintf(format, args...), Err: cause}
}

func notConfigured(what string) *AdminError {
	return &AdminError{Kind: ErrNotConfigured, Message: what + " is not configured on this server"}
}

// ConnectionLifecycle changes the state of SSO connections under the SSO
// kit's rules (only a tested connection may become active, and so on); an
// *ssokit.SSO is one. The service never changes a connection's state
// itself. Implementations write their own events, with actor as the Actor.
// For an unknown id they return an error wrapping store.ErrNotFound or
// ssokit.ErrConnectionNotFound; for a transition their rules refuse, one
// wrapping store.ErrConflict, store.ErrInvalid or ssokit.ErrNotTested.
type ConnectionLifecycle interface {
	Activate(ctx context.Context, id, actor string) (*store.Connection, error)
	Deactivate(ctx context.Context, id, actor string) (*store.Connection, error)
}

// DirectoryLifecycle changes the state of SCIM directories under the SCIM
// kit's rules; a *scimkit.Server is one. Implementations return an error
// wrapping store.ErrNotFound for an unknown id and store.ErrConflict (or
// store.ErrInvalid) for a transition their rules refuse.
type DirectoryLifecycle interface {
	ActivateDirectory(ctx context.Context, id, actor string) (*store.Directory, error)
	DeactivateDirectory(ctx context.Context, id, actor string) (*store.Directory, error)
}

// The SSO and SCIM kits are the lifecycles a host passes.
var (
	_ ConnectionLifecycle = (*ssokit.SSO)(nil)
	_ DirectoryLifecycle  = (*scimkit.Server)(nil)
)

// Admin is the service layer: every operation of the IT-admin portal, the
// operator dashboard and the management API, which all call it, so that
// each rule lives in one place. It is also the Go API a host calls to
// create organizations, issue portal links and so on. Methods that change
// something take the actor recorded in their events, such as
// "operator:jane@example.com"; "" records "system".
//
// Errors: an *AdminError wrapping ErrInvalidInput, ErrNotFound, ErrConflict
// or ErrNotConfigured for a refused operation; any other error is a failure
// of the Store or of a dependency (log it, show a generic message).
type Admin struct {
	cfg       Config
	st        Store
	now       func() time.Time
	rand      io.Reader
	log       *slog.Logger
	portalURL string // PortalURL without a trailing slash
	brand     Branding
}

func actorOr(actor string) string {
	if strings.TrimSpace(actor) == "" {
		return "system"
	}
	return actor
}

// checkName validates a required or optional name-like field.
func checkName(field, v string, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" && required {
		return "", invalidInput(field, "%s is required", field)
	}
	// The Stores' rule for text (valid UTF-8, no control character).
	if err := store.ValidateLine(field, v); err != nil {
		return "", &AdminError{Kind: ErrInvalidInput, Field: field, Message: strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": "), Err: err}
	}
	if utf8.RuneCountInString(v) > MaxNameLength {
		return "", invalidInput(field, "%s must be at most %d characters", field, MaxNameLength)
	}
	return v, nil
}

// ----- Organizations -----

// OrganizationInput is a new organization.
type OrganizationInput struct {
	// Name is shown to operators and in the portal. Required, at most
	// MaxNameLength characters.
	Name string
	// ExternalID is the host's own id for this customer. Optional; unique
	// when set.
	ExternalID string
	// IdempotencyKey, when set, makes the creation safe to retry: a second
	// call with the same key returns the organization the first one
	// created and creates nothing. At most MaxIdempotencyKeyLength
	// printable ASCII characters.
	IdempotencyKey string
}

// OrganizationUpdate changes an organization: nil fields stay as they are.
// An empty ExternalID removes it.
type OrganizationUpdate struct {
	Name       *string // the new name; nil keeps it
	ExternalID *string // the host's own id; nil keeps it, "" removes it
}

// OrganizationStatus is an organization's setup at a glance.
type OrganizationStatus struct {
	Connections       int // SSO connections, in any state
	ActiveConnections int // SSO connections that sign users in
	Directories       int // SCIM directories, in any state
	ActiveDirectories int // SCIM directories that accept requests
	Domains           int // domains, in any state
	VerifiedDomains   int // domains that route logins
	PendingDomains    int // domains awaiting verification
}

// OrganizationSummary is an organization with its status.
type OrganizationSummary struct {
	Organization store.Organization // the organization
	Status       OrganizationStatus // its setup at a glance
}

// OrganizationQuery selects a page of organizations.
type OrganizationQuery struct {
	// Search keeps organizations whose name, id or external id contains it,
	// case-insensitively.
	Search string
	// After is the Next of the previous page; "" for the first page.
	After string
	// Limit is the page size: DefaultPageSize when 0, at most MaxPageSize.
	Limit int
}

// OrganizationPage is a page of organizations, ordered by creation.
type OrganizationPage struct {
	// Organizations are the page's organizations with their status.
	Organizations []OrganizationSummary
	// Next is the After of the next page, "" on the last page.
	Next string
}

// CreateOrganization creates an organization with an organization.created
// event. ErrConflict when the external id is taken.
func (a *Admin) CreateOrganization(ctx context.Context, in OrganizationInput, actor string) (*store.Organization, error) {
	name, err := checkName("name", in.Name, true)
	if err != nil {
		return nil, err
	}
	ext, err := checkName("external_id", in.ExternalID, false)
	if err != nil {
		return nil, err
	}
	id, err := idempotentID("org", "", in.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	replay := func() (*store.Organization, error) {
		return replayed(ctx, "organization", id, "", a.st.GetOrganization, func(*store.Organization) string { return "" })
	}
	if o, err := replay(); o != nil || err != nil {
		return o, err
	}
	if id == "" {
		if id, err = secret.NewID(a.rand, "org"); err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
	}
	now := a.now().UTC()
	o := &store.Organization{ID: id, Name: name, ExternalID: ext, CreatedAt: now, UpdatedAt: now}
	ev, err := a.event(EventOrganizationCreated, id, id, actorOr(actor), map[string]any{"name": name, "external_id": ext})
	if err != nil {
		return nil, err
	}
	if err := a.st.CreateOrganization(ctx, o, ev); err != nil {
		if in.IdempotencyKey != "" && errors.Is(err, store.ErrAlreadyExists) {
			// A concurrent call with the same key won.
			if o, err := replay(); o != nil || err != nil {
				return o, err
			}
		}
		if errors.Is(err, store.ErrAlreadyExists) && ext != "" {
			return nil, conflict(err, "external id %q is already used by another organization", ext)
		}
		return nil, fmt.Errorf("admin: creating organization: %w", err)
	}
	return o, nil
}

// GetOrganization returns the organization id. ErrNotFound when absent.
func (a *Admin) GetOrganization(ctx context.Context, id string) (*store.Organization, error) {
	if strings.TrimSpace(id) == "" {
		return nil, invalidInput("id", "organization id is required")
	}
	o, err := a.st.GetOrganization(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("organization", id)
	}
	if err != nil {
		return nil, fmt.Errorf("admin: loading organization: %w", err)
	}
	return o, nil
}

// GetOrganizationByExternalID returns the organization whose external id
// (the host's own id for the customer) is externalID, with its status.
// ErrNotFound when none has it.
func (a *Admin) GetOrganizationByExternalID(ctx context.Context, externalID string) (*OrganizationSummary, error) {
	if strings.TrimSpace(externalID) == "" {
		return nil, invalidInput("external_id", "external id is required")
	}
	o, err := a.st.GetOrganizationByExternalID(ctx, externalID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &AdminError{Kind: ErrNotFound, Message: fmt.Sprintf("no organization has the external id %q", externalID), Err: store.ErrNotFound}
	}
	if err != nil {
		return nil, fmt.Errorf("admin: loading organization: %w", err)
	}
	st, err := a.status(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	return &OrganizationSummary{Organization: *o, Status: st}, nil
}

// UpdateOrganization changes the organization id with an
// organization.updated event listing the changed fields. Nothing changes
// (and no event is written) when every field already has its value.
func (a *Admin) UpdateOrganization(ctx context.Context, id string, u OrganizationUpdate, actor string) (*store.Organization, error) {
	if _, err := a.GetOrganization(ctx, id); err != nil {
		return nil, err
	}
	var name, ext string
	var err error
	if u.Name != nil {
		if name, err = checkName("name", *u.Name, true); err != nil {
			return nil, err
		}
	}
	if u.ExternalID != nil {
		if ext, err = checkName("external_id", *u.ExternalID, false); err != nil {
			return nil, err
		}
	}
	now := a.now().UTC()
	o, err := a.st.UpdateOrganization(ctx, id, func(o *store.Organization) ([]store.Event, error) {
		changed := map[string]any{}
		if u.Name != nil && name != o.Name {
			changed["name"] = name
			o.Name = name
		}
		if u.ExternalID != nil && ext != o.ExternalID {
			changed["external_id"] = ext
			o.ExternalID = ext
		}
		if len(changed) == 0 {
			return nil, nil
		}
		o.UpdatedAt = now
		ev, err := a.event(EventOrganizationUpdated, id, id, actorOr(actor), map[string]any{"changed": changed})
		if err != nil {
			return nil, err
		}
		return []store.Event{ev}, nil
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound("organization", id)
	case errors.Is(err, store.ErrAlreadyExists):
		return nil, conflict(err, "external id %q is already used by another organization", ext)
	case err != nil:
		return nil, fmt.Errorf("admin: updating organization: %w", err)
	}
	return o, nil
}

// DeleteOrganization deletes the organization id and everything that
// belongs to it (domains, connections, links, sessions, directories with
// their users and groups, branding), with an organization.deleted event.
// Its earlier events stay in the outbox. ErrNotFound when absent.
func (a *Admin) DeleteOrganization(ctx context.Context, id, actor string) error {
	o, err := a.GetOrganization(ctx, id)
	if err != nil {
		return err
	}
	ev, err := a.event(EventOrganizationDeleted, id, id, actorOr(actor), map[string]any{"name": o.Name, "external_id": o.ExternalID})
	if err != nil {
		return err
	}
	if err := a.st.DeleteOrganization(ctx, id, ev); err != nil {
		return fmt.Errorf("admin: deleting organization: %w", err)
	}
	return nil
}

// ListOrganizations returns a page of organizations with their status.
func (a *Admin) ListOrganizations(ctx context.Context, q OrganizationQuery) (*OrganizationPage, error) {
	limit, err := pageSize(q.Limit)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(q.Search) > MaxNameLength {
		return nil, invalidInput("search", "search must be at most %d characters", MaxNameLength)
	}
	orgs, more, err := a.st.ListOrganizations(ctx, store.OrganizationQuery{Search: strings.TrimSpace(q.Search), After: q.After, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("admin: listing organizations: %w", err)
	}
	// The statuses of the whole page come from one Store read.
	ids := make([]string, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	setups, err := a.st.OrganizationSetups(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("admin: reading organization statuses: %w", err)
	}
	page := &OrganizationPage{Organizations: make([]OrganizationSummary, 0, len(orgs))}
	for _, o := range orgs {
		page.Organizations = append(page.Organizations, OrganizationSummary{Organization: o, Status: statusOf(setups[o.ID])})
	}
	if more && len(orgs) > 0 {
		page.Next = orgs[len(orgs)-1].ID
	}
	return page, nil
}

func pageSize(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 0 || n > MaxPageSize:
		return 0, invalidInput("limit", "limit must be between 1 and %d", MaxPageSize)
	}
	return n, nil
}

// status reads an organization's setup at a glance.
func (a *Admin) status(ctx context.Context, orgID string) (OrganizationStatus, error) {
	setups, err := a.st.OrganizationSetups(ctx, []string{orgID})
	if err != nil {
		return OrganizationStatus{}, fmt.Errorf("admin: reading organization status: %w", err)
	}
	return statusOf(setups[orgID]), nil
}

// statusOf is the status an organization's setup counts show.
func statusOf(c store.OrganizationSetup) OrganizationStatus {
	var s OrganizationStatus
	for state, n := range c.Connections {
		s.Connections += n
		if state == store.ConnectionActive {
			s.ActiveConnections += n
		}
	}
	for state, n := range c.Directories {
		s.Directories += n
		if state == store.DirectoryActive {
			s.ActiveDirectories += n
		}
	}
	for state, n := range c.Domains {
		s.Domains += n
		switch state {
		case store.DomainVerified:
			s.VerifiedDomains += n
		case store.DomainPending:
			s.PendingDomains += n
		}
	}
	return s
}

// Overview is everything about one organization an operator looks at.
type Overview struct {
	Organization store.Organization // the organization
	Status       OrganizationStatus // its setup at a glance
	Connections  []ConnectionInfo   // secrets removed, with their security options
	Directories  []DirectoryInfo    // with their user and group counts
	Domains      []DomainInfo       // with their TXT records
	Links        []store.PortalLink // newest first, digests removed
	// Branding is the organization's own branding, nil when it has none.
	Branding *store.Branding
}

// Overview returns the organization id with its connections, directories,
// domains, links and branding. ErrNotFound when absent.
func (a *Admin) Overview(ctx context.Context, id string) (*Overview, error) {
	o, err := a.GetOrganization(ctx, id)
	if err != nil {
		return nil, err
	}
	ov := &Overview{Organization: *o}
	if ov.Status, err = a.status(ctx, id); err != nil {
		return nil, err
	}
	if ov.Connections, err = a.connectionInfos(ctx, id); err != nil {
		return nil, err
	}
	if ov.Directories, err = a.listDirectories(ctx, id); err != nil {
		return nil, err
	}
	if ov.Domains, err = a.listDomains(ctx, id); err != nil {
		return nil, err
	}
	if ov.Links, err = a.listLinks(ctx, id); err != nil {
		return nil, err
	}
	b, err := a.st.GetBranding(ctx, id)
	switch {
	case err == nil:
		ov.Branding = b
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("admin: loading branding: %w", err)
	}
	return ov, nil
}

// ----- Domains -----

// DomainInfo is a domain with the TXT record that proves it.
type DomainInfo struct {
	Domain store.Domain // the domain
	// RecordName and RecordValue are the TXT record to publish; empty
	// without a configured domains.Service.
	RecordName  string
	RecordValue string
}

func (a *Admin) domainInfo(d *store.Domain) DomainInfo {
	di := DomainInfo{Domain: *d}
	if a.cfg.Domains != nil {
		di.RecordName, di.RecordValue = a.cfg.Domains.Record(d)
	}
	return di
}

func (a *Admin) listDomains(ctx context.Context, orgID string) ([]DomainInfo, error) {
	doms, err := a.st.ListDomains(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("admin: listing domains: %w", err)
	}
	out := make([]DomainInfo, 0, len(doms))
	for i := range doms {
		out = append(out, a.domainInfo(&doms[i]))
	}
	return out, nil
}

// ListDomains returns the organization's domains ordered by name.
// ErrNotFound for an unknown organization.
func (a *Admin) ListDomains(ctx context.Context, orgID string) ([]DomainInfo, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	return a.listDomains(ctx, orgID)
}

func (a *Admin) domainService() (*domains.Service, error) {
	if a.cfg.Domains == nil {
		return nil, notConfigured("domain verification (Config.Domains)")
	}
	return a.cfg.Domains, nil
}

// domainError turns an error of the domains package into an *AdminError
// when it is the caller's mistake.
func domainError(err error, name string) error {
	switch {
	case errors.Is(err, domains.ErrInvalidDomain):
		return &AdminError{Kind: ErrInvalidInput, Field: "name", Message: fmt.Sprintf("%q is not a valid domain name", name), Err: err}
	case errors.Is(err, domains.ErrConsumerDomain):
		return &AdminError{Kind: ErrInvalidInput, Field: "name", Message: fmt.Sprintf("%s is a consumer mail domain and cannot be claimed by an organization", name), Err: err}
	case errors.Is(err, domains.ErrAlreadyAdded):
		return conflict(err, "the organization already has the domain %s", name)
	case errors.Is(err, domains.ErrDomainTaken):
		return conflict(err, "%s is verified by another organization", name)
	case errors.Is(err, domains.ErrNotPending):
		return conflict(err, "%s is already verified", name)
	}
	return err
}

// DomainInput is a domain to add to an organization.
type DomainInput struct {
	Name string
	// Method verifies it: store.DomainDNSTXT (the default: the customer
	// publishes the TXT record of the result) or store.DomainManual (an
	// operator vouches for it with VerifyDomain).
	Method store.DomainMethod
	// IdempotencyKey, when set, makes the creation safe to retry: a second
	// AddDomain of the organization with the same key returns the domain
	// the first added and adds nothing. At most MaxIdempotencyKeyLength
	// printable ASCII characters.
	IdempotencyKey string
}

// AddDomain claims the domain in.Name for the organization as pending, to
// be verified by in.Method. ErrInvalidInput for a malformed or consumer
// domain; ErrConflict when the organization has it (added without this
// idempotency key) or another has it verified.
func (a *Admin) AddDomain(ctx context.Context, orgID string, in DomainInput, actor string) (*DomainInfo, error) {
	svc, err := a.domainService()
	if err != nil {
		return nil, err
	}
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	method := cmp.Or(in.Method, store.DomainDNSTXT)
	if !method.Valid() {
		return nil, invalidInput("method", "unknown verification method %q: use dns_txt or manual", method)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, invalidInput("name", "domain name is required")
	}
	if n, err := domains.Normalize(name); err == nil {
		name = n
	}
	id, get, err := idempotentCreate(ctx, "dom", "domain", orgID, in.IdempotencyKey, a.st.GetDomain, func(d *store.Domain) string { return d.OrgID })
	if err != nil {
		return nil, err
	}
	d, err := get()
	if err == nil && d == nil {
		d, err = svc.AddWithID(ctx, id, orgID, name, method, actorOr(actor))
		if id != "" && errors.Is(err, domains.ErrAlreadyAdded) {
			// A concurrent retry added it first.
			if first, gerr := get(); gerr == nil && first != nil {
				d, err = first, nil
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("organization", orgID)
	}
	if err != nil {
		return nil, domainError(err, name)
	}
	di := a.domainInfo(d)
	return &di, nil
}

func (a *Admin) getDomain(ctx context.Context, id string) (*store.Domain, error) {
	if strings.TrimSpace(id) == "" {
		return nil, invalidInput("id", "domain id is required")
	}
	d, err := a.st.GetDomain(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("domain", id)
	}
	if err != nil {
		return nil, fmt.Errorf("admin: loading domain: %w", err)
	}
	return d, nil
}

// VerifyDomain marks the pending or failed domain id verified on the
// operator's word (manual verification), recording actor. ErrConflict when
// it is already verified or another organization holds it verified.
func (a *Admin) VerifyDomain(ctx context.Context, id, actor string) (*DomainInfo, error) {
	svc, err := a.domainService()
	if err != nil {
		return nil, err
	}
	d, err := a.getDomain(ctx, id)
	if err != nil {
		return nil, err
	}
	v, err := svc.VerifyManually(ctx, id, actorOr(actor))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("domain", id)
	}
	if err != nil {
		return nil, domainError(err, d.Name)
	}
	di := a.domainInfo(v)
	return &di, nil
}

// CheckDomain looks up the domain's TXT record now and records the result
// ("verify now"). When DNS does not show the record, the domain is returned
// with a non-nil *domains.CheckError saying what DNS showed; err is then
// nil.
func (a *Admin) CheckDomain(ctx context.Context, id string) (*DomainInfo, *domains.CheckError, error) {
	svc, err := a.domainService()
	if err != nil {
		return nil, nil, err
	}
	d, err := a.getDomain(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := svc.Check(ctx, id)
	var ce *domains.CheckError
	switch {
	case errors.As(err, &ce) && c != nil:
		di := a.domainInfo(c)
		return &di, ce, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, nil, notFound("domain", id)
	case err != nil:
		return nil, nil, domainError(err, d.Name)
	}
	di := a.domainInfo(c)
	return &di, nil, nil
}

// RemoveDomain deletes the domain id with a domain.deleted event.
// ErrNotFound when absent.
func (a *Admin) RemoveDomain(ctx context.Context, id, actor string) error {
	svc, err := a.domainService()
	if err != nil {
		return err
	}
	if _, err := a.getDomain(ctx, id); err != nil {
		return err
	}
	if err := svc.Remove(ctx, id, actorOr(actor)); err != nil {
		return fmt.Errorf("admin: removing domain: %w", err)
	}
	return nil
}

// ----- Connections and directories -----

// redactConnection removes the secrets a listing must not show: the OIDC
// client secret and the SAML SP private key.
func redactConnection(c *store.Connection) {
	if c.OIDC != nil {
		o := *c.OIDC
		o.ClientSecret = ""
		c.OIDC = &o
	}
	if c.SAML != nil {
		s := *c.SAML
		s.SPKeyPEM = ""
		c.SAML = &s
	}
}

func (a *Admin) connectionInfos(ctx context.Context, orgID string) ([]ConnectionInfo, error) {
	conns, err := a.st.ListConnections(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("admin: listing connections: %w", err)
	}
	out := make([]ConnectionInfo, 0, len(conns))
	for i := range conns {
		out = append(out, a.ConnectionInfo(&conns[i]))
	}
	return out, nil
}

// ListConnectionInfos returns the organization's SSO connections as
// ConnectionInfo: without their secrets, with their security options.
// ErrNotFound for an unknown organization.
func (a *Admin) ListConnectionInfos(ctx context.Context, orgID string) ([]ConnectionInfo, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	return a.connectionInfos(ctx, orgID)
}

func (a *Admin) listConnections(ctx context.Context, orgID string) ([]store.Connection, error) {
	conns, err := a.st.ListConnections(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("admin: listing connections: %w", err)
	}
	for i := range conns {
		redactConnection(&conns[i])
	}
	return conns, nil
}

// ListConnections returns the organization's SSO connections, without
// their secrets. ErrNotFound for an unknown organization.
func (a *Admin) ListConnections(ctx context.Context, orgID string) ([]store.Connection, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	return a.listConnections(ctx, orgID)
}

// EnableConnection activates the connection id through
// Config.Connections. ErrNotConfigured without it; ErrConflict when its
// rules refuse (a draft connection that was never tested, say).
func (a *Admin) EnableConnection(ctx context.Context, id, actor string) (*store.Connection, error) {
	return a.setConnection(ctx, id, actor, true)
}

// DisableConnection deactivates the connection id through
// Config.Connections.
func (a *Admin) DisableConnection(ctx context.Context, id, actor string) (*store.Connection, error) {
	return a.setConnection(ctx, id, actor, false)
}

func (a *Admin) setConnection(ctx context.Context, id, actor string, on bool) (*store.Connection, error) {
	lc := a.cfg.Connections
	if lc == nil {
		return nil, notConfigured("enabling and disabling connections (Config.Connections)")
	}
	change := lc.Deactivate
	if on {
		change = lc.Activate
	}
	c, err := switchState(ctx, "connection", id, actor, on, func(ctx context.Context, id string) (string, error) {
		c, err := a.st.GetConnection(ctx, id)
		if err != nil {
			return "", err
		}
		return string(c.State), nil
	}, change)
	if err != nil {
		return nil, err
	}
	out := *c
	redactConnection(&out)
	return &out, nil
}

// switchState switches the connection or directory id (what says which) on
// or off with change, a kit's lifecycle rule, and turns the kit's errors
// into the service's. state reads its current state, for the message.
func switchState[T any](ctx context.Context, what, id, actor string, on bool,
	state func(context.Context, string) (string, error),
	change func(ctx context.Context, id, actor string) (*T, error)) (*T, error) {
	if strings.TrimSpace(id) == "" {
		return nil, invalidInput("id", "%s id is required", what)
	}
	cur, err := state(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(what, id)
	}
	if err != nil {
		return nil, fmt.Errorf("admin: loading %s: %w", what, err)
	}
	verb := "disabled"
	if on {
		verb = "enabled"
	}
	v, err := change(ctx, id, actorOr(actor))
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, ssokit.ErrConnectionNotFound):
		return nil, notFound(what, id)
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalid), errors.Is(err, ssokit.ErrNotTested):
		return nil, conflict(err, "%s %q cannot be %s in its current state (%s)", what, id, verb, cur)
	case err != nil:
		return nil, fmt.Errorf("admin: changing %s state: %w", what, err)
	}
	return v, nil
}

// DirectoryInfo is a directory with its user and group counts.
type DirectoryInfo struct {
	Directory store.Directory // the directory
	Users     int             // users provisioned into it, active or not
	Groups    int             // groups provisioned into it
}

func (a *Admin) listDirectories(ctx context.Context, orgID string) ([]DirectoryInfo, error) {
	dirs, err := a.st.ListDirectories(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("admin: listing directories: %w", err)
	}
	out := make([]DirectoryInfo, 0, len(dirs))
	for _, d := range dirs {
		_, users, err := a.st.ListDirectoryUsers(ctx, d.ID, store.UserQuery{Limit: 0})
		if err != nil {
			return nil, fmt.Errorf("admin: counting users: %w", err)
		}
		_, groups, err := a.st.ListDirectoryGroups(ctx, d.ID, store.GroupQuery{Limit: 0})
		if err != nil {
			return nil, fmt.Errorf("admin: counting groups: %w", err)
		}
		out = append(out, DirectoryInfo{Directory: d, Users: users, Groups: groups})
	}
	return out, nil
}

// ListDirectories returns the organization's directories with their
// counts. ErrNotFound for an unknown organization.
func (a *Admin) ListDirectories(ctx context.Context, orgID string) ([]DirectoryInfo, error) {
	if _, err := a.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	return a.listDirectories(ctx, orgID)
}

// EnableDirectory activates the directory id through Config.Directories.
func (a *Admin) EnableDirectory(ctx context.Context, id, actor string) (*store.Directory, error) {
	d, err := a.setDirectory(ctx, id, actor, true)
	if err == nil {
		a.afterEnable(ctx, d)
	}
	return d, err
}

// DisableDirectory deactivates the directory id through
// Config.Directories.
func (a *Admin) DisableDirectory(ctx context.Context, id, actor string) (*store.Directory, error) {
	return a.setDirectory(ctx, id, actor, false)
}

func (a *Admin) setDirectory(ctx context.Context, id, actor string, on bool) (*store.Directory, error) {
	lc := a.cfg.Directories
	if lc == nil {
		return nil, notConfigured("enabling and disabling directories (Config.Directories)")
	}
	change := lc.DeactivateDirectory
	if on {
		change = lc.ActivateDirectory
	}
	return switchState(ctx, "directory", id, actor, on, func(ctx context.Context, id string) (string, error) {
		d, err := a.st.GetDirectory(ctx, id)
		if err != nil {
			return "", err
		}
		return string(d.State), nil
	}, change)
}

// ----- Branding -----

// BrandingUpdate changes the branding of a scope. Nil fields stay as they
// are.
type BrandingUpdate struct {
	// AccentColor is "#RRGGBB", or "" to inherit (the host-wide colour, or
	// Config.Branding's).
	AccentColor *string
	// Logo and Favicon are image files: PNG, JPEG, GIF, WebP or ICO, at most
	// MaxBrandingImageBytes. The type is read from the bytes, never from a
	// name or a declared type. SVG is refused: it can carry script.
	Logo    []byte
	Favicon []byte
	// RemoveLogo and RemoveFavicon drop the stored image (the scope then
	// inherits).
	RemoveLogo    bool
	RemoveFavicon bool
}

// sniffImage returns the content type of an uploaded image, or an
// *AdminError when it is not one of the accepted types.
func sniffImage(field string, data []byte) (string, error) {
	if len(data) == 0 {
		return "", invalidInput(field, "%s is empty", field)
	}
	if len(data) > MaxBrandingImageBytes {
		return "", invalidInput(field, "%s must be at most %d KiB", field, MaxBrandingImageBytes>>10)
	}
	ct := http.DetectContentType(data)
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/x-icon":
		return ct, nil
	}
	return "", invalidInput(field, "%s must be a PNG, JPEG, GIF, WebP or ICO image (SVG is not accepted)", field)
}

func (a *Admin) checkScope(ctx context.Context, scope string) error {
	if scope == "" {
		return nil
	}
	_, err := a.GetOrganization(ctx, scope)
	return err
}

// GetBranding returns the branding stored for scope ("" for host-wide, or
// an organization id): an empty Branding when none is stored. ErrNotFound
// for an unknown organization.
func (a *Admin) GetBranding(ctx context.Context, scope string) (*store.Branding, error) {
	if err := a.checkScope(ctx, scope); err != nil {
		return nil, err
	}
	b, err := a.st.GetBranding(ctx, scope)
	if errors.Is(err, store.ErrNotFound) {
		return &store.Branding{Scope: scope}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("admin: loading branding: %w", err)
	}
	return b, nil
}

// UpdateBranding changes the branding of scope ("" for host-wide, or an
// organization id) with a branding.updated event. The portal's pages show
// it from their next request.
func (a *Admin) UpdateBranding(ctx context.Context, scope string, u BrandingUpdate, actor string) (*store.Branding, error) {
	if u.AccentColor != nil {
		c := strings.TrimSpace(*u.AccentColor)
		if c != "" && !store.ValidColor(c) {
			return nil, invalidInput("accent_color", "accent colour must be #RRGGBB, such as #3452c7")
		}
		u.AccentColor = &c
	}
	var logo, favicon *store.Asset
	if u.Logo != nil {
		ct, err := sniffImage("logo", u.Logo)
		if err != nil {
			return nil, err
		}
		logo = &store.Asset{ContentType: ct, Data: u.Logo}
	}
	if u.Favicon != nil {
		ct, err := sniffImage("favicon", u.Favicon)
		if err != nil {
			return nil, err
		}
		favicon = &store.Asset{ContentType: ct, Data: u.Favicon}
	}
	if err := a.checkScope(ctx, scope); err != nil {
		return nil, err
	}
	// The change is applied inside the Store's write, so two operators
	// editing different fields at once lose neither edit.
	b, err := a.st.UpdateBranding(ctx, scope, func(b *store.Branding) ([]store.Event, error) {
		changed := map[string]any{}
		if u.AccentColor != nil && !strings.EqualFold(*u.AccentColor, b.AccentColor) {
			b.AccentColor = strings.ToLower(*u.AccentColor)
			changed["accent_color"] = b.AccentColor
		}
		switch {
		case logo != nil:
			b.Logo = logo
			changed["logo"] = logo.ContentType
		case u.RemoveLogo && b.Logo != nil:
			b.Logo = nil
			changed["logo"] = nil
		}
		switch {
		case favicon != nil:
			b.Favicon = favicon
			changed["favicon"] = favicon.ContentType
		case u.RemoveFavicon && b.Favicon != nil:
			b.Favicon = nil
			changed["favicon"] = nil
		}
		if len(changed) == 0 {
			return nil, errUnchanged
		}
		b.UpdatedAt = a.now().UTC()
		ev, err := a.event(EventBrandingUpdated, scope, scopeSubject(scope), actorOr(actor), map[string]any{"scope": scope, "changed": changed})
		if err != nil {
			return nil, err
		}
		return []store.Event{ev}, nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		return a.GetBranding(ctx, scope)
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound("organization", scope)
	case err != nil:
		return nil, fmt.Errorf("admin: storing branding: %w", err)
	}
	return b, nil
}

// errUnchanged aborts a branding update that would change nothing, so that
// nothing is written and no event is recorded.
var errUnchanged = errors.New("admin: branding unchanged")

func scopeSubject(scope string) string {
	if scope == "" {
		return "branding"
	}
	return scope
}

// ----- Events -----

// EventQuery selects a page of the outbox, in cursor order. Its fields
// are those of events.PullQuery, under the same names in the management
// API (after, limit, types, org_id).
type EventQuery struct {
	// After is a cursor: events after it. 0 reads from the start; pass the
	// previous page's NextCursor to go on.
	After int64
	// Latest starts from the newest event: the page holds no events, and
	// its NextCursor is the cursor to poll from.
	Latest bool
	// NewestFirst lists the newest events first (an audit log), down to
	// After: the page's NextCursor is its oldest event's cursor, to pass
	// as Before for the next (older) page, and HasMore says whether there
	// is one.
	NewestFirst bool
	// Before, with NewestFirst, keeps events older than this cursor; 0
	// starts from the newest event.
	Before int64
	// OrgID keeps one organization's events; "" keeps all.
	OrgID string
	// Types keeps events whose type is one of Types or starts with one
	// followed by "." (so "portal.link" keeps portal.link.created and
	// portal.link.revoked); empty keeps all.
	Types []string
	// Limit is the page size: DefaultPageSize when 0, at most MaxPageSize.
	Limit int
}

// ListEvents returns a page of events, in the JSON shape of the events
// package (events.Envelope).
func (a *Admin) ListEvents(ctx context.Context, q EventQuery) (*events.Page, error) {
	limit, err := pageSize(q.Limit)
	if err != nil {
		return nil, err
	}
	if q.After < 0 {
		return nil, invalidInput("after", "after must be a cursor (0 or more)")
	}
	if q.Before < 0 {
		return nil, invalidInput("before", "before must be a cursor (0 or more)")
	}
	if q.NewestFirst {
		return a.eventsNewestFirst(ctx, q, limit)
	}
	pq := events.PullQuery{After: q.After, Latest: q.Latest, Limit: limit, OrgID: strings.TrimSpace(q.OrgID)}
	for _, t := range q.Types {
		if t = strings.TrimSpace(t); t != "" {
			pq.Types = append(pq.Types, t)
		}
	}
	page, err := events.Pull(ctx, a.st, pq)
	if errors.Is(err, events.ErrBadQuery) {
		return nil, invalidInput("types", "event types must be dotted lower-case words, such as portal.link")
	}
	if err != nil {
		return nil, fmt.Errorf("admin: listing events: %w", err)
	}
	return page, nil
}

// eventsNewestFirst is ListEvents with q.NewestFirst.
func (a *Admin) eventsNewestFirst(ctx context.Context, q EventQuery, limit int) (*events.Page, error) {
	sq := store.EventQuery{Descending: true, After: q.After, Before: q.Before, OrgID: strings.TrimSpace(q.OrgID), Limit: limit + 1}
	for _, t := range q.Types {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !events.ValidType(t) {
			return nil, invalidInput("types", "event types must be dotted lower-case words, such as portal.link")
		}
		sq.Types = append(sq.Types, t)
	}
	evs, err := a.st.ListEvents(ctx, sq)
	if err != nil {
		return nil, fmt.Errorf("admin: listing events: %w", err)
	}
	page := &events.Page{Events: make([]events.Envelope, 0, min(len(evs), limit)), NextCursor: q.Before}
	if len(evs) > limit {
		evs, page.HasMore = evs[:limit], true
	}
	for _, e := range evs {
		page.Events = append(page.Events, events.NewEnvelope(e))
		page.NextCursor = e.Cursor
	}
	return page, nil
}

// ----- API keys -----

// NewAPIKey is a management API key just created: Key is shown once and
// never stored.
type NewAPIKey struct {
	Key    string       // the plaintext key, "okm_..."; shown once
	APIKey store.APIKey // without its digest
	// Replayed is set when an earlier call with the same idempotency key
	// created the key: Key is then empty (it was shown once).
	Replayed bool
}

// APIKeyInput is a new management API key.
type APIKeyInput struct {
	// Name tells the key apart. Required, at most MaxNameLength characters.
	Name string
	// IdempotencyKey, when set, makes the creation safe to retry: a second
	// call with the same key returns the first one's key, without its
	// secret (NewAPIKey.Replayed), and creates nothing.
	IdempotencyKey string
}

// CreateAPIKey creates a management API key, with an api_key.created
// event. The key is 256 random bits; only its SHA-256 digest is stored.
func (a *Admin) CreateAPIKey(ctx context.Context, in APIKeyInput, actor string) (*NewAPIKey, error) {
	name, err := checkName("name", in.Name, true)
	if err != nil {
		return nil, err
	}
	id, err := idempotentID("key", "", in.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	replay := func() (*NewAPIKey, error) {
		if id == "" {
			return nil, nil
		}
		keys, err := a.ListAPIKeys(ctx)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if k.ID == id {
				return &NewAPIKey{APIKey: k, Replayed: true}, nil
			}
		}
		return nil, nil
	}
	if k, err := replay(); k != nil || err != nil {
		return k, err
	}
	key, err := secret.New(a.rand, APIKeyPrefix)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if id == "" {
		if id, err = secret.NewID(a.rand, "key"); err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
	}
	k := store.APIKey{ID: id, Name: name, Digest: secret.Digest(key), Hint: secret.Hint(key), CreatedAt: a.now().UTC()}
	ev, err := a.event(EventAPIKeyCreated, "", id, actorOr(actor), map[string]any{"key_id": id, "name": name})
	if err != nil {
		return nil, err
	}
	if err := a.st.CreateAPIKey(ctx, &k, ev); err != nil {
		if in.IdempotencyKey != "" && errors.Is(err, store.ErrAlreadyExists) {
			if k, err := replay(); k != nil || err != nil {
				return k, err
			}
		}
		return nil, fmt.Errorf("admin: storing API key: %w", err)
	}
	k.Digest = nil
	return &NewAPIKey{Key: key, APIKey: k}, nil
}

// ListAPIKeys returns every management API key, newest first, without
// digests.
func (a *Admin) ListAPIKeys(ctx context.Context) ([]store.APIKey, error) {
	keys, err := a.st.ListAPIKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: listing API keys: %w", err)
	}
	for i := range keys {
		keys[i].Digest = nil
	}
	return keys, nil
}

// RevokeAPIKey revokes the key id with an api_key.revoked event; requests
// with it are refused at once. ErrNotFound when absent.
func (a *Admin) RevokeAPIKey(ctx context.Context, id, actor string) error {
	if strings.TrimSpace(id) == "" {
		return invalidInput("id", "API key id is required")
	}
	ev, err := a.event(EventAPIKeyRevoked, "", id, actorOr(actor), map[string]any{"key_id": id})
	if err != nil {
		return err
	}
	err = a.st.RevokeAPIKey(ctx, id, a.now().UTC(), ev)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("API key", id)
	}
	if err != nil {
		return fmt.Errorf("admin: revoking API key: %w", err)
	}
	return nil
}

// AuthenticateAPIKey returns the live management API key whose secret is
// key, and records its use. It returns store.ErrNotFound when no key has
// this secret and store.ErrRevoked when the key is revoked. The key is
// looked up by its SHA-256 digest (the Store's index never sees the key
// itself) and the digests are compared again in constant time.
func (a *Admin) AuthenticateAPIKey(ctx context.Context, key string) (*store.APIKey, error) {
	if !secret.Valid(key, APIKeyPrefix) {
		return nil, store.ErrNotFound
	}
	d := secret.Digest(key)
	k, err := a.st.GetAPIKeyByDigest(ctx, d)
	if err != nil {
		return nil, err
	}
	if !secret.Equal(k.Digest, d) {
		return nil, store.ErrNotFound
	}
	if !k.RevokedAt.IsZero() {
		return nil, store.ErrRevoked
	}
	now := a.now().UTC()
	if err := a.st.TouchAPIKey(ctx, k.ID, now); err != nil {
		a.log.WarnContext(ctx, "admin: recording API key use", "key_id", k.ID, "error", err)
	}
	return k, nil
}
