package portal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/internal/secret"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// ssoRoutes registers the SSO setup pages. They need the sso feature; the
// test-login opener is public and authorized by its single-use ticket (a
// popup opened from an embedded portal is a top-level window, which does
// not see the iframe's partitioned session cookie).
func (p *Portal) ssoRoutes() {
	p.mux.HandleFunc("GET /sso/test/{ticket}", p.ssoTestOpen)

	p.page("GET /sso", store.FeatureSSO, p.ssoList)
	p.page("GET /sso/new", store.FeatureSSO, p.ssoChooseProvider)
	p.page("GET /sso/new/{provider}", store.FeatureSSO, p.ssoChooseProtocol)
	p.page("POST /sso/connections", store.FeatureSSO, p.ssoCreate)
	p.page("GET /sso/{id}", store.FeatureSSO, p.ssoWithConn(p.ssoConnPage))
	p.page("GET /sso/{id}/setup/{step}", store.FeatureSSO, p.ssoWithConn(p.ssoSetupPage))
	p.page("POST /sso/{id}/saml/metadata-url", store.FeatureSSO, p.ssoWithConn(p.ssoSAMLMetadataURL))
	p.page("POST /sso/{id}/saml/metadata-xml", store.FeatureSSO, p.ssoWithConn(p.ssoSAMLMetadataXML))
	p.page("POST /sso/{id}/saml/manual", store.FeatureSSO, p.ssoWithConn(p.ssoSAMLManual))
	p.page("POST /sso/{id}/oidc", store.FeatureSSO, p.ssoWithConn(p.ssoOIDC))
	p.page("POST /sso/{id}/mapping", store.FeatureSSO, p.ssoWithConn(p.ssoMapping))
	p.page("POST /sso/{id}/certificates", store.FeatureSSO, p.ssoWithConn(p.ssoAddCertificate))
	p.page("GET /sso/{id}/certificates/remove", store.FeatureSSO, p.ssoWithConn(p.ssoRemoveCertificateConfirm))
	p.page("POST /sso/{id}/certificates/remove", store.FeatureSSO, p.ssoWithConn(p.ssoRemoveCertificate))
	p.page("POST /sso/{id}/test", store.FeatureSSO, p.ssoWithConn(p.ssoTestStart))
	p.page("GET /sso/{id}/test/run", store.FeatureSSO, p.ssoWithConn(p.ssoTestRun))
	p.page("GET /sso/{id}/test/status", store.FeatureSSO, p.ssoWithConn(p.ssoTestStatus))
	p.page("GET /sso/{id}/test/result", store.FeatureSSO, p.ssoWithConn(p.ssoTestResult))
	p.page("POST /sso/{id}/activate", store.FeatureSSO, p.ssoWithConn(p.ssoActivate))
	p.page("GET /sso/{id}/deactivate/confirm", store.FeatureSSO, p.ssoWithConn(p.ssoDeactivateConfirm))
	p.page("POST /sso/{id}/deactivate", store.FeatureSSO, p.ssoWithConn(p.ssoDeactivate))
	p.page("GET /sso/{id}/delete/confirm", store.FeatureSSO, p.ssoWithConn(p.ssoDeleteConfirm))
	p.page("POST /sso/{id}/delete", store.FeatureSSO, p.goneOr(p.ssoWithConn(p.ssoDelete), func(r *http.Request, s *session) bool {
		_, err := p.st.GetConnection(r.Context(), r.PathValue("id"))
		return errors.Is(err, store.ErrNotFound)
	}, "/sso", "The connection was deleted."))
}

// ssoConnHandler is a page about one connection of the session's
// organization.
type ssoConnHandler func(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection)

// ssoWithConn loads the connection named in the path. A connection of another
// organization is answered like an absent one: 404.
func (p *Portal) ssoWithConn(h ssoConnHandler) sessionHandler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		id := r.PathValue("id")
		if id == "" || len(id) > 200 {
			p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
			return
		}
		c, err := p.st.GetConnection(r.Context(), id)
		switch {
		case errors.Is(err, store.ErrNotFound) || (err == nil && c.OrgID != s.org.ID):
			if err == nil {
				p.log.WarnContext(r.Context(), "portal: connection of another organization", "session_id", s.s.ID, "org_id", s.org.ID, "connection_id", id)
			}
			p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
			return
		case err != nil:
			p.serverError(w, r, "loading connection", err)
			return
		}
		h(w, r, s, c)
	}
}

