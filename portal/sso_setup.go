package portal

import (
	"cmp"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// The SSO setup is a guided flow, one step per GET page: choose the
// provider (/sso/new), the protocol and a name (/sso/new/{provider}),
// which creates the draft connection; then /sso/{id}/setup/{step} for
// each step of ssoSteps. Every POST redirects to the next step's GET page,
// or renders the step again with its errors; what was saved lives in the
// connection itself, so a reload, back and forward show the setup where it
// is. /sso/{id} is the connection's overview: state, certificates and
// their renewal, and the way back into each step.

// ssoSteps are the steps of a connection's setup after its creation.
var ssoSteps = []struct{ Key, Label string }{
	{"guide", "Set up the app"},
	{"idp", "Identity provider details"},
	{"mapping", "Attributes"},
	{"test", "Test"},
	{"activate", "Activate"},
}

// certWarning is how long before its expiry a trusted IdP certificate is
// shown as expiring soon.
const certWarning = 30 * 24 * time.Hour

type ssoStep struct {
	Number         int
	Label, Href    string
	Current, Done  bool
	NotApplicable  bool
	CurrentAttrVal string
}

// ---- list, provider and protocol ----

type ssoListData struct {
	Conns     []ssoListRow
	CanCreate bool
	NewHref   string
	Flash     string
}

type ssoListRow struct {
	connRow
	Href, Logo string
	Continue   string
	// The certificate that expires last: its expiry, how long it has
	// left, and its state ("", "ok", "soon" or "expired").
	CertExpiry stamp
	CertLeft   string
	CertState  string
}

type ssoOption struct{ Value, Label string }

type ssoProviderChoice struct {
	Value, Label, Logo, Href string
}

type ssoNewData struct {
	Providers []ssoProviderChoice
	// The protocol step.
	Provider, ProviderLabel, Logo string
	Protocols                     []ssoOption
	Action, BackHref              string
	NameRequired                  bool
	Form, Errors                  map[string]string
	FormToken                     string
}

func ssoProtocolOptions() []ssoOption {
	return []ssoOption{{string(store.ProtocolSAML), "SAML 2.0"}, {string(store.ProtocolOIDC), "OpenID Connect"}}
}

// ssoProviderName is the provider's name for people; "generic" has none.
func ssoProviderName(provider string) string {
	if provider == "generic" || provider == "" {
		return "your identity provider"
	}
	return web.ProviderLabel(provider)
}

// ssoConnName is the name a connection is shown by: its own, or its
// provider's real name and protocol.
func ssoConnName(c *store.Connection) string {
	if c.Name != "" {
		return c.Name
	}
	proto, _ := web.ConnectionProtocol(c)
	if c.Provider == "generic" || c.Provider == "" {
		return proto + " identity provider"
	}
	return web.ProviderLabel(c.Provider) + " (" + proto + ")"
}

func (p *Portal) providerLogo(provider string) string {
	if !slices.Contains(ssokit.Providers(), provider) {
		provider = "generic"
	}
	return p.path("/assets/provider-" + provider + ".svg")
}

var ssoListFlashes = map[string]string{
	"deleted": "Connection deleted.",
}

func (p *Portal) ssoList(w http.ResponseWriter, r *http.Request, s *session) {
	conns, err := p.st.ListConnections(r.Context(), s.org.ID)
	if err != nil {
		p.serverError(w, r, "loading connections", err)
		return
	}
	base, err := p.loadSSO(r.Context(), s.org.ID)
	if err != nil {
		p.serverError(w, r, "loading connections", err)
		return
	}
	f := p.takeFlash(w, r, s)
	d := ssoListData{CanCreate: p.cfg.SSO != nil, NewHref: p.path("/sso/new"), Flash: cmp.Or(f.Notice, ssoListFlashes[r.URL.Query().Get("saved")])}
	now := p.now()
	for i, row := range base.Connections {
		c := &conns[i]
		lr := ssoListRow{connRow: row, Href: p.path("/sso/" + url.PathEscape(c.ID)), Logo: p.providerLogo(c.Provider)}
		lr.Name = ssoConnName(c)
		if step := ssoNextStep(c); step != "" {
			lr.Continue = p.path("/sso/" + url.PathEscape(c.ID) + "/setup/" + step)
		}
		lr.CertState, lr.CertExpiry, lr.CertLeft = ssoCertSummary(c, now)
		d.Conns = append(d.Conns, lr)
	}
	p.render(w, r, http.StatusOK, ssoListPage(p.sessionView(r, s, "Single sign-on", "/sso"), d))
}

func (p *Portal) ssoChooseProvider(w http.ResponseWriter, r *http.Request, s *session) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	var d ssoNewData
	for _, pr := range ssokit.Providers() {
		label := web.ProviderLabel(pr)
		if pr == "generic" {
			label = "Another SAML or OpenID Connect provider"
		}
		d.Providers = append(d.Providers, ssoProviderChoice{Value: pr, Label: label, Logo: p.providerLogo(pr), Href: p.path("/sso/new/" + pr)})
	}
	d.BackHref = p.path("/sso")
	p.render(w, r, http.StatusOK, ssoProviderPage(p.sessionView(r, s, "Choose your identity provider", "/sso"), d))
}

