package idpsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/internal/devui"
)

const (
	pendingTTL     = 10 * time.Minute
	maxRelayState  = 4096
	maxAttrLines   = 100
	maxFieldLength = 1024
)

// pending is a request waiting on the login page.
type pending struct {
	saml       *AuthnRequest
	sp         *SP
	relayState string
	oidc       *authorizeRequest
	expires    time.Time
}

func (idp *IdP) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", idp.handleHome)
	m.HandleFunc("GET /static/{file}", idp.handleStatic)
	m.HandleFunc("GET /saml/metadata", idp.handleMetadata)
	m.HandleFunc("GET /saml/sso", idp.handleSSO)
	m.HandleFunc("POST /saml/sso", idp.handleSSO)
	m.HandleFunc("GET /saml/idp-initiated", idp.handleIdPInitiated)
	m.HandleFunc("POST /saml/idp-initiated", idp.handleIdPInitiated)
	m.HandleFunc("GET /oidc/.well-known/openid-configuration", idp.handleDiscovery)
	m.HandleFunc("GET /oidc/jwks", idp.handleJWKS)
	m.HandleFunc("GET /oidc/authorize", idp.handleAuthorize)
	m.HandleFunc("POST /oidc/token", idp.handleToken)
	m.HandleFunc("GET /oidc/userinfo", idp.handleUserinfo)
	m.HandleFunc("POST /oidc/userinfo", idp.handleUserinfo)
	m.HandleFunc("POST /login", idp.handleLogin)
	m.HandleFunc("GET /saml/slo", idp.handleSLO)
	m.HandleFunc("POST /saml/slo", idp.handleSLO)
	m.HandleFunc("GET /saml/logout-initiated", idp.handleSAMLLogoutInitiated)
	m.HandleFunc("GET /oidc/logout", idp.handleEndSession)
	m.HandleFunc("POST /oidc/backchannel-send", idp.handleBackChannelSend)
	idp.mux = m
}

func (idp *IdP) handleHome(w http.ResponseWriter, r *http.Request) {
	tok, err := idp.csrf.Token(w, r)
	if err != nil {
		idp.fail(w, http.StatusInternalServerError, "The simulator failed.", err)
		return
	}
	idp.render(w, http.StatusOK, "home", pageData{Chrome: devui.Chrome{Title: "Home"}, CSRF: tok, Users: idp.Users(), Home: idp.homeData()})
}

