package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// The pages and forms of one SSO connection and one directory: every
// operation the IT-admin portal offers, through the same admin service.

func (d *Dashboard) controlRoutes() {
	m := d.mux
	m.HandleFunc("GET /orgs/{id}/connections/{conn}", d.connPage)
	m.Handle("POST /orgs/{id}/connections", d.action(d.createConnection))
	for op, fn := range map[string]func(r *http.Request, id string, form url.Values) (*admin.ConnectionInfo, error){
		"metadata-url": func(r *http.Request, id string, f url.Values) (*admin.ConnectionInfo, error) {
			return d.a.ConfigureSAMLMetadataURL(r.Context(), id, f.Get("metadata_url"), d.actor(r))
		},
		"metadata-xml": func(r *http.Request, id string, f url.Values) (*admin.ConnectionInfo, error) {
			return d.a.ConfigureSAMLMetadataXML(r.Context(), id, []byte(f.Get("metadata_xml")), d.actor(r))
		},
		"manual": func(r *http.Request, id string, f url.Values) (*admin.ConnectionInfo, error) {
			return d.a.ConfigureSAMLManual(r.Context(), id, ssokit.SAMLManual{EntityID: f.Get("entity_id"), SSOURL: f.Get("sso_url"),
				SLOURL: f.Get("slo_url"), Certificates: []string{f.Get("certificate")}}, d.actor(r))
		},
		"oidc": func(r *http.Request, id string, f url.Values) (*admin.ConnectionInfo, error) {
			return d.a.ConfigureOIDC(r.Context(), id, ssokit.OIDCSettings{Issuer: f.Get("issuer"), ClientID: f.Get("client_id"),
				ClientSecret: f.Get("client_secret"), Scopes: strings.Fields(f.Get("scopes")), TenantID: f.Get("tenant_id")}, d.actor(r))
		},
		"mapping": func(r *http.Request, id string, f url.Values) (*admin.ConnectionInfo, error) {
			mapping := map[string]string{}
			for _, field := range ssokit.MappingFields() {
				mapping[field] = f.Get("map_" + field)
			}
			return d.a.SetConnectionMapping(r.Context(), id, mapping, d.actor(r))
		},
		"security": func(r *http.Request, id string, f url.Values) (*admin.ConnectionInfo, error) {
			skew, err := strconv.Atoi(cmpOr(f.Get("clock_skew_seconds"), "0"))
			if err != nil {
				return nil, &admin.AdminError{Kind: admin.ErrInvalidInput, Field: "clock_skew", Message: "the clock skew must be a whole number of seconds"}
			}
			return d.a.SetSecurityOptions(r.Context(), id, admin.SecurityOptions{
				SignRequests: f.Get("sign_requests") == "on", RequireEncryptedAssertion: f.Get("require_encrypted_assertion") == "on",
				InsecureAllowIdPInitiated: f.Get("insecure_allow_idp_initiated") == "on", InsecureAllowSHA1: f.Get("insecure_allow_sha1") == "on",
				InsecureClockSkew: time.Duration(skew) * time.Second,
			}, d.actor(r))
		},
	} {
		m.Handle("POST /orgs/{id}/connections/{conn}/"+op, d.action(d.configureConnection(fn)))
	}
	m.Handle("POST /orgs/{id}/connections/{conn}/test", d.action(d.testConnection))
	m.Handle("POST /orgs/{id}/connections/{conn}/delete", d.action(d.deleteConnection))
	m.HandleFunc("GET /orgs/{id}/connections/{conn}/delete", d.confirm("Delete this connection?", "Its settings are removed; sign-ins through it are no longer possible. This cannot be undone.", "Delete connection"))
	m.HandleFunc("GET /orgs/{id}/connections/{conn}/disable", d.confirm("Disable this connection?", "Its users can no longer sign in through it, and their sessions end.", "Disable connection"))

	m.HandleFunc("GET /orgs/{id}/directories/{dir}", d.dirPage)
	m.Handle("POST /orgs/{id}/directories", d.action(d.createDirectory))
	m.Handle("POST /orgs/{id}/directories/{dir}/tokens", d.action(d.createToken))
	m.Handle("POST /orgs/{id}/directories/{dir}/tokens/{token}/revoke", d.action(d.revokeToken))
	m.HandleFunc("GET /orgs/{id}/directories/{dir}/tokens/{token}/revoke", d.confirm("Revoke this token?", "The identity provider's requests with it are refused at once.", "Revoke token"))
	m.HandleFunc("GET /orgs/{id}/directories/{dir}/disable", d.confirm("Disable this directory?", "Its SCIM endpoint refuses every request until it is enabled again; its users and groups stay.", "Disable directory"))
	m.Handle("POST /orgs/{id}/directories/{dir}/google/{op}", d.action(d.googleAction))

	m.HandleFunc("GET /orgs/{id}/links/{link}/revoke", d.confirm("Revoke this portal link?", "It can no longer be opened, and the sessions started from it end at their next request.", "Revoke link"))
	m.HandleFunc("GET /orgs/{id}/domains/{domain}/remove", d.confirm("Remove this domain?", "Sign-ins and provisioning stop relying on it; adding it again needs a new verification.", "Remove domain"))
	m.HandleFunc("GET /api-keys/{key}/revoke", d.confirm("Revoke this API key?", "Requests with it are refused at once. This cannot be undone.", "Revoke key"))
	m.HandleFunc("GET /orgs/{id}/links/created", d.linkCreated)
}