func (p *Portal) ssoChooseProtocol(w http.ResponseWriter, r *http.Request, s *session) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	provider := r.PathValue("provider")
	if !slices.Contains(ssokit.Providers(), provider) {
		p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
		return
	}
	f := p.takeFlash(w, r, s)
	form := f.Form
	if form == nil {
		form = map[string]string{"protocol": "saml"}
	}
	d := ssoNewData{Provider: provider, ProviderLabel: ssoProviderName(provider), Logo: p.providerLogo(provider),
		Protocols: ssoProtocolOptions(), Action: p.path("/sso/connections"), BackHref: p.path("/sso/new"),
		NameRequired: provider == "generic", Form: form, Errors: f.Errors, FormToken: web.NewFormToken(p.rand)}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	title := "Connect " + d.ProviderLabel
	if provider == "generic" {
		title = "Connect your identity provider"
	}
	v := p.sessionView(r, s, title, "/sso")
	v.Errors = f.summary([]string{"protocol", "name"}, func(n string) string { return "f-" + n })
	p.render(w, r, http.StatusOK, ssoProtocolPage(v, d))
}

// ssoCreate creates the draft connection. Posted twice with its form
// token (a double click, a re-sent POST), it goes on with the connection
// the first post created.
func (p *Portal) ssoCreate(w http.ResponseWriter, r *http.Request, s *session) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	form := map[string]string{
		"protocol": r.PostForm.Get("protocol"),
		"provider": r.PostForm.Get("provider"),
		"name":     strings.TrimSpace(r.PostForm.Get("name")),
	}
	if !slices.Contains(ssokit.Providers(), form["provider"]) {
		p.renderSessionProblem(w, r, s, http.StatusUnprocessableEntity, problemBadRequest)
		return
	}
	back := p.path("/sso/new/" + form["provider"])
	if form["provider"] == "generic" && form["name"] == "" {
		p.redirect(w, r, s, back, &flash{ErrForm: "create", Form: form,
			Errors: map[string]string{"name": "Enter the name of your identity provider, such as “Keycloak” or “Auth0”."}})
		return
	}
	info, err := p.admin.CreateConnection(r.Context(), s.org.ID, admin.ConnectionInput{
		Protocol: store.Protocol(form["protocol"]), Provider: form["provider"], Name: form["name"], IdempotencyKey: idempotencyKey(r, s),
	}, ssoActor(s))
	var ae *admin.AdminError
	switch {
	case errors.As(err, &ae) && ae.Kind == admin.ErrInvalidInput:
		field := ae.Field
		if field != "protocol" && field != "name" {
			field = "name"
		}
		p.redirect(w, r, s, back, &flash{ErrForm: "create", Form: form, Errors: map[string]string{field: ssoSentence(ae.Message)}})
		return
	case err != nil:
		p.serverError(w, r, "creating connection", err)
		return
	}
	p.redirect(w, r, s, p.path("/sso/"+url.PathEscape(info.Connection.ID)+"/setup/guide"), nil)
}

// ---- the connection's data ----

