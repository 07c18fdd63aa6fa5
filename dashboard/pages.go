package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/events"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// The dashboard's handlers: each reads its input, calls the Admin, and
// renders or redirects. No rule lives here.

// badge is a state shown as a coloured label.
type badge struct {
	Label string
	State string // the CSS modifier: active, verified, pending, failed, draft, none
}

// ----- Organization list -----

type orgListData struct {
	ListHref     string // the list's own path, for the search form
	Search       string
	CreateAction string
	Idem         string // the create form's token
	Rows         []orgRow
	NextHref     string
	FirstHref    string // set when not on the first page
}

type orgRow struct {
	ID         string
	Name       string
	ExternalID string
	Href       string
	Created    stamp
	SSO        badge
	Directory  badge
	Domains    badge
}

// setupBadge is the state of the SSO connections or SCIM directories of an
// organization: active ones of total.
func setupBadge(active, total int) badge {
	switch {
	case active > 0:
		return badge{"Active", "active"}
	case total > 0:
		return badge{"Set up, not active", "pending"}
	}
	return badge{"Not set up", "none"}
}

func domainsBadge(s admin.OrganizationStatus) badge {
	switch {
	case s.VerifiedDomains > 0 && s.PendingDomains > 0:
		return badge{strconv.Itoa(s.VerifiedDomains) + " verified, " + strconv.Itoa(s.PendingDomains) + " pending", "verified"}
	case s.VerifiedDomains > 0:
		return badge{strconv.Itoa(s.VerifiedDomains) + " verified", "verified"}
	case s.PendingDomains > 0:
		return badge{strconv.Itoa(s.PendingDomains) + " pending", "pending"}
	case s.Domains > 0:
		return badge{strconv.Itoa(s.Domains) + " failed", "failed"}
	}
	return badge{"None", "none"}
}

// orgList renders the organization list, with the create form's problem
// and values after a refused creation.
func (d *Dashboard) orgList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	search := q.Get("q")
	after := q.Get("after")
	f := d.takeFlash(w, r)
	dv := d.newView(w, r, "Organizations", "nav-orgs")
	dv.refused(f)
	data := orgListData{ListHref: d.path("/"), Search: search, CreateAction: d.path("/orgs"), Idem: web.NewFormToken(d.rand)}
	page, err := d.a.ListOrganizations(r.Context(), admin.OrganizationQuery{Search: search, After: after})
	if err != nil {
		d.listFailed(w, r, err, dv, func(status int) { d.render(w, r, status, orgListPage(dv, data)) })
		return
	}
	for _, s := range page.Organizations {
		data.Rows = append(data.Rows, orgRow{
			ID:         s.Organization.ID,
			Name:       s.Organization.Name,
			ExternalID: s.Organization.ExternalID,
			Href:       d.orgPath(s.Organization.ID, ""),
			Created:    stampOf(s.Organization.CreatedAt),
			SSO:        setupBadge(s.Status.ActiveConnections, s.Status.Connections),
			Directory:  setupBadge(s.Status.ActiveDirectories, s.Status.Directories),
			Domains:    domainsBadge(s.Status),
		})
	}
	if page.Next != "" {
		data.NextHref = d.path("/") + "?" + url.Values{"q": {search}, "after": {page.Next}}.Encode()
	}
	if after != "" {
		data.FirstHref = d.path("/") + "?" + url.Values{"q": {search}}.Encode()
	}
	d.render(w, r, http.StatusOK, orgListPage(dv, data))
}

func (d *Dashboard) createOrg(w http.ResponseWriter, r *http.Request, form url.Values) {
	o, err := d.a.CreateOrganization(r.Context(), admin.OrganizationInput{Name: form.Get("name"), ExternalID: form.Get("external_id"),
		IdempotencyKey: idempotencyKey(form)}, d.actor(r))
	if err != nil {
		d.refuseErr(w, r, err, d.path("/"), form)
		return
	}
	d.redirect(w, r, d.orgPath(o.ID, ""), "org-created")
}

// ----- One organization -----