func ssoActor(s *session) string { return "portal:" + s.s.ID }

// ssoNotConfigured answers a setup action on a server whose portal has no
// Config.SSO.
func (p *Portal) ssoNotConfigured(w http.ResponseWriter, r *http.Request, s *session) bool {
	if p.cfg.SSO != nil {
		return false
	}
	p.log.ErrorContext(r.Context(), "portal: SSO setup needs Config.SSO", "path", r.URL.Path)
	p.renderSessionProblem(w, r, s, http.StatusNotImplemented, problemServerError)
	return true
}

// ---- IdP settings and mapping ----

func (p *Portal) ssoSAMLMetadataURL(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	form := map[string]string{"metadata_url": r.PostForm.Get("metadata_url")}
	_, err := p.admin.ConfigureSAMLMetadataURL(r.Context(), c.ID, form["metadata_url"], ssoActor(s))
	p.configResult(w, r, s, c, "metadata_url", form, err)
}

func (p *Portal) ssoSAMLMetadataXML(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	doc := r.PostForm.Get("metadata_xml")
	form := map[string]string{"metadata_xml": doc}
	_, err := p.admin.ConfigureSAMLMetadataXML(r.Context(), c.ID, []byte(doc), ssoActor(s))
	p.configResult(w, r, s, c, "metadata_xml", form, err)
}

func (p *Portal) ssoSAMLManual(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	form := map[string]string{
		"entity_id":   r.PostForm.Get("entity_id"),
		"sso_url":     r.PostForm.Get("sso_url"),
		"certificate": r.PostForm.Get("certificate"),
		"slo_url":     r.PostForm.Get("slo_url"),
	}
	_, err := p.admin.ConfigureSAMLManual(r.Context(), c.ID, ssokit.SAMLManual{
		EntityID: form["entity_id"], SSOURL: form["sso_url"], Certificates: []string{form["certificate"]},
		SLOURL: form["slo_url"],
	}, ssoActor(s))
	p.configResult(w, r, s, c, "manual", form, err)
}

func (p *Portal) ssoOIDC(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	form := map[string]string{
		"issuer":    r.PostForm.Get("issuer"),
		"client_id": r.PostForm.Get("client_id"),
		"scopes":    r.PostForm.Get("scopes"),
		"tenant_id": r.PostForm.Get("tenant_id"),
	}
	_, err := p.admin.ConfigureOIDC(r.Context(), c.ID, ssokit.OIDCSettings{
		Issuer: form["issuer"], ClientID: form["client_id"], ClientSecret: r.PostForm.Get("client_secret"),
		Scopes: strings.Fields(strings.ReplaceAll(form["scopes"], ",", " ")), TenantID: form["tenant_id"],
	}, ssoActor(s))
	p.configResult(w, r, s, c, "oidc", form, err)
}

func (p *Portal) ssoMapping(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	m := map[string]string{}
	form := map[string]string{}
	for k, vs := range r.PostForm {
		name, ok := strings.CutPrefix(k, "map_")
		if !ok {
			continue
		}
		m[name] = vs[0]
		form[k] = vs[0]
	}
	_, err := p.admin.SetConnectionMapping(r.Context(), c.ID, m, ssoActor(s))
	var ae *admin.AdminError
	if errors.As(err, &ae) {
		ae.Field = strings.Replace(ae.Field, "mapping.", "map_", 1)
	}
	p.configResult(w, r, s, c, "mapping", form, err)
}

// setConnection activates or deactivates a connection through the admin
// service and returns it as stored (the service's copy has its secrets
// removed, and the page shows whether a secret is set).
func (p *Portal) setConnection(ctx context.Context, id, actor string, on bool) (*store.Connection, error) {
	change := p.admin.DisableConnection
	if on {
		change = p.admin.EnableConnection
	}
	if _, err := change(ctx, id, actor); err != nil {
		return nil, err
	}
	return p.st.GetConnection(ctx, id)
}

// ---- test connection ----

type ssoTestData struct {
	Name, OpenURL, StatusURL, ResultURL, BackURL string
}