// ssoConnData is one connection: its state, the values to give the IdP,
// the guide, the IdP settings, the mapping, its certificates, and the
// step of the setup being shown.
type ssoConnData struct {
	ID, Name, Provider, ProviderLabel, ProtocolLabel, Logo string
	SAML                                                   bool
	State, StateLabel                                      string
	TestedAt                                               stamp
	Active, CanActivate, CanDeactivate, CanTest            bool
	Configured                                             bool

	Values []ssoCopyValue
	Guide  ssoGuide

	// Current IdP settings.
	IdPEntityID, SSOURL, MetadataURL, Source string
	// IdPSLOURL is the IdP's Single Logout endpoint in use, from the
	// metadata or entered by hand; SLOURL the one entered by hand.
	IdPSLOURL, SLOURL                  string
	Issuer, ClientID, Scopes, TenantID string
	HasSecret                          bool

	Mapping []ssoMappingRow
	Certs   []ssoCertRow
	// CertsUnreadable is set when a stored certificate could not be read.
	CertsUnreadable bool

	// The setup.
	Steps        []ssoStep
	Step         string // the step shown; "" on the overview
	Method       string // the SAML input method shown: url, xml or manual
	Methods      []ssoMethodLink
	NextHref     string // the step after this one
	ContinueHref string // the first unfinished step, "" when done
	PrevHref     string

	// Form state after a refused submission.
	Form    map[string]string
	Errors  map[string]string
	ErrForm string // which form the errors belong to
	Flash   string
	Alert   string // an error not tied to a field

	Actions map[string]string
}

type ssoMethodLink struct {
	Key, Label, Href string
	Current          bool
}

type ssoCertRow struct {
	Thumbprint, Short, Subject, Left string
	Expiry                           stamp
	State                            string // ok, soon or expired
	FromMetadata                     bool
	// RemoveHref is the confirmation page of its removal, "" when it
	// cannot be removed by hand.
	RemoveHref string
}

type ssoCopyValue struct {
	ID, Label, Value, Help string
}

type ssoMappingRow struct {
	Field, Label, Value, Defaults string
}

var ssoFieldLabels = map[string]string{
	ssokit.FieldEmail: "Email", ssokit.FieldFirstName: "First name", ssokit.FieldLastName: "Last name",
	ssokit.FieldDisplayName: "Display name", ssokit.FieldGroups: "Groups", ssokit.FieldRoles: "Roles",
}

// ssoFlashes are the confirmations shown after a redirect, by the code in
// the saved query parameter (never text from the request).
var ssoFlashes = map[string]string{
	"idp":          "Identity provider settings saved. Check the attributes, then test the connection.",
	"mapping":      "Attribute mapping saved.",
	"activated":    "Connection activated: it now signs people in.",
	"deactivated":  "Connection deactivated: it no longer signs anyone in.",
	"cert_added":   "Certificate added. Both certificates are trusted: switch your identity provider to the new one, then remove the old one here.",
	"cert_removed": "Certificate removed: responses signed with it are refused from now on.",
}