type orgPageData struct {
	ID, Name, ExternalID string
	Created              stamp

	UpdateAction, DeleteAction, LinkAction, DomainAction string
	// EndSessionsAction signs every end-user of the organization out.
	EndSessionsAction        string
	BrandingHref, EventsHref string

	SSO, Directory, DomainsBadge badge

	Links    []linkRow
	Features []featureOption

	Domains           []domainRowD
	DomainsConfigured bool

	Connections   []connRowD
	ConnLifecycle bool
	Directories   []dirRowD
	DirLifecycle  bool

	ConnAction, DirAction       string
	Idem                        string // the creation forms' token
	ConnProviders, DirProviders []featureOption

	Access rolesSection
}

type featureOption struct {
	Value string
	Label string
}

type linkRow struct {
	ID, Kind, Features, CreatedBy string
	Created, Expires              stamp
	Status                        badge
	RevokeAction                  string // "" when it cannot be revoked
}

type domainRowD struct {
	ID, Name, Method, VerifiedBy, Failure   string
	VerifiedAt                              stamp
	Status                                  badge
	RecordName, RecordValue                 string // while not verified by DNS
	VerifyAction, CheckAction, RemoveAction string
	CanVerify                               bool
}

type connRowD struct {
	ID, Name, Protocol, Provider, Detail string
	Security                             string // the weakening options switched on
	Status                               badge
	EnableAction, DisableAction          string // "" when not applicable
	ManageHref                           string
}

type dirRowD struct {
	ID, Name, Provider string
	Users, Groups      int
	Status             badge
	EnableAction       string
	DisableAction      string
	ManageHref         string
}

// orgPage renders the page of an organization, with the problem and the
// values of a refused form.
func (d *Dashboard) orgPage(w http.ResponseWriter, r *http.Request) {
	ov, err := d.a.Overview(r.Context(), r.PathValue("id"))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	caps := d.a.Capabilities()
	o := ov.Organization
	f := d.takeFlash(w, r)
	dv := d.newView(w, r, o.Name, "nav-orgs")
	dv.refused(f)
	data := orgPageData{
		ID: o.ID, Name: o.Name, ExternalID: o.ExternalID, Created: stampOf(o.CreatedAt),
		UpdateAction:      d.orgPath(o.ID, ""),
		DeleteAction:      d.orgPath(o.ID, "/delete"),
		LinkAction:        d.orgPath(o.ID, "/links"),
		EndSessionsAction: d.orgPath(o.ID, "/sessions/end"),
		DomainAction:      d.orgPath(o.ID, "/domains"),
		BrandingHref:      d.orgPath(o.ID, "/branding"),
		EventsHref:        d.path("/events") + "?" + url.Values{events.ParamOrgID: {o.ID}}.Encode(),
		ConnAction:        d.orgPath(o.ID, "/connections"),
		DirAction:         d.orgPath(o.ID, "/directories"),
		Idem:              web.NewFormToken(d.rand),
		SSO:               setupBadge(ov.Status.ActiveConnections, ov.Status.Connections),
		Directory:         setupBadge(ov.Status.ActiveDirectories, ov.Status.Directories),
		DomainsBadge:      domainsBadge(ov.Status),
		DomainsConfigured: caps.Domains,
		ConnLifecycle:     caps.Connections,
		DirLifecycle:      caps.Directories,
		Access:            d.loadRoles(r, o.ID),
	}
	for _, f := range web.Features() {
		data.Features = append(data.Features, featureOption{Value: string(f.Feature), Label: f.Label})
	}
	for _, p := range ssokit.Providers() {
		data.ConnProviders = append(data.ConnProviders, featureOption{Value: p, Label: cmpOr(admin.ProviderName(p), "Other (any standard provider)")})
	}
	for _, p := range admin.DirectoryProviders() {
		data.DirProviders = append(data.DirProviders, featureOption{Value: p, Label: cmpOr(admin.ProviderName(p), "Other SCIM client")})
	}
	now := d.now()
	for _, l := range ov.Links {
		row := linkRow{
			ID: l.ID, Kind: linkKindLabel(l.Kind), Features: featureLabels(l.Features), CreatedBy: l.CreatedBy,
			Created: stampOf(l.CreatedAt), Expires: stampOf(l.ExpiresAt),
		}
		switch {
		case !l.RevokedAt.IsZero():
			row.Status = badge{"Revoked", "failed"}
		case !now.Before(l.ExpiresAt):
			row.Status = badge{"Expired", "none"}
		case l.Kind == store.LinkEmbedded && !l.UsedAt.IsZero():
			row.Status = badge{"Used", "none"}
		default:
			row.Status = badge{"Active", "active"}
			row.RevokeAction = d.orgPath(o.ID, "/links/"+url.PathEscape(l.ID)+"/revoke")
		}
		data.Links = append(data.Links, row)
	}
	for _, di := range ov.Domains {
		dom := di.Domain
		row := domainRowD{
			ID: dom.ID, Name: dom.Name, VerifiedAt: stampOf(dom.VerifiedAt), VerifiedBy: dom.VerifiedBy,
			Status: badge{web.DomainStateLabel(dom.State), string(dom.State)},
		}
		if _, msg := domains.FailureOf(&dom); msg != "" {
			row.Failure = msg
		}
		switch dom.Method {
		case store.DomainDNSTXT:
			row.Method = "DNS TXT record"
		case store.DomainManual:
			row.Method = "Manual"
		}
		if dom.State != store.DomainVerified {
			row.RecordName, row.RecordValue = di.RecordName, di.RecordValue
			row.CanVerify = true
		}
		base := d.orgPath(o.ID, "/domains/"+url.PathEscape(dom.ID))
		row.VerifyAction, row.CheckAction, row.RemoveAction = base+"/verify", base+"/check", base+"/remove"
		data.Domains = append(data.Domains, row)
	}
	for _, ci := range ov.Connections {
		c := ci.Connection
		row := connRowD{ID: c.ID, Name: c.Name, Provider: web.ProviderLabel(c.Provider),
			Status: badge{web.ConnectionStateLabel(c.State), string(c.State)}}
		row.Protocol, row.Detail = web.ConnectionProtocol(&c)
		if row.Name == "" {
			row.Name = row.Provider + " " + row.Protocol
		}
		base := d.orgPath(o.ID, "/connections/"+url.PathEscape(c.ID))
		row.EnableAction, row.DisableAction = toggleActions(base, c.State == store.ConnectionActive)
		row.ManageHref, row.Security = base, securitySummary(ci)
		data.Connections = append(data.Connections, row)
	}
	for _, di := range ov.Directories {
		dir := di.Directory
		row := dirRowD{ID: dir.ID, Name: dir.Name, Provider: web.ProviderLabel(dir.Provider), Users: di.Users, Groups: di.Groups,
			Status: badge{web.DirectoryStateLabel(dir.State), string(dir.State)}}
		if row.Name == "" {
			row.Name = row.Provider + " directory"
		}
		base := d.orgPath(o.ID, "/directories/"+url.PathEscape(dir.ID))
		row.EnableAction, row.DisableAction = toggleActions(base, dir.State == store.DirectoryActive)
		row.ManageHref = base
		data.Directories = append(data.Directories, row)
	}
	d.render(w, r, http.StatusOK, orgPage(dv, data))
}