func cmpOr(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return strings.TrimSpace(s)
}

// ----- Confirmation -----

type confirmData struct {
	Title, Body, Button string
	Action, CancelHref  string
}

// confirm serves the page that asks before a destructive change: a GET of
// the change's own address, whose form posts to it. Pages link to it
// instead of posting at once.
func (d *Dashboard) confirm(title, body, button string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cancel := d.path("/api-keys")
		if id := r.PathValue("id"); id != "" {
			if _, err := d.a.GetOrganization(r.Context(), id); err != nil {
				d.fail(w, r, err)
				return
			}
			cancel = d.orgPath(id, "")
			if dir := r.PathValue("dir"); dir != "" {
				cancel = d.orgPath(id, "/directories/"+url.PathEscape(dir))
			}
			if conn := r.PathValue("conn"); conn != "" {
				cancel = d.orgPath(id, "/connections/"+url.PathEscape(conn))
			}
		}
		dv := d.newView(w, r, title, "")
		d.render(w, r, http.StatusOK, confirmPage(dv, confirmData{Title: title, Body: body, Button: button, Action: d.path(r.URL.Path), CancelHref: cancel}))
	}
}

// ----- Connections -----

func (d *Dashboard) connPath(orgID, connID, rest string) string {
	return d.orgPath(orgID, "/connections/"+url.PathEscape(connID)+rest)
}

func (d *Dashboard) createConnection(w http.ResponseWriter, r *http.Request, form url.Values) {
	id := r.PathValue("id")
	info, err := d.a.CreateConnection(r.Context(), id, admin.ConnectionInput{Protocol: store.Protocol(form.Get("protocol")), Provider: form.Get("provider"),
		Name: form.Get("name"), IdempotencyKey: idempotencyKey(form)}, d.actor(r))
	if err != nil {
		d.refuseErr(w, r, err, d.orgPath(id, ""), form)
		return
	}
	d.redirect(w, r, d.connPath(id, info.Connection.ID, ""), "connection-created")
}

// withConnection loads the connection {conn} of organization {id}; one of
// another organization is not found.
func (d *Dashboard) withConnection(w http.ResponseWriter, r *http.Request) (*admin.ConnectionInfo, bool) {
	info, err := d.a.GetConnection(r.Context(), r.PathValue("conn"))
	if err == nil && info.Connection.OrgID != r.PathValue("id") {
		err = &admin.AdminError{Kind: admin.ErrNotFound, Message: "connection not found", Err: store.ErrNotFound}
	}
	if err != nil {
		d.fail(w, r, err)
		return nil, false
	}
	return info, true
}