func (p *Portal) connData(c *store.Connection) ssoConnData {
	d := ssoConnData{
		ID: c.ID, Name: ssoConnName(c), Provider: c.Provider, ProviderLabel: ssoProviderName(c.Provider),
		Logo: p.providerLogo(c.Provider),
		SAML: c.Protocol == store.ProtocolSAML, State: string(c.State), StateLabel: web.ConnectionStateLabel(c.State),
		TestedAt: timeStamp("Last tested", c.TestedAt), Active: c.State == store.ConnectionActive,
		Form: map[string]string{}, Errors: map[string]string{},
		Guide: ssoGuideFor(c.Provider, c.Protocol),
	}
	d.CanActivate = c.State == store.ConnectionTested || (c.State == store.ConnectionInactive && !c.TestedAt.IsZero())
	d.CanDeactivate = d.Active
	d.CanTest = c.State != store.ConnectionInactive
	base := p.path("/sso/" + url.PathEscape(c.ID))
	d.Actions = map[string]string{
		"metadata_url": base + "/saml/metadata-url", "metadata_xml": base + "/saml/metadata-xml",
		"manual": base + "/saml/manual", "oidc": base + "/oidc", "mapping": base + "/mapping",
		"test": base + "/test", "activate": base + "/activate", "deactivate": base + "/deactivate",
		"delete": base + "/delete", "list": p.path("/sso"), "overview": base,
		"cert_add": base + "/certificates",
	}
	if d.SAML {
		d.ProtocolLabel = "SAML 2.0"
		if sc := c.SAML; sc != nil {
			d.IdPEntityID, d.SSOURL, d.MetadataURL, d.SLOURL = sc.IdPEntityID, sc.SSOURL, sc.MetadataURL, sc.SLOURL
			switch {
			case sc.MetadataURL != "":
				d.Source = "Metadata URL"
			case sc.MetadataXML != "":
				d.Source = "Uploaded metadata"
			case sc.IdPEntityID != "":
				d.Source = "Entered manually"
			}
			d.Configured = sc.IdPEntityID != ""
		}
		d.Certs, d.CertsUnreadable = p.certRows(c)
	} else {
		d.ProtocolLabel = "OpenID Connect"
		if oc := c.OIDC; oc != nil {
			d.Issuer, d.ClientID, d.TenantID = oc.Issuer, oc.ClientID, oc.TenantID
			d.Scopes = strings.Join(oc.Scopes, " ")
			d.HasSecret = oc.ClientSecret != ""
			d.Configured = oc.Issuer != "" && oc.ClientID != ""
		}
	}
	d.CanTest = d.CanTest && d.Configured
	if p.cfg.SSO != nil {
		if d.SAML {
			d.Values = []ssoCopyValue{
				{"v-acs", "ACS URL", p.cfg.SSO.SAMLACSURL(c.ID), "Also called Single sign-on URL, Reply URL or Assertion Consumer Service URL."},
				{"v-entity", "SP entity ID", p.cfg.SSO.SAMLEntityID(c.ID), "Also called Audience URI or Identifier."},
				{"v-metadata", "SP metadata URL", p.cfg.SSO.SAMLEntityID(c.ID), "For identity providers that import service provider metadata."},
				{"v-slo", "Single Logout URL", p.cfg.SSO.SAMLSLOURL(c.ID), "Optional. Also called SLO URL, Logout URL or Single Logout Service URL: lets your identity provider sign people out of this app, and this app sign them out of it."},
			}
			if d.Configured {
				d.IdPSLOURL, _ = p.cfg.SSO.IdPLogoutURL(c)
			}
		} else {
			d.Values = []ssoCopyValue{
				{"v-redirect", "Redirect URI", p.cfg.SSO.OIDCRedirectURL(c.ID), "Also called Sign-in redirect URI or Callback URL."},
				{"v-scopes", "Scopes", "openid email profile", ""},
				{"v-post-logout", "Post-logout redirect URI", p.cfg.SSO.OIDCPostLogoutRedirectURL(c.ID), "Optional. Also called Sign-out redirect URI: where your identity provider sends people back after signing them out."},
				{"v-backchannel", "Back-channel logout URI", p.cfg.SSO.OIDCBackChannelLogoutURL(c.ID), "Optional. For identity providers that support OpenID Connect Back-Channel Logout: ends people's sessions here when they sign out there."},
			}
		}
	}
	defaults := ssokit.DefaultAttributeNames(c.Protocol, c.Provider)
	for _, f := range ssokit.MappingFields() {
		names := defaults[f]
		d.Mapping = append(d.Mapping, ssoMappingRow{Field: f, Label: ssoFieldLabels[f], Value: c.AttributeMapping[f], Defaults: strings.Join(names, ", ")})
	}
	if next := ssoNextStep(c); next != "" {
		d.ContinueHref = base + "/setup/" + next
	}
	return d
}

// certRows lists the certificates a SAML connection trusts, those added by
// hand first, and reports a stored certificate it could not read.
func (p *Portal) certRows(c *store.Connection) ([]ssoCertRow, bool) {
	certs, err := ssokit.ConnectionCertificates(c)
	now := p.now()
	var rows []ssoCertRow
	for _, ci := range certs {
		row := ssoCertRow{Thumbprint: ci.Thumbprint, Short: ssoShortThumb(ci.Thumbprint), Subject: ci.Subject,
			Expiry: certExpiry(ci.NotAfter, now), FromMetadata: ci.FromMetadata}
		row.Expiry.TestID = "cert-expiry"
		if !ci.FromMetadata && len(certs) > 1 {
			row.RemoveHref = p.certRemovePath(c.ID, ci.Thumbprint)
		}
		row.State, row.Left = ssoCertState(ci.NotAfter, now)
		rows = append(rows, row)
	}
	return rows, err != nil
}