func linkKindLabel(k store.LinkKind) string {
	if k == store.LinkEmbedded {
		return "Embedded"
	}
	return "Shareable"
}

func featureLabels(fs store.Features) string {
	var out []string
	for _, f := range web.Features() {
		if fs.Has(f.Feature) {
			out = append(out, f.Label)
		}
	}
	return strings.Join(out, ", ")
}

func (d *Dashboard) updateOrg(w http.ResponseWriter, r *http.Request, form url.Values) {
	id := r.PathValue("id")
	name, ext := form.Get("name"), form.Get("external_id")
	_, err := d.a.UpdateOrganization(r.Context(), id, admin.OrganizationUpdate{Name: &name, ExternalID: &ext}, d.actor(r))
	d.done(w, r, form, err, "org-updated")
}

func (d *Dashboard) deleteOrg(w http.ResponseWriter, r *http.Request, form url.Values) {
	id := r.PathValue("id")
	o, err := d.a.GetOrganization(r.Context(), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	// A typed confirmation: deleting removes every connection, directory
	// and user of the customer.
	if strings.TrimSpace(form.Get("confirm")) != o.Name {
		d.refuse(w, r, d.orgPath(id, ""), form, "confirm", "To delete the organization, type its name exactly in the confirmation field.")
		return
	}
	if err := d.a.DeleteOrganization(r.Context(), id, d.actor(r)); err != nil {
		d.refuseErr(w, r, err, d.orgPath(id, ""), form)
		return
	}
	d.redirect(w, r, d.path("/"), "org-deleted")
}

// ----- Links -----

type linkCreatedData struct {
	OrgName, OrgHref string
	URL              string
	Expires          string
	ExpiresISO       string
	Kind             string
	Features         string
}

func (d *Dashboard) generateLink(w http.ResponseWriter, r *http.Request, form url.Values) {
	id := r.PathValue("id")
	req := admin.LinkOptions{Embedded: form.Get("kind") == string(store.LinkEmbedded), IdempotencyKey: idempotencyKey(form)}
	for _, f := range form["feature"] {
		req.Features = append(req.Features, store.Feature(f))
	}
	if len(req.Features) == 0 {
		d.refuse(w, r, d.orgPath(id, ""), form, "features", "Choose at least one section for the link to open.")
		return
	}
	l, err := d.a.GenerateLink(r.Context(), id, req, d.actor(r))
	if err != nil {
		d.refuseErr(w, r, err, d.orgPath(id, ""), form)
		return
	}
	if l.Replayed {
		// The same form posted twice: the first post showed the link.
		d.redirect(w, r, d.orgPath(id, ""), "link-shown")
		return
	}
	fs := store.Features(req.Features).Normalize()
	kind := store.LinkShareable
	if req.Embedded {
		kind = store.LinkEmbedded
	}
	// The link holds its token: the next page shows it once.
	d.reveal(w, r, d.orgPath(id, "/links/created"), map[string]string{"url": l.URL, "expires": web.FormatTime(l.ExpiresAt),
		"expires_iso": l.ExpiresAt.UTC().Format(time.RFC3339), "kind": linkKindLabel(kind), "features": featureLabels(fs)}, "")
}

// endSessions signs every end-user of the organization out of the host
// app (package ssokit/session): every instance refuses their sessions at
// the next request after its session cache TTL.
func (d *Dashboard) endSessions(w http.ResponseWriter, r *http.Request, form url.Values) {
	_, err := d.a.EndSessions(r.Context(), r.PathValue("id"), "", d.actor(r))
	d.done(w, r, form, err, "sessions-ended")
}

func (d *Dashboard) revokeLink(w http.ResponseWriter, r *http.Request, form url.Values) {
	_, err := d.a.RevokeLink(r.Context(), r.PathValue("link"), d.actor(r))
	d.done(w, r, form, err, "link-revoked")
}

// ----- Domains -----

func (d *Dashboard) addDomain(w http.ResponseWriter, r *http.Request, form url.Values) {
	id := r.PathValue("id")
	_, err := d.a.AddDomain(r.Context(), id, admin.DomainInput{Name: form.Get("name"), Method: store.DomainMethod(form.Get("method"))}, d.actor(r))
	d.done(w, r, form, err, "domain-added")
}

func (d *Dashboard) verifyDomain(w http.ResponseWriter, r *http.Request, form url.Values) {
	_, err := d.a.VerifyDomain(r.Context(), r.PathValue("domain"), d.actor(r))
	d.done(w, r, form, err, "domain-verified")
}

func (d *Dashboard) checkDomain(w http.ResponseWriter, r *http.Request, form url.Values) {
	di, ce, err := d.a.CheckDomain(r.Context(), r.PathValue("domain"))
	switch {
	case err != nil:
		d.done(w, r, form, err, "")
	case ce != nil || di.Domain.State != store.DomainVerified:
		d.done(w, r, form, nil, "domain-not-verified")
	default:
		d.done(w, r, form, nil, "domain-verified")
	}
}

func (d *Dashboard) removeDomain(w http.ResponseWriter, r *http.Request, form url.Values) {
	err := d.a.RemoveDomain(r.Context(), r.PathValue("domain"), d.actor(r))
	d.done(w, r, form, err, "domain-removed")
}

// ----- Connections and directories -----

// listFailed answers a listing the service refused (a bad search or
// cursor, say) with the page, rendered by page, and the refusal as its
// error notice; any other failure is logged and gets a generic page.
func (d *Dashboard) listFailed(w http.ResponseWriter, r *http.Request, err error, dv *dashView, page func(status int)) {
	status, _, msg, ok := web.DescribeError(err)
	if !ok {
		d.fail(w, r, err)
		return
	}
	dv.Error = msg
	page(status)
}

// done answers a change to an organization: its page with the notice
// done, or with why form was refused.
func (d *Dashboard) done(w http.ResponseWriter, r *http.Request, form url.Values, err error, done string) {
	if err != nil {
		d.refuseErr(w, r, err, d.orgPath(r.PathValue("id"), ""), form)
		return
	}
	d.redirect(w, r, d.orgPath(r.PathValue("id"), ""), done)
}

// switchHandler enables or disables ({op}) the connection or directory
// (kind) whose id is the path value param, then goes back to the
// organization's page.
func switchHandler[T any](d *Dashboard, kind, param string, enable, disable func(ctx context.Context, id, actor string) (*T, error)) actionHandler {
	return func(w http.ResponseWriter, r *http.Request, form url.Values) {
		op := r.PathValue("op")
		change := disable
		switch op {
		case "enable":
			change = enable
		case "disable":
		default:
			d.renderProblem(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
			return
		}
		_, err := change(r.Context(), r.PathValue(param), d.actor(r))
		d.done(w, r, form, err, kind+"-"+op+"d")
	}
}

// ----- Branding -----

type brandingPageData struct {
	ScopeLabel    string
	OrgHref       string // "" for host-wide
	Action        string
	AccentColor   string // stored; "" inherits
	PreviewAccent string // what the portal shows now
	PickerValue   string // a valid colour for the colour picker
	LogoURL       string // "" without a stored logo
	FaviconURL    string
	ProductName   string
}

// brandingPage renders the branding page of the request's scope (the {id}
// path value, or host-wide), keeping the submitted colour after a refused
// change.
func (d *Dashboard) brandingPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	scope := r.PathValue("id")
	b, err := d.a.GetBranding(ctx, scope)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	resolved, err := d.a.ResolveBranding(ctx, scope)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	data := brandingPageData{
		ScopeLabel:    "All organizations",
		Action:        d.path("/branding"),
		AccentColor:   b.AccentColor,
		PreviewAccent: resolved.AccentColor,
		ProductName:   resolved.ProductName,
	}
	assetBase := d.path("/branding")
	if scope != "" {
		o, err := d.a.GetOrganization(ctx, scope)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		data.ScopeLabel = o.Name
		data.OrgHref = d.orgPath(scope, "")
		data.Action = d.orgPath(scope, "/branding")
		assetBase = data.Action
	}
	f := d.takeFlash(w, r)
	if f.Form == "branding-form" && f.Values != nil {
		data.AccentColor = f.Values.Get("accent_color")
	}
	data.PickerValue = data.PreviewAccent
	if store.ValidColor(data.AccentColor) {
		data.PickerValue = strings.ToLower(data.AccentColor)
	}
	if b.Logo != nil {
		data.LogoURL = assetBase + "/logo"
	}
	if b.Favicon != nil {
		data.FaviconURL = assetBase + "/favicon"
	}
	title := "Branding"
	if scope != "" {
		title = "Branding of " + data.ScopeLabel
	}
	dv := d.newView(w, r, title, "nav-branding")
	dv.refused(f)
	d.render(w, r, http.StatusOK, brandingPage(dv, data))
}

// formFile reads the uploaded file field, nil when none was chosen. It
// reads one byte more than the limit so that the Admin refuses an
// oversized file with its own message.
func formFile(r *http.Request, field string) ([]byte, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	fhs := r.MultipartForm.File[field]
	if len(fhs) == 0 || (fhs[0].Filename == "" && fhs[0].Size == 0) {
		return nil, nil
	}
	f, err := fhs[0].Open()
	if err != nil {
		return nil, err
	}
	defer func(f multipart.File) { _ = f.Close() }(f)
	return io.ReadAll(io.LimitReader(f, admin.MaxBrandingImageBytes+1))
}

func (d *Dashboard) updateBranding(w http.ResponseWriter, r *http.Request, form url.Values) {
	scope := r.PathValue("id")
	dest := d.path("/branding")
	if scope != "" {
		dest = d.orgPath(scope, "/branding")
	}
	var u admin.BrandingUpdate
	if _, ok := form["accent_color"]; ok {
		c := form.Get("accent_color")
		u.AccentColor = &c
	}
	var err error
	if u.Logo, err = formFile(r, "logo"); err != nil {
		d.refuse(w, r, dest, form, "logo", "The logo could not be read.")
		return
	}
	if u.Favicon, err = formFile(r, "favicon"); err != nil {
		d.refuse(w, r, dest, form, "favicon", "The favicon could not be read.")
		return
	}
	u.RemoveLogo = form.Get("remove_logo") != ""
	u.RemoveFavicon = form.Get("remove_favicon") != ""
	if _, err := d.a.UpdateBranding(r.Context(), scope, u, d.actor(r)); err != nil {
		d.refuseErr(w, r, err, dest, form)
		return
	}
	d.redirect(w, r, dest, "branding-updated")
}

// ----- Events -----

// The audit log lists events newest first, in pages of eventPageSize,
// with the event feed's filters (org_id, types, after: events after a
// cursor) and its paging: before=<cursor> is the page of events just
// older than that cursor, after=<cursor> the page just newer (read in
// cursor order, shown newest first).

const eventPageSize = 50

type eventsPageData struct {
	Action    string
	OrgID     string
	Type      string
	After     string
	Rows      []eventRow
	OlderHref string
	NewerHref string
	FirstHref string // the newest events, when not shown
	Empty     bool
}

type eventRow struct {
	Cursor  string
	ID      string
	Time    stamp
	Type    string
	OrgID   string
	OrgHref string
	Subject string
	Actor   string
	Data    string
}

// maxEventDataShown bounds the JSON shown per event.
const maxEventDataShown = 400

func (d *Dashboard) eventsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := eventsPageData{Action: d.path("/events"), OrgID: q.Get(events.ParamOrgID), Type: q.Get(events.ParamTypes), After: q.Get(events.ParamAfter)}
	dv := d.newView(w, r, "Audit log", "nav-events")
	cursor := func(name string) (int64, bool) {
		s := q.Get(name)
		if s == "" || (name == events.ParamAfter && s == events.AfterLatest) {
			return 0, true
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= 0
	}
	after, okAfter := cursor(events.ParamAfter)
	before, okBefore := cursor(paramBefore)
	if !okAfter || !okBefore {
		dv.Error = "A cursor must be a whole number (0 or more); “after” may also be “latest”."
		d.render(w, r, http.StatusBadRequest, eventsPage(dv, data))
		return
	}
	// A page of events after a cursor is read in cursor order (the
	// feed's), then shown newest first; every other page newest first.
	newer := after > 0 && before == 0
	eq := admin.EventQuery{After: after, Before: before, NewestFirst: !newer, OrgID: data.OrgID, Types: strings.Split(data.Type, ","), Limit: eventPageSize}
	page, err := d.a.ListEvents(r.Context(), eq)
	if err != nil {
		d.listFailed(w, r, err, dv, func(status int) { d.render(w, r, status, eventsPage(dv, data)) })
		return
	}
	evs := page.Events
	if newer {
		slices.Reverse(evs)
	}
	for _, e := range evs {
		row := eventRow{
			Cursor: strconv.FormatInt(e.Cursor, 10), ID: e.ID, Time: stampOf(e.CreatedAt), Type: e.Type,
			OrgID: e.OrgID, Subject: e.Subject, Actor: e.Actor, Data: compactJSON(e.Data),
		}
		if e.OrgID != "" {
			row.OrgHref = d.orgPath(e.OrgID, "")
		}
		data.Rows = append(data.Rows, row)
	}
	data.Empty = len(data.Rows) == 0
	filters := url.Values{}
	if data.OrgID != "" {
		filters.Set(events.ParamOrgID, data.OrgID)
	}
	if data.Type != "" {
		filters.Set(events.ParamTypes, data.Type)
	}
	link := func(name string, c int64) string {
		v := url.Values{}
		for k, x := range filters {
			v[k] = x
		}
		v.Set(name, strconv.FormatInt(c, 10))
		return d.path("/events") + "?" + v.Encode()
	}
	if n := len(evs); n > 0 {
		top, bottom := evs[0].Cursor, evs[n-1].Cursor
		if (newer && bottom > 1) || (!newer && page.HasMore) {
			data.OlderHref = link(paramBefore, bottom)
		}
		if (newer && page.HasMore) || (!newer && before > 0) {
			data.NewerHref = link(events.ParamAfter, top)
		}
	}
	if before > 0 || newer {
		data.FirstHref = d.path("/events")
		if len(filters) > 0 {
			data.FirstHref += "?" + filters.Encode()
		}
	}
	d.render(w, r, http.StatusOK, eventsPage(dv, data))
}

// paramBefore is the audit log's cursor of its older pages: the events
// before it.
const paramBefore = "before"

func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	s := string(raw)
	if utf8.RuneCountInString(s) > maxEventDataShown {
		rs := []rune(s)
		s = string(rs[:maxEventDataShown]) + "…"
	}
	return s
}