func (idp *IdP) handleMetadata(w http.ResponseWriter, r *http.Request) {
	b, err := idp.metadataXML()
	if err != nil {
		idp.log.Error("idpsim: rendering metadata", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

func publicSAMLError(err error) (int, string) {
	switch {
	case errors.Is(err, ErrRequestTooLarge):
		return http.StatusRequestEntityTooLarge, "The SAML request is too large."
	case errors.Is(err, ErrUnknownSP):
		return http.StatusBadRequest, "The SAML request comes from a service provider that is not registered with this simulator."
	case errors.Is(err, ErrACSMismatch):
		return http.StatusBadRequest, "The SAML request asks for an AssertionConsumerServiceURL other than the registered one."
	case errors.Is(err, ErrMalformedRequest):
		return http.StatusBadRequest, "The SAML request is malformed (encoding, XML, ID, Version, Issuer or binding)."
	}
	return http.StatusBadRequest, "The SAML request was refused."
}

func (idp *IdP) handleSSO(w http.ResponseWriter, r *http.Request) {
	var encoded, relay string
	redirect := r.Method == http.MethodGet
	if redirect {
		q := r.URL.Query()
		// A '+' the SP forgot to escape arrives as a space.
		encoded, relay = strings.ReplaceAll(q.Get("SAMLRequest"), " ", "+"), q.Get("RelayState")
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, MaxEncodedRequest+maxRelayState+1024)
		if err := r.ParseForm(); err != nil {
			idp.fail(w, http.StatusRequestEntityTooLarge, "The SAML request is too large or unreadable.", err)
			return
		}
		encoded, relay = r.PostForm.Get("SAMLRequest"), r.PostForm.Get("RelayState")
	}
	if len(relay) > maxRelayState {
		idp.fail(w, http.StatusBadRequest, "The RelayState is too long.", errors.New("RelayState too long"))
		return
	}
	req, err := DecodeAuthnRequest(encoded, redirect)
	if err == nil {
		var sp *SP
		if sp, err = idp.spForRequest(req); err == nil {
			if a := idp.autoLogin(); a != nil {
				idp.respondSAML(w, sp, req.ID, relay, a.User, samlOnly(a.Faults), a.Deny, sp.Signing, sp.Encrypt)
				return
			}
			id, err := idp.addPending(&pending{saml: req, sp: sp, relayState: relay})
			if err != nil {
				idp.fail(w, http.StatusInternalServerError, "The simulator failed.", err)
				return
			}
			detail := "AuthnRequest " + req.ID
			if redirect {
				detail += " (HTTP-Redirect)"
			} else {
				detail += " (HTTP-POST)"
			}
			idp.render(w, http.StatusOK, "login", pageData{Chrome: devui.Chrome{Title: "Sign in"}, Users: idp.Users(), Faults: SAMLFaults(), SAML: true,
				Login: &loginData{Pending: id, Protocol: "SAML 2.0", Target: sp.Name, TargetID: sp.EntityID, Detail: detail}})
			return
		}
	}
	status, msg := publicSAMLError(err)
	idp.fail(w, status, msg, err)
}

func (idp *IdP) addPending(p *pending) (string, error) {
	id, err := idp.newID("p")
	if err != nil {
		return "", err
	}
	now := idp.now()
	p.expires = now.Add(pendingTTL)
	idp.mu.Lock()
	idp.pruneLocked(now)
	idp.pending[id] = p
	idp.mu.Unlock()
	return id, nil
}

func (idp *IdP) takePending(id string) (*pending, bool) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	p, ok := idp.pending[id]
	delete(idp.pending, id)
	if !ok || idp.now().After(p.expires) {
		return nil, false
	}
	return p, true
}

// respondSAML renders the auto-submitting form that posts a response to
// the SP's ACS.
func (idp *IdP) respondSAML(w http.ResponseWriter, sp *SP, inResponseTo, relay string, u User, faults []Fault, deny bool, signing Signing, encrypt bool) {
	b64, err := idp.SAMLResponse(ResponseOptions{SP: sp.EntityID, User: u, InResponseTo: inResponseTo,
		Signing: signing, Encrypt: encrypt, Faults: faults, Deny: deny})
	if err != nil {
		status, msg := http.StatusBadRequest, "The simulator could not build this response: check the chosen fault and options."
		if errors.Is(err, ErrNoPreviousResponse) {
			msg = "There is no previous response to replay: sign in once without faults first."
		}
		idp.fail(w, status, msg, err)
		return
	}
	var fs []string
	for _, f := range faults {
		fs = append(fs, string(f))
	}
	idp.render(w, http.StatusOK, "autopost", pageData{Chrome: devui.Chrome{Title: "Continue"}, Post: &postData{
		Action: sp.ACSURL, SAMLResponse: b64, RelayState: relay, Target: sp.Name, Faults: fs}})
}

// formLogin reads the user, outcome and SAML options from the login form.
type formLogin struct {
	user    User
	deny    bool
	faults  []Fault
	signing Signing
	encrypt bool
}

func (idp *IdP) readLoginForm(r *http.Request, saml bool) (*formLogin, error) {
	f := r.PostForm
	for k, v := range f {
		for _, s := range v {
			if len(s) > maxFieldLength && k != "attributes" {
				return nil, errors.New("field too long: " + k)
			}
		}
	}
	out := &formLogin{}
	// A typed email or ID wins over the seed list.
	seed := f.Get("seed")
	typed := strings.TrimSpace(f.Get("email")) != "" || strings.TrimSpace(f.Get("id")) != ""
	if seed != "" && seed != "custom" && !typed {
		i, err := strconv.Atoi(seed)
		users := idp.Users()
		if err != nil || i < 0 || i >= len(users) {
			return nil, errors.New("unknown seed user")
		}
		out.user = users[i]
	} else {
		u := User{
			ID:         strings.TrimSpace(f.Get("id")),
			Email:      strings.TrimSpace(f.Get("email")),
			GivenName:  strings.TrimSpace(f.Get("given_name")),
			FamilyName: strings.TrimSpace(f.Get("family_name")),
		}
		for _, g := range strings.Split(f.Get("groups"), ",") {
			if g = strings.TrimSpace(g); g != "" {
				u.Groups = append(u.Groups, g)
			}
		}
		lines := strings.Split(f.Get("attributes"), "\n")
		if len(lines) > maxAttrLines {
			return nil, errors.New("too many attribute lines")
		}
		for _, line := range lines {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			name, value, ok := strings.Cut(line, "=")
			name = strings.TrimSpace(name)
			if !ok || name == "" || len(line) > maxFieldLength {
				return nil, errors.New("attribute lines must be name=value")
			}
			if u.Attributes == nil {
				u.Attributes = map[string][]string{}
			}
			if typed, ok := strings.CutSuffix(name, ":"); ok {
				// name:=JSON: a typed OIDC claim, and its SAML form.
				name = strings.TrimSpace(typed)
				v, vals, err := typedClaim(value)
				if err != nil || name == "" {
					return nil, errors.New("attribute lines name:=value need a JSON value (42, true, [\"a\",\"b\"])")
				}
				if u.Claims == nil {
					u.Claims = map[string]any{}
				}
				u.Claims[name] = v
				u.Attributes[name] = append(u.Attributes[name], vals...)
				continue
			}
			u.Attributes[name] = append(u.Attributes[name], strings.TrimSpace(value))
		}
		nu, err := normalizeUser(u)
		if err != nil {
			return nil, err
		}
		out.user = nu
	}
	switch o := f.Get("outcome"); o {
	case "", "success":
	case "deny":
		out.deny = true
	default:
		fl := Fault(o)
		if (saml && !fl.SAML()) || (!saml && !fl.OIDC()) {
			return nil, errors.New("unknown outcome " + o)
		}
		out.faults = []Fault{fl}
	}
	switch f.Get("signing") {
	case "", "both":
	case "assertion":
		out.signing = SignAssertion
	case "response":
		out.signing = SignResponse
	default:
		return nil, errors.New("unknown signing mode")
	}
	out.encrypt = f.Get("encrypt") == "1"
	return out, nil
}

func (idp *IdP) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		idp.fail(w, http.StatusBadRequest, "The form is too large or unreadable.", err)
		return
	}
	p, ok := idp.takePending(r.PostForm.Get("pending"))
	if !ok {
		idp.fail(w, http.StatusBadRequest, "This login request is unknown, used or expired: start again from the application.", errors.New("unknown pending login"))
		return
	}
	fl, err := idp.readLoginForm(r, p.saml != nil)
	if err != nil {
		idp.fail(w, http.StatusBadRequest, "The login form is invalid: a user needs an email or an ID, attributes are name=value lines.", err)
		return
	}
	if p.saml != nil {
		idp.respondSAML(w, p.sp, p.saml.ID, p.relayState, fl.user, fl.faults, fl.deny, fl.signing, fl.encrypt)
		return
	}
	if fl.deny {
		idp.redirectError(w, r, p.oidc, "access_denied", "the user denied the request at the simulator")
		return
	}
	idp.issueCode(w, r, p.oidc, fl.user, fl.faults)
}