// ssoCertState says how close to its expiry a certificate is.
func ssoCertState(notAfter, now time.Time) (state, left string) {
	d := notAfter.Sub(now)
	days := int(d.Hours() / 24)
	switch {
	case d <= 0:
		return "expired", "expired"
	case d <= 24*time.Hour:
		return "soon", "expires within a day"
	case d <= certWarning:
		return "soon", "expires in " + pluralDays(days)
	}
	return "ok", "valid for " + pluralDays(days)
}

func pluralDays(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// certExpiry is the labelled expiry of a certificate.
func certExpiry(notAfter, now time.Time) stamp {
	if !now.Before(notAfter) {
		return dayStamp("Expired", notAfter)
	}
	return dayStamp("Expires", notAfter)
}

// ssoCertSummary is the certificate note of a connection in the list: the
// expiry of the certificate that expires last (the one a renewal leaves),
// and how long it has left ("" once expired).
func ssoCertSummary(c *store.Connection, now time.Time) (state string, expiry stamp, left string) {
	certs, _ := ssokit.ConnectionCertificates(c)
	if len(certs) == 0 {
		return "", stamp{}, ""
	}
	last := certs[0]
	for _, ci := range certs[1:] {
		if ci.NotAfter.After(last.NotAfter) {
			last = ci
		}
	}
	state, left = ssoCertState(last.NotAfter, now)
	expiry = certExpiry(last.NotAfter, now)
	expiry.Label = "Certificate " + strings.ToLower(expiry.Label)
	if state == "expired" {
		left = ""
	}
	return state, expiry, left
}

func ssoDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func ssoShortThumb(tp string) string {
	if len(tp) <= 16 {
		return tp
	}
	var b strings.Builder
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToUpper(tp[i : i+2]))
	}
	return b.String() + "…"
}

// ssoNextStep is the first unfinished step of a connection's setup, ""
// when it is active or was activated before.
func ssoNextStep(c *store.Connection) string {
	configured := false
	switch {
	case c.SAML != nil:
		configured = c.SAML.IdPEntityID != ""
	case c.OIDC != nil:
		configured = c.OIDC.Issuer != "" && c.OIDC.ClientID != ""
	}
	switch {
	case c.State == store.ConnectionActive || c.State == store.ConnectionInactive && !c.TestedAt.IsZero():
		return ""
	case !configured:
		if c.Version <= 1 {
			return "guide"
		}
		return "idp"
	case c.State == store.ConnectionTested:
		return "activate"
	}
	return "test"
}

// setupData is connData for one step of the setup.
func (p *Portal) setupData(c *store.Connection, step, method string) ssoConnData {
	d := p.connData(c)
	d.Step = step
	base := p.path("/sso/" + url.PathEscape(c.ID))
	done := map[string]bool{
		"guide": d.Configured, "idp": d.Configured, "mapping": d.Configured,
		"test": !c.TestedAt.IsZero(), "activate": d.Active,
	}
	for i, st := range ssoSteps {
		label := st.Label
		if st.Key == "guide" {
			label = "Set up the app in " + d.ProviderLabel
			if c.Provider == "generic" {
				label = "Set up the app"
			}
		}
		s := ssoStep{Number: i + 2, Label: label, Href: base + "/setup/" + st.Key, Current: st.Key == step, Done: done[st.Key]}
		if s.Current {
			s.CurrentAttrVal = "step"
			if i+1 < len(ssoSteps) {
				d.NextHref = base + "/setup/" + ssoSteps[i+1].Key
			}
			if i > 0 {
				d.PrevHref = base + "/setup/" + ssoSteps[i-1].Key
			}
		}
		d.Steps = append(d.Steps, s)
	}
	if d.SAML {
		if method == "" {
			method = "url"
			switch d.Source {
			case "Uploaded metadata":
				method = "xml"
			case "Entered manually":
				method = "manual"
			}
		}
		d.Method = method
		for _, m := range []ssoOption{{"url", "Metadata URL"}, {"xml", "Metadata file"}, {"manual", "Enter by hand"}} {
			d.Methods = append(d.Methods, ssoMethodLink{Key: m.Value, Label: m.Label, Href: base + "/setup/idp?method=" + m.Value, Current: m.Value == method})
		}
	}
	return d
}

// ssoMethods are the SAML input methods of the idp step, by the form that
// posts each.
var ssoMethodOfForm = map[string]string{"metadata_url": "url", "metadata_xml": "xml", "manual": "manual"}