// ----- API keys -----

type apiKeysPageData struct {
	CreateAction string
	Idem         string // the create form's token
	NewKey       string // shown once, right after creation
	NewKeyName   string
	Keys         []apiKeyRow
}

type apiKeyRow struct {
	ID, Name, Hint    string
	Created, LastUsed stamp
	Status            badge
	RevokeAction      string
}

// apiKeysPage lists the keys, with a new key once after its creation, or
// the problem of a refused form.
func (d *Dashboard) apiKeysPage(w http.ResponseWriter, r *http.Request) {
	keys, err := d.a.ListAPIKeys(r.Context())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	f := d.takeFlash(w, r)
	data := apiKeysPageData{CreateAction: d.path("/api-keys"), Idem: web.NewFormToken(d.rand)}
	data.NewKey, data.NewKeyName = f.Reveal["key"], f.Reveal["name"]
	for _, k := range keys {
		row := apiKeyRow{ID: k.ID, Name: k.Name, Hint: k.Hint, Created: stampOf(k.CreatedAt), LastUsed: stampOf(k.LastUsedAt)}
		if k.RevokedAt.IsZero() {
			row.Status = badge{"Active", "active"}
			row.RevokeAction = d.path("/api-keys/" + url.PathEscape(k.ID) + "/revoke")
		} else {
			row.Status = badge{"Revoked", "failed"}
		}
		data.Keys = append(data.Keys, row)
	}
	dv := d.newView(w, r, "API keys", "nav-api-keys")
	dv.refused(f)
	d.render(w, r, http.StatusOK, apiKeysPage(dv, data))
}