func (d *Dashboard) configureConnection(fn func(r *http.Request, id string, form url.Values) (*admin.ConnectionInfo, error)) actionHandler {
	return func(w http.ResponseWriter, r *http.Request, form url.Values) {
		info, ok := d.withConnection(w, r)
		if !ok {
			return
		}
		if _, err := fn(r, info.Connection.ID, form); err != nil {
			d.refuseErr(w, r, err, d.connPath(info.Connection.OrgID, info.Connection.ID, ""), form)
			return
		}
		d.redirect(w, r, d.connPath(info.Connection.OrgID, info.Connection.ID, ""), "connection-saved")
	}
}

func (d *Dashboard) deleteConnection(w http.ResponseWriter, r *http.Request, form url.Values) {
	info, ok := d.withConnection(w, r)
	if !ok {
		return
	}
	if err := d.a.DeleteConnection(r.Context(), info.Connection.ID, d.actor(r)); err != nil {
		d.refuseErr(w, r, err, d.connPath(info.Connection.OrgID, info.Connection.ID, ""), form)
		return
	}
	d.redirect(w, r, d.orgPath(info.Connection.OrgID, ""), "connection-deleted")
}

// testConnection creates a test link and shows it once on the connection's
// page, which then reports the outcome of tests after it.
func (d *Dashboard) testConnection(w http.ResponseWriter, r *http.Request, form url.Values) {
	info, ok := d.withConnection(w, r)
	if !ok {
		return
	}
	c := info.Connection
	page := d.connPath(c.OrgID, c.ID, "")
	// The test ends on this page, which shows the outcome of the tests
	// finished after the cursor of now.
	now, err := d.a.ListEvents(r.Context(), admin.EventQuery{Latest: true})
	var l *admin.TestLink
	if err == nil {
		page += "?test_after=" + strconv.FormatInt(now.NextCursor, 10)
		l, err = d.a.CreateTestLink(r.Context(), c.ID, admin.TestLinkOptions{ReturnTo: page})
	}
	if err != nil {
		d.refuseErr(w, r, err, d.connPath(c.OrgID, c.ID, ""), form)
		return
	}
	d.reveal(w, r, page, map[string]string{"test_link": l.URL}, "")
}

type connPageData struct {
	OrgName, OrgHref, EventsHref string
	ID, Name, Provider, Protocol string
	Status                       badge
	SAML                         bool
	SP                           []fieldRow
	IdP                          []fieldRow
	Security                     []fieldRow
	Sec                          admin.SecurityOptions
	SkewSeconds                  string
	EffectiveSkew                string
	Mapping                      []mappingRow
	MetadataURL, EntityID        string
	MetadataXML, Certificate     string // as submitted, when a form is refused
	SSOURL, SLOURL               string
	Issuer, ClientID, Scopes     string
	TenantID                     string
	SecretSet                    bool
	Base                         string // the page's path; forms post under it
	EnableAction, DisableHref    string
	DeleteHref                   string
	TestLink                     string
	Test                         *testView
}

type fieldRow struct {
	ID, Label, Value string
	Warn             bool
}

type mappingRow struct{ Field, Label, Value, Placeholder string }

type testView struct {
	State, Message, Email, Subject string
}

func onOff(on bool, insecure bool) (string, bool) {
	switch {
	case on && insecure:
		return "On (weakens security)", true
	case on:
		return "On", false
	}
	return "Off", false
}