func (p *Portal) ssoSetupPage(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	step := r.PathValue("step")
	if !slices.ContainsFunc(ssoSteps, func(st struct{ Key, Label string }) bool { return st.Key == step }) {
		p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
		return
	}
	method := r.URL.Query().Get("method")
	if !slices.Contains([]string{"", "url", "xml", "manual"}, method) {
		method = ""
	}
	f := p.takeFlash(w, r, s)
	if method == "" {
		method = ssoMethodOfForm[f.ErrForm]
	}
	d := p.setupData(c, step, method)
	d.Flash = ssoFlashes[r.URL.Query().Get("saved")]
	p.applyFlash(&d, f)
	title := d.Name
	for _, st := range d.Steps {
		if st.Current {
			title = st.Label + " · " + d.Name
		}
	}
	v := p.sessionView(r, s, title, "/sso")
	v.Errors = ssoSummary(f)
	p.render(w, r, http.StatusOK, ssoSetupPage(v, d))
}

// applyFlash puts what a refused form handed back into the page's data.
func (p *Portal) applyFlash(d *ssoConnData, f flash) {
	if f.Notice != "" {
		d.Flash = f.Notice
	}
	if !f.failed() {
		return
	}
	d.Flash = ""
	d.ErrForm, d.Form, d.Alert = f.ErrForm, f.Form, f.Alert
	if d.Form == nil {
		d.Form = map[string]string{}
	}
	maps.Copy(d.Errors, f.Errors)
}

// ssoSummary is the error summary of a refused SSO form: each field's
// input is "f-" and its name, the new certificate's "f-new-certificate".
func ssoSummary(f flash) []web.FieldError {
	var fields []string
	fields = append(fields, ssoFormFields[f.ErrForm]...)
	for _, m := range ssokit.MappingFields() {
		fields = append(fields, "map_"+m)
	}
	fields = append(fields, "certificate")
	return f.summary(fields, func(n string) string {
		if f.ErrForm == "cert" && n == "certificate" {
			return "f-new-certificate"
		}
		return "f-" + n
	})
}

// ssoFormFields are the inputs of each IdP settings form, where a
// ConfigError's message is shown; others are shown as an alert.
var ssoFormFields = map[string][]string{
	"metadata_url": {"metadata_url"},
	"metadata_xml": {"metadata_xml"},
	"manual":       {"entity_id", "sso_url", "certificate", "slo_url"},
	"oidc":         {"issuer", "client_id", "client_secret", "scopes", "tenant_id"},
}

// configResult answers an IdP settings or mapping form: a redirect to the
// next step, or the step again with the errors.
func (p *Portal) configResult(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection, formName string, form map[string]string, err error) {
	var ae *admin.AdminError
	base := p.path("/sso/" + url.PathEscape(c.ID))
	step, next, saved := "idp", "/setup/mapping", "idp"
	if formName == "mapping" {
		step, next, saved = "mapping", "/setup/test", "mapping"
	}
	switch {
	case err == nil:
		p.redirect(w, r, s, base+next+"?saved="+saved, nil)
	case errors.As(err, &ae) && errors.Is(err, admin.ErrInvalidInput):
		p.log.InfoContext(r.Context(), "portal: SSO setting refused", "org_id", s.org.ID, "connection_id", c.ID, "field", ae.Field, "error", err)
		f := &flash{ErrForm: formName, Form: form, Errors: map[string]string{ae.Field: ssoSentence(ae.Message)}}
		if !slices.Contains(ssoFormFields[formName], ae.Field) && !strings.HasPrefix(ae.Field, "map_") ||
			strings.HasPrefix(ae.Field, "map_") && !slices.Contains(ssokit.MappingFields(), strings.TrimPrefix(ae.Field, "map_")) {
			f.Errors = nil
			f.Alert = ssoSentence(ae.Message)
			if fl, ok := strings.CutPrefix(ae.Field, "map_"); ok {
				f.Alert = "“" + fl + "” " + ae.Message + "."
			}
		}
		target := base + "/setup/" + step
		if m := ssoMethodOfForm[formName]; m != "" {
			target += "?method=" + m
		}
		p.redirect(w, r, s, target, f)
	case errors.Is(err, admin.ErrNotFound):
		p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
	default:
		p.serverError(w, r, "saving SSO settings", err)
	}
}

// ---- the overview, activation and removal ----