func (idp *IdP) handleIdPInitiated(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		if a := idp.autoLogin(); a != nil && q.Get("sp") != "" {
			sp, ok := idp.lookupSP(q.Get("sp"))
			if !ok {
				idp.fail(w, http.StatusBadRequest, "Unknown service provider.", ErrUnknownSP)
				return
			}
			relay := q.Get("RelayState")
			if len(relay) > maxRelayState {
				idp.fail(w, http.StatusBadRequest, "The RelayState is too long.", errors.New("RelayState too long"))
				return
			}
			idp.respondSAML(w, sp, "", relay, a.User, samlOnly(a.Faults), a.Deny, sp.Signing, sp.Encrypt)
			return
		}
		tok, err := idp.csrf.Token(w, r)
		if err != nil {
			idp.fail(w, http.StatusInternalServerError, "The simulator failed.", err)
			return
		}
		idp.render(w, http.StatusOK, "idpinit", pageData{Chrome: devui.Chrome{Title: "IdP-initiated login"}, CSRF: tok, Users: idp.Users(), Faults: SAMLFaults(), SAML: true, Home: idp.homeData()})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		idp.fail(w, http.StatusBadRequest, "The form is too large or unreadable.", err)
		return
	}
	// Without this check any site could make a visitor's browser post a
	// response for an identity of its choosing to an SP (login CSRF).
	if err := idp.csrf.Verify(r); err != nil {
		idp.fail(w, http.StatusForbidden, "This form has expired or did not come from the simulator's page: reload it and try again.", err)
		return
	}
	sp, ok := idp.lookupSP(r.PostForm.Get("sp"))
	if !ok {
		idp.fail(w, http.StatusBadRequest, "Unknown service provider.", ErrUnknownSP)
		return
	}
	relay := r.PostForm.Get("relay_state")
	if len(relay) > maxRelayState {
		idp.fail(w, http.StatusBadRequest, "The RelayState is too long.", errors.New("RelayState too long"))
		return
	}
	fl, err := idp.readLoginForm(r, true)
	if err != nil {
		idp.fail(w, http.StatusBadRequest, "The login form is invalid: a user needs an email or an ID, attributes are name=value lines.", err)
		return
	}
	idp.respondSAML(w, sp, "", relay, fl.user, fl.faults, fl.deny, fl.signing, fl.encrypt)
}