// ssoTestStart creates a test link of the connection (admin's
// CreateTestLink: a single-use ticket any app instance redeems, once,
// until it expires) and redirects to the page that opens it (ssoTestRun).
func (p *Portal) ssoTestStart(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	if p.ssoNotConfigured(w, r, s) {
		return
	}
	l, err := p.admin.CreateTestLink(r.Context(), c.ID, admin.TestLinkOptions{})
	switch {
	case errors.Is(err, admin.ErrConflict):
		p.redirect(w, r, s, p.path("/sso/"+url.PathEscape(c.ID)),
			&flash{Alert: "Inactive connections can't be tested. Activate it again, or change its settings, then test."})
		return
	case err != nil:
		p.serverError(w, r, "creating a test link", err)
		return
	}
	// The ticket is the link's last path segment; the run page opens the
	// link at the portal's own path of it.
	tok := l.URL[strings.LastIndex(l.URL, "/")+1:]
	q := "?after=" + strconv.FormatInt(l.After, 10) + "&ticket=" + url.QueryEscape(tok)
	http.Redirect(w, r, p.path("/sso/"+url.PathEscape(c.ID)+"/test/run"+q), http.StatusSeeOther)
}

// ssoTestRun is the page that opens the test login of a ticket in a
// popup and waits for its result. Reloading it shows the same ticket,
// which works once: the popup then says to start a new test.
func (p *Portal) ssoTestRun(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	after, ok := ssoAfterParam(r)
	tok := r.URL.Query().Get("ticket")
	if !ok || !secret.Valid(tok, admin.TestTicketPrefix) {
		p.renderSessionProblem(w, r, s, http.StatusBadRequest, problemBadRequest)
		return
	}
	base := p.path("/sso/" + url.PathEscape(c.ID))
	q := "?after=" + strconv.FormatInt(after, 10)
	d := ssoTestData{Name: ssoConnName(c), OpenURL: p.path("/sso/test/" + tok), StatusURL: base + "/test/status" + q,
		ResultURL: base + "/test/result" + q, BackURL: base + "/setup/test"}
	p.render(w, r, http.StatusOK, ssoTestPage(p.sessionView(r, s, "Test "+d.Name, "/sso"), d))
}

// ssoTestOpen redeems a test ticket (admin's RedeemTestLink) and starts
// the test login through ssokit.StartTest. It runs in the popup, which may have no portal session.
func (p *Portal) ssoTestOpen(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("ticket")
	if r.Method == http.MethodHead {
		// Link previews and prefetches must not spend the ticket.
		w.WriteHeader(http.StatusOK)
		return
	}
	if p.cfg.SSO == nil || !secret.Valid(tok, admin.TestTicketPrefix) {
		p.renderProblem(w, r, http.StatusNotFound, problemNotFound)
		return
	}
	ctx := r.Context()
	lr, err := p.admin.RedeemTestLink(ctx, tok)
	switch {
	case errors.Is(err, admin.ErrNotFound):
		p.renderTestStartProblem(w, r, http.StatusGone, "This test link has expired or was already used",
			"Go back to the portal and click “Test connection” again.")
		return
	case err != nil:
		p.serverError(w, r, "redeeming test ticket", err)
		return
	}
	err = p.cfg.SSO.StartTest(w, r, lr.ConnectionID, lr.ReturnTo)
	if err == nil {
		return
	}
	p.log.WarnContext(ctx, "portal: test login could not start", "org_id", lr.OrgID, "connection_id", lr.ConnectionID, "error", err)
	var le *ssokit.LoginError
	switch {
	case errors.As(err, &le) && le.Reason == ssokit.ReasonIdPUnreachable:
		p.renderTestStartProblem(w, r, http.StatusBadGateway, "Your identity provider could not be reached",
			"Its discovery document or metadata could not be loaded. Check the issuer or metadata URL in the portal, then test again.")
	case errors.Is(err, ssokit.ErrConnectionNotActive):
		p.renderTestStartProblem(w, r, http.StatusConflict, "This connection is inactive",
			"Inactive connections can't be tested. Activate it again, or change its settings, then test.")
	case errors.Is(err, ssokit.ErrBadConnection):
		p.renderTestStartProblem(w, r, http.StatusConflict, "The identity provider settings are incomplete",
			"Complete the identity provider settings in the portal, then test again.")
	default:
		p.renderTestStartProblem(w, r, http.StatusInternalServerError, "The test could not start", "Please try again in a moment.")
	}
}

func (p *Portal) renderTestStartProblem(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	b, err := p.branding(r.Context(), "")
	if err != nil {
		b = p.admin.DefaultBranding()
	}
	v := p.baseView(r, b, title)
	p.render(w, r, status, problemPage(v, problem{Title: title, Message: msg, TestID: "problem-test-start"}))
}