// connPage renders the page of a connection, with the problem and the
// values of a refused form.
func (d *Dashboard) connPage(w http.ResponseWriter, r *http.Request) {
	info, ok := d.withConnection(w, r)
	if !ok {
		return
	}
	f := d.takeFlash(w, r)
	form := f.Values
	o, err := d.a.GetOrganization(r.Context(), info.Connection.OrgID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	c := info.Connection
	base := d.connPath(c.OrgID, c.ID, "")
	data := connPageData{OrgName: o.Name, OrgHref: d.orgPath(o.ID, ""), ID: c.ID, Name: c.Name, Provider: web.ProviderLabel(c.Provider),
		Status: badge{web.ConnectionStateLabel(c.State), string(c.State)}, SAML: c.Protocol == store.ProtocolSAML, Base: base,
		EventsHref: d.path("/events") + "?" + url.Values{"org_id": {o.ID}}.Encode(),
		Sec:        info.Security, SkewSeconds: strconv.Itoa(int(info.Security.InsecureClockSkew / time.Second)),
		EffectiveSkew: info.ClockSkew.String(), DeleteHref: base + "/delete"}
	data.Protocol, _ = web.ConnectionProtocol(&c)
	if data.Name == "" {
		data.Name = data.Provider + " " + data.Protocol
	}
	if c.State == store.ConnectionActive {
		data.DisableHref = base + "/disable"
	} else {
		data.EnableAction = base + "/enable"
	}
	sp := info.ServiceProvider
	for _, f := range []fieldRow{{"sp-acs", "ACS URL", sp.ACSURL, false}, {"sp-entity", "SP entity ID and metadata URL", sp.EntityID, false},
		{"sp-slo", "Single Logout URL", sp.SLOURL, false}, {"sp-redirect", "Redirect URI", sp.RedirectURL, false}} {
		if f.Value != "" {
			data.SP = append(data.SP, f)
		}
	}
	if s := c.SAML; s != nil {
		data.MetadataURL, data.EntityID, data.SSOURL, data.SLOURL = s.MetadataURL, s.IdPEntityID, s.SSOURL, s.SLOURL
		data.IdP = []fieldRow{{"idp-entity", "IdP entity ID", cmpOr(s.IdPEntityID, "Not set"), false}, {"idp-metadata", "Metadata URL", cmpOr(s.MetadataURL, "None"), false},
			{"idp-sso", "Single sign-on URL", cmpOr(s.SSOURL, "From the metadata"), false}}
		sec := info.Security
		for _, f := range []struct {
			id, label string
			on, ins   bool
		}{
			{"sec-sign", "Signed AuthnRequests", sec.SignRequests, false},
			{"sec-encrypt", "Encrypted assertions required", sec.RequireEncryptedAssertion, false},
			{"sec-idp-initiated", "IdP-initiated login", sec.InsecureAllowIdPInitiated, true},
			{"sec-sha1", "SHA-1 signatures accepted", sec.InsecureAllowSHA1, true},
		} {
			v, warn := onOff(f.on, f.ins)
			data.Security = append(data.Security, fieldRow{f.id, f.label, v, warn})
		}
	}
	skew := fieldRow{"sec-skew", "Clock skew tolerated", info.ClockSkew.String(), info.Security.InsecureClockSkew > 0}
	if skew.Warn {
		skew.Value += " (widened: weakens security)"
	}
	data.Security = append(data.Security, skew)
	if oc := c.OIDC; oc != nil {
		data.Issuer, data.ClientID, data.Scopes, data.TenantID, data.SecretSet = oc.Issuer, oc.ClientID, strings.Join(oc.Scopes, " "), oc.TenantID, info.ClientSecretSet
		secret := "Not set"
		if info.ClientSecretSet {
			secret = "Set (not shown)"
		}
		data.IdP = []fieldRow{{"idp-issuer", "Issuer", cmpOr(oc.Issuer, "Not set"), false}, {"idp-client", "Client ID", cmpOr(oc.ClientID, "Not set"), false},
			{"idp-secret", "Client secret", secret, false}}
	}
	defaults := ssokit.DefaultAttributeNames(c.Protocol, c.Provider)
	for _, f := range ssokit.MappingFields() {
		data.Mapping = append(data.Mapping, mappingRow{Field: f, Label: strings.ReplaceAll(f, "_", " "), Value: c.AttributeMapping[f], Placeholder: strings.Join(defaults[f], ", ")})
	}
	if form != nil {
		// A refused form shows what was submitted, not what is stored.
		for key, field := range map[string]*string{"metadata_url": &data.MetadataURL, "metadata_xml": &data.MetadataXML,
			"entity_id": &data.EntityID, "sso_url": &data.SSOURL, "slo_url": &data.SLOURL, "certificate": &data.Certificate,
			"issuer": &data.Issuer, "client_id": &data.ClientID, "scopes": &data.Scopes, "tenant_id": &data.TenantID,
			"clock_skew_seconds": &data.SkewSeconds} {
			if v, ok := form[key]; ok && len(v) > 0 {
				*field = v[0]
			}
		}
		for i, m := range data.Mapping {
			if v, ok := form["map_"+m.Field]; ok && len(v) > 0 {
				data.Mapping[i].Value = v[0]
			}
		}
		if _, ok := form["clock_skew_seconds"]; ok { // the security form: its checkboxes as ticked
			data.Sec.SignRequests, data.Sec.RequireEncryptedAssertion = form.Get("sign_requests") == "on", form.Get("require_encrypted_assertion") == "on"
			data.Sec.InsecureAllowIdPInitiated, data.Sec.InsecureAllowSHA1 = form.Get("insecure_allow_idp_initiated") == "on", form.Get("insecure_allow_sha1") == "on"
		}
	}
	data.TestLink = f.Reveal["test_link"]
	if s := r.URL.Query().Get("test_after"); s != "" {
		if after, err := strconv.ParseInt(s, 10, 64); err == nil && after >= 0 {
			data.Test = d.testOutcome(r, c.ID, after)
		}
	}
	dv := d.newView(w, r, data.Name, "nav-orgs")
	dv.refused(f)
	d.render(w, r, http.StatusOK, connectionPage(dv, data))
}

func (d *Dashboard) testOutcome(r *http.Request, connID string, after int64) *testView {
	res, err := d.a.TestResult(r.Context(), connID, after)
	switch {
	case err != nil:
		d.log.ErrorContext(r.Context(), "dashboard: reading a test result", "error", err)
		return &testView{State: "pending", Message: "The outcome could not be read; reload the page."}
	case res == nil:
		return &testView{State: "pending", Message: "No test has finished yet: open the test link, sign in, then reload this page."}
	case res.Err != nil:
		v := &testView{State: "failed", Message: "The test sign-in was refused."}
		var le *ssokit.LoginError
		if errors.As(res.Err, &le) {
			v.Message = "The test sign-in was refused: " + le.Detail + "."
		}
		return v
	}
	v := &testView{State: "passed", Message: "The test sign-in succeeded: the connection can be enabled."}
	if res.Profile != nil {
		v.Email, v.Subject = res.Profile.Email, res.Profile.Subject
	}
	return v
}

// ----- Directories -----

func (d *Dashboard) dirPath(orgID, dirID, rest string) string {
	return d.orgPath(orgID, "/directories/"+url.PathEscape(dirID)+rest)
}

func (d *Dashboard) createDirectory(w http.ResponseWriter, r *http.Request, form url.Values) {
	id := r.PathValue("id")
	nd, err := d.a.CreateDirectory(r.Context(), id, admin.DirectoryInput{Provider: form.Get("provider"), Name: form.Get("name"),
		IdempotencyKey: idempotencyKey(form)}, d.actor(r))
	if err != nil {
		d.refuseErr(w, r, err, d.orgPath(id, ""), form)
		return
	}
	page := d.dirPath(id, nd.Directory.ID, "")
	if nd.Token == "" {
		d.redirect(w, r, page, "directory-created")
		return
	}
	d.reveal(w, r, page, map[string]string{"token": nd.Token}, "directory-created")
}

func (d *Dashboard) withDirectory(w http.ResponseWriter, r *http.Request) (*admin.DirectoryDetail, bool) {
	dd, err := d.a.GetDirectory(r.Context(), r.PathValue("dir"))
	if err == nil && dd.Directory.OrgID != r.PathValue("id") {
		err = &admin.AdminError{Kind: admin.ErrNotFound, Message: "directory not found", Err: store.ErrNotFound}
	}
	if err != nil {
		d.fail(w, r, err)
		return nil, false
	}
	return dd, true
}

func (d *Dashboard) createToken(w http.ResponseWriter, r *http.Request, form url.Values) {
	dd, ok := d.withDirectory(w, r)
	if !ok {
		return
	}
	page := d.dirPath(dd.Directory.OrgID, dd.Directory.ID, "")
	nt, err := d.a.CreateDirectoryToken(r.Context(), dd.Directory.ID, admin.TokenInput{IdempotencyKey: idempotencyKey(form)}, d.actor(r))
	switch {
	case err != nil:
		d.refuseErr(w, r, err, page, form)
	case nt.Replayed:
		d.redirect(w, r, page, "token-replayed")
	default:
		d.reveal(w, r, page, map[string]string{"token": nt.Token}, "token-created")
	}
}

func (d *Dashboard) revokeToken(w http.ResponseWriter, r *http.Request, form url.Values) {
	dd, ok := d.withDirectory(w, r)
	if !ok {
		return
	}
	if err := d.a.RevokeDirectoryToken(r.Context(), dd.Directory.ID, r.PathValue("token"), d.actor(r)); err != nil {
		d.refuseErr(w, r, err, d.dirPath(dd.Directory.OrgID, dd.Directory.ID, ""), form)
		return
	}
	d.redirect(w, r, d.dirPath(dd.Directory.OrgID, dd.Directory.ID, ""), "token-revoked")
}

// googleAction stores the settings or key of a Google directory, tests
// it, or asks for a sync ({op}).
func (d *Dashboard) googleAction(w http.ResponseWriter, r *http.Request, form url.Values) {
	dd, ok := d.withDirectory(w, r)
	if !ok {
		return
	}
	ctx, id := r.Context(), dd.Directory.ID
	page := d.dirPath(dd.Directory.OrgID, id, "")
	var err error
	done := ""
	switch r.PathValue("op") {
	case "settings":
		mins, perr := strconv.Atoi(cmpOr(form.Get("sync_interval_minutes"), "0"))
		if perr != nil || mins < 0 {
			d.refuse(w, r, page, form, "sync_interval_minutes", "The sync interval must be a whole number of minutes.")
			return
		}
		err = d.a.ConfigureGoogleDirectory(ctx, id, gworkspace.Settings{AdminEmail: form.Get("admin_email"), Customer: form.Get("customer"),
			Domain: form.Get("domain"), SyncInterval: time.Duration(mins) * time.Minute})
		done = "google-saved"
	case "key":
		var key []byte
		if key, err = formFile(r, "key_file"); err == nil {
			if len(key) == 0 {
				d.refuse(w, r, page, form, "key_file", "Choose the service account's JSON key file.")
				return
			}
			_, err = d.a.PutGoogleKey(ctx, id, strings.NewReader(string(key)))
		}
		done = "google-key-saved"
	case "test":
		res, terr := d.a.TestGoogleDirectory(ctx, id)
		if terr != nil {
			var ae *gworkspace.APIError
			if errors.As(terr, &ae) {
				d.reveal(w, r, page, map[string]string{"google_test": "failed", "message": ae.Error()}, "")
				return
			}
			err = terr
			break
		}
		d.reveal(w, r, page, map[string]string{"google_test": "passed", "message": res.User}, "")
		return
	case "sync":
		err = d.a.SyncGoogleDirectoryNow(ctx, id)
		done = "google-sync-requested"
	default:
		d.renderProblem(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address.")
		return
	}
	switch {
	case errors.Is(err, gworkspace.ErrInvalidSettings), errors.Is(err, gworkspace.ErrBadKey):
		d.refuse(w, r, page, form, "", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "gworkspace: "), "invalid settings: ")+".")
	case err != nil:
		d.refuseErr(w, r, err, page, form)
	default:
		d.redirect(w, r, page, done)
	}
}