func (idp *IdP) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ar, code, err := idp.parseAuthorize(r.URL.Query())
	if err != nil {
		if ar == nil {
			idp.fail(w, http.StatusBadRequest, "The authorization request names an unknown client or an unregistered redirect_uri.", err)
			return
		}
		idp.log.Info("idpsim: authorization request refused", "client", ar.client.ID, "err", err)
		idp.redirectError(w, r, ar, code, "")
		return
	}
	if a := idp.autoLogin(); a != nil {
		if a.Deny {
			idp.redirectError(w, r, ar, "access_denied", "")
			return
		}
		idp.issueCode(w, r, ar, a.User, oidcOnly(a.Faults))
		return
	}
	id, err := idp.addPending(&pending{oidc: ar})
	if err != nil {
		idp.fail(w, http.StatusInternalServerError, "The simulator failed.", err)
		return
	}
	idp.render(w, http.StatusOK, "login", pageData{Chrome: devui.Chrome{Title: "Sign in"}, Users: idp.Users(), Faults: OIDCFaults(),
		Login: &loginData{Pending: id, Protocol: "OpenID Connect", Target: ar.client.Name, TargetID: ar.client.ID, Detail: "scope " + ar.scope}})
}

func samlOnly(fs []Fault) []Fault {
	var out []Fault
	for _, f := range fs {
		if f.SAML() {
			out = append(out, f)
		}
	}
	return out
}

func oidcOnly(fs []Fault) []Fault {
	var out []Fault
	for _, f := range fs {
		if f.OIDC() {
			out = append(out, f)
		}
	}
	return out
}

// typedClaim decodes the JSON value of a name:=value line: the claim, and
// the SAML attribute values that stand for it (an array's elements, any
// other value's JSON text without quotes).
func typedClaim(value string) (any, []string, error) {
	d := json.NewDecoder(strings.NewReader(value))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return nil, nil, errors.New("not one JSON value")
	}
	text := func(e any) string {
		if s, ok := e.(string); ok {
			return s
		}
		b, _ := json.Marshal(e)
		return string(b)
	}
	if l, ok := v.([]any); ok {
		vals := make([]string, len(l))
		for i, e := range l {
			vals[i] = text(e)
		}
		return v, vals, nil
	}
	return v, []string{text(v)}, nil
}