func (d *Dashboard) createAPIKey(w http.ResponseWriter, r *http.Request, form url.Values) {
	k, err := d.a.CreateAPIKey(r.Context(), admin.APIKeyInput{Name: form.Get("name"), IdempotencyKey: idempotencyKey(form)}, d.actor(r))
	if err != nil {
		d.refuseErr(w, r, err, d.path("/api-keys"), form)
		return
	}
	if k.Replayed {
		d.redirect(w, r, d.path("/api-keys"), "api-key-replayed")
		return
	}
	// The next page shows the key, once.
	d.reveal(w, r, d.path("/api-keys"), map[string]string{"key": k.Key, "name": k.APIKey.Name}, "api-key-created")
}

func (d *Dashboard) revokeAPIKey(w http.ResponseWriter, r *http.Request, form url.Values) {
	if err := d.a.RevokeAPIKey(r.Context(), r.PathValue("key"), d.actor(r)); err != nil {
		d.refuseErr(w, r, err, d.path("/api-keys"), form)
		return
	}
	d.redirect(w, r, d.path("/api-keys"), "api-key-revoked")
}

// toggleActions returns the form action that turns the resource at base
// off when it is active, and on when it is not; the other is empty.
func toggleActions(base string, active bool) (enable, disable string) {
	if active {
		return "", base + "/disable"
	}
	return base + "/enable", ""
}

// securitySummary names the security-weakening options a connection has
// switched on, for the organization's page ("" when none).
func securitySummary(ci admin.ConnectionInfo) string {
	var on []string
	if ci.Security.InsecureAllowIdPInitiated {
		on = append(on, "IdP-initiated login")
	}
	if ci.Security.InsecureAllowSHA1 {
		on = append(on, "SHA-1")
	}
	if ci.Security.InsecureClockSkew > 0 {
		on = append(on, "clock skew "+ci.ClockSkew.String())
	}
	if len(on) == 0 {
		return ""
	}
	return "insecure: " + strings.Join(on, ", ")
}