func ssoAfterParam(r *http.Request) (int64, bool) {
	n, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	return n, err == nil && n >= 0
}

func (p *Portal) ssoTestStatus(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	after, ok := ssoAfterParam(r)
	if !ok {
		http.Error(w, `{"error":"bad_request"}`, http.StatusBadRequest)
		return
	}
	res, err := p.admin.TestResult(r.Context(), c.ID, after)
	if err != nil {
		p.log.ErrorContext(r.Context(), "portal: reading test result", "error", err)
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]bool{"done": res != nil, "ok": res != nil && res.Err == nil})
}

// ssoResultData is the result page of a test.
type ssoResultData struct {
	Name                        string
	Done, OK                    bool
	Subject, Email              string
	Attributes                  []ssoKV
	Reason, Title, Detail, Hint string
	Facts                       []ssoKV
	Times                       []stamp // the diagnosis' instants
	CanActivate                 bool
	ActivateAction, TestAction  string
	BackURL, RefreshURL         string
}

type ssoKV struct{ Key, Value string }

func (p *Portal) ssoTestResult(w http.ResponseWriter, r *http.Request, s *session, c *store.Connection) {
	after, ok := ssoAfterParam(r)
	if !ok {
		p.renderSessionProblem(w, r, s, http.StatusBadRequest, problemBadRequest)
		return
	}
	res, err := p.admin.TestResult(r.Context(), c.ID, after)
	if err != nil {
		p.serverError(w, r, "reading test result", err)
		return
	}
	base := p.path("/sso/" + url.PathEscape(c.ID))
	d := ssoResultData{Name: ssoConnName(c), BackURL: base, RefreshURL: r.URL.RequestURI(),
		ActivateAction: base + "/activate", TestAction: base + "/test"}
	if res != nil {
		d.Done = true
		if res.Err == nil {
			d.OK = true
			d.Subject, d.Email = res.Profile.Subject, res.Profile.Email
			keys := make([]string, 0, len(res.Profile.Attributes))
			for k := range res.Profile.Attributes {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				d.Attributes = append(d.Attributes, ssoKV{k, strings.Join(res.Profile.Attributes[k], ", ")})
			}
			d.CanActivate = c.State == store.ConnectionTested || (c.State == store.ConnectionInactive && !c.TestedAt.IsZero())
		} else {
			d.Reason = string(res.Err.Reason)
			d.Title, d.Hint = ssoDiagnosis(res.Err.Reason)
			d.Detail = res.Err.Detail
			d.Facts, d.Times = ssoFacts(res.Err)
		}
	}
	title := "Test result"
	p.render(w, r, http.StatusOK, ssoResultPage(p.sessionView(r, s, title, "/sso"), d))
}