func (p *Portal) ssoConnPage(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	f := p.takeFlash(w, r, s)
	d := p.connData(c)
	saved := r.URL.Query().Get("saved")
	d.Flash = ssoFlashes[saved]
	p.applyFlash(&d, f)
	var evs []UIEvent
	switch {
	case saved == "activated" && d.Active:
		evs = append(evs, UIEvent{Type: UIEventSSOEnabled, Data: map[string]string{"connectionId": c.ID}})
	case saved == "deactivated" && !d.Active:
		evs = append(evs, UIEvent{Type: UIEventSSODisabled, Data: map[string]string{"connectionId": c.ID}})
	}
	v := p.sessionView(r, s, d.Name, "/sso")
	v.Events = append(v.Events, evs...)
	v.Errors = ssoSummary(f)
	p.render(w, r, http.StatusOK, ssoConnPage(v, d))
}

func (p *Portal) ssoActivate(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	_, err := p.setConnection(r.Context(), c.ID, ssoActor(s), true)
	switch {
	case errors.Is(err, ssokit.ErrNotTested), errors.Is(err, admin.ErrNotConfigured), errors.Is(err, admin.ErrConflict):
		p.redirect(w, r, s, p.path("/sso/"+url.PathEscape(c.ID)+"/setup/activate"),
			&flash{Alert: "This connection can't be activated yet: run “Test connection” and sign in successfully first."})
		return
	case err != nil:
		p.serverError(w, r, "activating connection", err)
		return
	}
	p.redirect(w, r, s, p.path("/sso/"+url.PathEscape(c.ID)+"?saved=activated"), nil)
}

// ssoDeactivateConfirm asks before deactivating a connection.
func (p *Portal) ssoDeactivateConfirm(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	name := ssoConnName(c)
	p.confirm(w, r, s, "/sso", confirmData{
		Title:   "Deactivate " + name + "?",
		Message: "Nobody can sign in through this connection until it is activated again (after a new successful test). Sessions already open are not ended.",
		Facts:   p.connFacts(c),
		Action:  p.path("/sso/" + url.PathEscape(c.ID) + "/deactivate"), Button: "Deactivate the connection",
		CancelURL: p.path("/sso/" + url.PathEscape(c.ID)),
	})
}

// ssoDeleteConfirm asks before deleting a connection.
func (p *Portal) ssoDeleteConfirm(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	name := ssoConnName(c)
	p.confirm(w, r, s, "/sso", confirmData{
		Title:   "Delete " + name + "?",
		Message: "Its settings, certificates and attribute mapping are deleted; setting it up again means starting over, in the portal and in your identity provider.",
		Facts:   p.connFacts(c),
		Action:  p.path("/sso/" + url.PathEscape(c.ID) + "/delete"), Button: "Delete the connection",
		CancelURL: p.path("/sso/" + url.PathEscape(c.ID)),
	})
}

// connFacts name a connection on a confirmation page.
func (p *Portal) connFacts(c *store.Connection) []ssoKV {
	proto, _ := web.ConnectionProtocol(c)
	return []ssoKV{{"Connection", ssoConnName(c)}, {"Identity provider", ssoProviderName(c.Provider)}, {"Protocol", proto}}
}

func (p *Portal) ssoDeactivate(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	if _, err := p.setConnection(r.Context(), c.ID, ssoActor(s), false); err != nil {
		p.serverError(w, r, "deactivating connection", err)
		return
	}
	p.redirect(w, r, s, p.path("/sso/"+url.PathEscape(c.ID)+"?saved=deactivated"), nil)
}

func (p *Portal) ssoDelete(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	err := p.admin.DeleteConnection(r.Context(), c.ID, ssoActor(s))
	switch {
	case errors.Is(err, ssokit.ErrConnectionActive):
		p.redirect(w, r, s, p.path("/sso/"+url.PathEscape(c.ID)), &flash{Alert: "Deactivate this connection before deleting it."})
		return
	case err != nil && !errors.Is(err, admin.ErrNotFound):
		p.serverError(w, r, "deleting connection", err)
		return
	}
	p.redirect(w, r, s, p.path("/sso"), &flash{Notice: ssoConnName(c) + " was deleted."})
}

// ---- certificate renewal ----