type dirPageData struct {
	OrgName, OrgHref             string
	ID, Name, Provider           string
	Status                       badge
	Users, Groups                int
	Endpoint                     string
	NewToken                     string
	Tokens                       []tokenRowD
	Base                         string
	Idem                         string
	EnableAction, DisableHref    string
	Google                       *googleView
	GoogleTest, GoogleTestResult string
}

type tokenRowD struct {
	ID, Hint                   string
	Created, LastUsed, Expires stamp
	Status                     badge
	RevokeHref                 string
}

type googleView struct {
	AdminEmail, Customer, Domain, Interval string
	ServiceAccount, ClientID               string
	HasKey                                 bool
	LastSync, LastSuccess                  stamp
	LastError                              string
	Syncing                                bool
}

// dirPage renders the directory page, with the problem of a refused form;
// a refused Google settings form shows the values submitted.
func (d *Dashboard) dirPage(w http.ResponseWriter, r *http.Request) {
	dd, ok := d.withDirectory(w, r)
	if !ok {
		return
	}
	f := d.takeFlash(w, r)
	o, err := d.a.GetOrganization(r.Context(), dd.Directory.OrgID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	dir := dd.Directory
	base := d.dirPath(o.ID, dir.ID, "")
	data := dirPageData{OrgName: o.Name, OrgHref: d.orgPath(o.ID, ""), ID: dir.ID, Name: dir.Name, Provider: web.ProviderLabel(dir.Provider),
		Status: badge{web.DirectoryStateLabel(dir.State), string(dir.State)}, Users: dd.Users, Groups: dd.Groups, Endpoint: dd.Endpoint,
		Base: base, Idem: web.NewFormToken(d.rand)}
	if dir.State == store.DirectoryActive {
		data.DisableHref = base + "/disable"
	} else {
		data.EnableAction = base + "/enable"
	}
	now := d.now()
	for _, t := range dd.Tokens {
		row := tokenRowD{ID: t.ID, Hint: t.Hint, Created: stampOf(t.CreatedAt), LastUsed: stampOf(t.LastUsedAt), Expires: stampOf(t.ExpiresAt)}
		switch {
		case !t.RevokedAt.IsZero():
			row.Status = badge{"Revoked", "failed"}
		case !t.ActiveAt(now):
			row.Status = badge{"Expired", "none"}
		default:
			row.Status = badge{"Active", "active"}
			row.RevokeHref = base + "/tokens/" + url.PathEscape(t.ID) + "/revoke"
		}
		data.Tokens = append(data.Tokens, row)
	}
	if dir.Provider == gworkspace.Provider && d.a.GoogleEnabled() {
		gv := &googleView{}
		st, err := d.a.GoogleDirectoryStatus(r.Context(), dir.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			d.fail(w, r, err)
			return
		default:
			gv = &googleView{AdminEmail: st.AdminEmail, Customer: st.Customer, Domain: st.Domain, ServiceAccount: st.ClientEmail, ClientID: st.ClientID,
				HasKey: st.HasKey, LastSync: stampOf(st.LastSyncAt), LastSuccess: stampOf(st.LastSuccessAt), LastError: st.LastError, Syncing: st.Syncing}
			if st.SyncInterval > 0 {
				gv.Interval = strconv.Itoa(int(st.SyncInterval / time.Minute))
			}
		}
		if form := f.Values; f.Form == "google-settings-form" && form != nil {
			gv.AdminEmail, gv.Customer, gv.Domain, gv.Interval = form.Get("admin_email"), form.Get("customer"), form.Get("domain"), form.Get("sync_interval_minutes")
		}
		data.Google = gv
	}
	data.NewToken = f.Reveal["token"]
	data.GoogleTest, data.GoogleTestResult = f.Reveal["google_test"], f.Reveal["message"]
	dv := d.newView(w, r, data.Name, "nav-orgs")
	dv.refused(f)
	d.render(w, r, http.StatusOK, directoryPage(dv, data))
}

// ----- Portal links -----

// linkCreated shows, once, the link the POST before it generated.
func (d *Dashboard) linkCreated(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o, err := d.a.GetOrganization(r.Context(), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v := d.takeFlash(w, r).Reveal
	if v["url"] == "" {
		d.redirect(w, r, d.orgPath(id, ""), "link-shown")
		return
	}
	dv := d.newView(w, r, "Portal link for "+o.Name, "nav-orgs")
	d.render(w, r, http.StatusOK, linkCreatedPage(dv, linkCreatedData{
		OrgName: o.Name, OrgHref: d.orgPath(id, ""), URL: v["url"], Expires: v["expires"], ExpiresISO: v["expires_iso"],
		Kind: v["kind"], Features: v["features"],
	}))
}