// diagnosis is the headline and the fix of a failed test, per reason.
func ssoDiagnosis(r ssokit.Reason) (title, hint string) {
	switch r {
	case ssokit.ReasonAudience:
		return "The audience is not this connection", "In your identity provider, set Audience URI / Identifier (Entity ID) to the SP entity ID shown in the portal, exactly."
	case ssokit.ReasonDestination, ssokit.ReasonRecipient:
		return "The response was addressed to another URL", "Set the Single sign-on URL / Reply URL / ACS URL in your identity provider to the ACS URL shown in the portal, exactly."
	case ssokit.ReasonUnknownCertificate:
		return "The response was signed with a certificate this connection doesn't trust", "Your identity provider may have rotated its certificate. Save the metadata URL again, upload fresh metadata, or paste the current signing certificate."
	case ssokit.ReasonCertificateExpired:
		return "The signing certificate has expired", "Create a new signing certificate in your identity provider, make it active, then update the connection's metadata or certificate."
	case ssokit.ReasonUnsigned:
		return "The response is not signed", "Configure your identity provider to sign the assertion (or the whole response) with SHA-256."
	case ssokit.ReasonAlgorithm:
		return "The signature algorithm is not allowed", "Configure your identity provider to sign with RSA-SHA256 (not SHA-1)."
	case ssokit.ReasonBadSignature:
		return "The signature is invalid", "Something changed the response after it was signed, or the certificate doesn't match. Download fresh metadata and test again."
	case ssokit.ReasonIssuer:
		return "The response comes from another identity provider", "The issuer doesn't match the configured entity ID or issuer. Update the identity provider settings from its current metadata or discovery URL."
	case ssokit.ReasonExpired, ssokit.ReasonNotYetValid:
		return "The response is outside its validity window", "Check the clock of your identity provider's server (and ours): they must agree within the allowed skew."
	case ssokit.ReasonReplayed:
		return "The same response was used twice", "Start a new test; don't reload the identity provider's page."
	case ssokit.ReasonRequestUnknown, ssokit.ReasonInResponseTo:
		return "The test request is unknown or expired", "Start the test from the portal again and finish signing in within 10 minutes. IdP-initiated sign-ins can't test a connection."
	case ssokit.ReasonBrowserMismatch:
		return "The sign-in finished in another browser", "Finish the test in the same browser window that started it."
	case ssokit.ReasonUnsolicited:
		return "IdP-initiated sign-in is off", "Start the sign-in from the portal's Test connection button, not from your identity provider's app dashboard."
	case ssokit.ReasonSubject:
		return "No user identifier was sent", "Configure the Name ID (SAML) to send the user's email or a stable user ID."
	case ssokit.ReasonMissingEmail:
		return "No email address was sent", "Add an attribute or claim with the user's email address (see the attribute list in the guide), or map the email field to the attribute your provider sends."
	case ssokit.ReasonInvalidEmail:
		return "The email address sent is not valid", "Send the user's primary email address (a plain name@domain address), not a guest or alias form."
	case ssokit.ReasonEmailOutsideDomains:
		return "The email's domain isn't verified for your organization", "Sign in with an account of one of your organization's verified domains, or verify this domain first."
	case ssokit.ReasonUserDeactivated:
		return "This user is deactivated in your directory", "Test with a user who is active in your directory."
	case ssokit.ReasonNonce:
		return "The sign-in response didn't match the request", "Start a new test from the portal."
	case ssokit.ReasonTenant:
		return "The sign-in came from another tenant", "Sign in with an account of your own tenant, or correct the tenant ID."
	case ssokit.ReasonUserInfo:
		return "The user info didn't match the ID token", "Your provider returned a different subject from its userinfo endpoint; contact its support."
	case ssokit.ReasonIdPStatus:
		return "Your identity provider refused the sign-in", "Check that the test user is assigned to the application in your identity provider, and look at its sign-in logs."
	case ssokit.ReasonNotEncrypted, ssokit.ReasonDecrypt:
		return "The assertion's encryption doesn't match", "Turn assertion encryption off in your identity provider, or use this connection's SP certificate from the SP metadata."
	case ssokit.ReasonIdPUnreachable:
		return "Your identity provider couldn't be reached", "Check the issuer URL and that the client ID and secret are right; the token or key endpoint failed."
	case ssokit.ReasonConnectionInactive:
		return "The connection is inactive", "Activate the connection again, or change its settings, before testing."
	case ssokit.ReasonMalformed, ssokit.ReasonForbiddenXML, ssokit.ReasonStructure:
		return "The response is malformed", "Your identity provider sent a response this app refuses to read. Check its SAML settings, or contact its support."
	}
	return "The test sign-in failed", "Check the identity provider settings and try again."
}

// ssoFacts lists the fields of a diagnosis that are set, and its instants.
func ssoFacts(e *ssokit.LoginError) ([]ssoKV, []stamp) {
	var out []ssoKV
	add := func(k, v string) {
		if v != "" {
			out = append(out, ssoKV{k, v})
		}
	}
	add("Expected audience", e.ExpectedAudience)
	add("Audiences received", strings.Join(e.Audiences, ", "))
	add("Expected issuer", e.ExpectedIssuer)
	add("Issuer received", e.Issuer)
	add("Expected destination", e.ExpectedDestination)
	add("Destination received", e.Destination)
	add("Certificate received (SHA-256)", strings.Join(e.CertificateThumbprints, ", "))
	add("Trusted certificates (SHA-256)", strings.Join(e.TrustedThumbprints, ", "))
	if e.Skew > 0 {
		add("Allowed clock skew", e.Skew.String())
	}
	add("Algorithm", e.Algorithm)
	add("Status", e.Status)
	add("Email", e.Email)
	add("Domain", e.Domain)
	add("In response to", e.InResponseTo)
	add("Assertion ID", e.AssertionID)
	var times []stamp
	for _, t := range []stamp{timeStamp("Not before", e.NotBefore), timeStamp("Not on or after", e.NotOnOrAfter), timeStamp("Checked at", e.Now)} {
		if t.Set() {
			times = append(times, t)
		}
	}
	return out, times
}

// ssoSentence capitalises a problem for display and ends it with a full stop.
func ssoSentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