func (p *Portal) ssoAddCertificate(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	pemText := r.PostForm.Get("certificate")
	_, err := p.admin.AddConnectionCertificate(r.Context(), c.ID, pemText, ssoActor(s))
	p.certResult(w, r, s, c, "cert_added", map[string]string{"certificate": pemText}, err)
}

// certRemovePath is the confirmation page of the removal of the
// certificate thumbprint from connection id, which its form posts to.
func (p *Portal) certRemovePath(id, thumbprint string) string {
	return p.path("/sso/"+url.PathEscape(id)+"/certificates/remove") + "?thumbprint=" + url.QueryEscape(thumbprint)
}

// trustedCert returns the certificate of c with the thumbprint, or false.
func trustedCert(c *store.Connection, thumbprint string) (ssokit.CertificateInfo, bool) {
	certs, _ := ssokit.ConnectionCertificates(c)
	i := slices.IndexFunc(certs, func(ci ssokit.CertificateInfo) bool { return ci.Thumbprint == thumbprint })
	if i < 0 {
		return ssokit.CertificateInfo{}, false
	}
	return certs[i], true
}

// ssoRemoveCertificateConfirm asks before the connection stops trusting a
// certificate: the last step of a renewal, which refuses every response
// still signed with it.
func (p *Portal) ssoRemoveCertificateConfirm(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	thumb := r.URL.Query().Get("thumbprint")
	ci, ok := trustedCert(c, thumb)
	if !ok {
		p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
		return
	}
	name := ssoConnName(c)
	short := ssoShortThumb(ci.Thumbprint)
	facts := []ssoKV{{"Connection", name}, {"Certificate (SHA-256)", short}}
	if ci.Subject != "" {
		facts = append(facts, ssoKV{"Subject", ci.Subject})
	}
	p.confirm(w, r, s, "/sso", confirmData{
		Title: "Remove the certificate " + short + "?",
		Message: name + " stops trusting it: sign-ins signed with it are refused from now on. Remove it only once " +
			ssoProviderName(c.Provider) + " signs with the new certificate.",
		Facts:  facts,
		Dates:  []stamp{certExpiry(ci.NotAfter, p.now())},
		Action: p.path("/sso/" + url.PathEscape(c.ID) + "/certificates/remove"), Button: "Remove the certificate",
		Fields:    []ssoKV{{"thumbprint", ci.Thumbprint}, {"confirmed", "yes"}},
		CancelURL: p.path("/sso/"+url.PathEscape(c.ID)) + "#certificates",
	})
}

// ssoRemoveCertificate removes a certificate once its confirmation page
// was posted. A post without that step (an older page's form) is sent to
// the confirmation; a second post of the confirmation (a double click)
// finds the certificate gone and answers as the first did.
func (p *Portal) ssoRemoveCertificate(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	thumb := r.PostForm.Get("thumbprint")
	if r.PostForm.Get("confirmed") != "yes" {
		http.Redirect(w, r, p.certRemovePath(c.ID, thumb), http.StatusSeeOther)
		return
	}
	if _, ok := trustedCert(c, thumb); !ok {
		p.redirect(w, r, s, p.path("/sso/"+url.PathEscape(c.ID)+"?saved=cert_removed#certificates"), nil)
		return
	}
	_, err := p.admin.RemoveConnectionCertificate(r.Context(), c.ID, thumb, ssoActor(s))
	p.certResult(w, r, s, c, "cert_removed", nil, err)
}

func (p *Portal) certResult(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection, saved string, form map[string]string, err error) {
	var ae *admin.AdminError
	switch {
	case err == nil:
		p.redirect(w, r, s, p.path("/sso/"+url.PathEscape(c.ID)+"?saved="+saved+"#certificates"), nil)
	case errors.As(err, &ae) && ae.Kind == admin.ErrInvalidInput:
		f := &flash{ErrForm: "cert", Form: form}
		if form == nil {
			f.Alert = ssoSentence(ae.Message)
		} else {
			f.Errors = map[string]string{"certificate": ssoSentence(ae.Message)}
		}
		p.redirect(w, r, s, p.path("/sso/"+url.PathEscape(c.ID)), f)
	case errors.Is(err, admin.ErrNotConfigured):
		p.ssoNotConfigured(w, r, s)
		if p.cfg.SSO != nil {
			p.serverError(w, r, "renewing a certificate", err)
		}
	default:
		p.serverError(w, r, "renewing a certificate", err)
	}
}
