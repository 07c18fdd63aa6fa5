package idpsim

import (
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/onboardkit/onboardkit/internal/devui"
)

//go:embed static/autopost.js
var staticFiles embed.FS

// Banner is the warning every page of the simulator shows.
const Banner = "Development simulator — not a real identity provider"

const homeTmpl = `{{define "content"}}
<h1>Identity provider simulator</h1>
<p class="muted">Every identity here is typed in by whoever uses this page. Never trust it outside development and tests.</p>
<h2>SAML 2.0</h2>
<table data-testid="saml-endpoints">
<tr><th>Entity ID</th><td><code>{{.Home.EntityID}}</code></td></tr>
<tr><th>Metadata</th><td><a href="{{.Home.MetadataURL}}"><code>{{.Home.MetadataURL}}</code></a></td></tr>
<tr><th>SSO (Redirect and POST)</th><td><code>{{.Home.SSOURL}}</code></td></tr>
<tr><th>IdP-initiated</th><td><a href="{{.Base}}/saml/idp-initiated">Start an IdP-initiated login</a></td></tr>
<tr><th>Single Logout (Redirect and POST)</th><td><code>{{.Home.SLOURL}}</code></td></tr>
</table>
<h2>Service providers</h2>
{{if .Home.SPs}}<table data-testid="sps"><tr><th>Name</th><th>Entity ID</th><th>ACS</th><th>Preset</th><th>IdP-initiated logout</th></tr>
{{range .Home.SPs}}<tr><td>{{.Name}}</td><td><code>{{.EntityID}}</code></td><td><code>{{.ACSURL}}</code></td><td>{{.Preset}}</td>
<td>{{if .SLOURL}}<form method="get" action="{{$.Base}}/saml/logout-initiated" data-testid="slo-form">
<input type="hidden" name="sp" value="{{.EntityID}}">
<label>User <select name="email">{{range $.Users}}<option value="{{.Email}}">{{.Email}}</option>{{end}}</select></label>
<label>Binding <select name="binding"><option value="redirect">HTTP-Redirect</option><option value="post">HTTP-POST</option></select></label>
<label>Fault <select name="fault"><option value="">none</option>{{range $.Home.LogoutFaults}}<option value="{{.}}">{{.Description}}</option>{{end}}</select></label>
<button type="submit">Send LogoutRequest</button></form>{{else}}<span class="muted">no SLO URL</span>{{end}}</td></tr>{{end}}
</table>{{else}}<p class="muted">No service provider registered.</p>{{end}}
<h2>OpenID Connect</h2>
<table data-testid="oidc-endpoints">
<tr><th>Issuer</th><td><code>{{.Home.Issuer}}</code></td></tr>
<tr><th>Discovery</th><td><a href="{{.Home.Issuer}}/.well-known/openid-configuration"><code>{{.Home.Issuer}}/.well-known/openid-configuration</code></a></td></tr>
<tr><th>End session</th><td><code>{{.Home.Issuer}}/logout</code></td></tr>
</table>
<h2>Clients</h2>
{{if .Home.Clients}}<table data-testid="clients"><tr><th>Name</th><th>Client ID</th><th>Redirect URIs</th><th>Preset</th><th>Back-channel logout</th></tr>
{{range .Home.Clients}}<tr><td>{{.Name}}</td><td><code>{{.ID}}</code></td><td>{{range .RedirectURIs}}<code>{{.}}</code><br>{{end}}</td><td>{{.Preset}}</td>
<td>{{if .BackChannelLogoutURI}}<form method="post" action="{{$.Base}}/oidc/backchannel-send" data-testid="backchannel-form">
<input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="client" value="{{.ID}}">
<label>User <select name="email">{{range $.Users}}<option value="{{.Email}}">{{.Email}}</option>{{end}}</select></label>
<label>Fault <select name="fault"><option value="">none</option>{{range $.Home.LogoutFaults}}<option value="{{.}}">{{.Description}}</option>{{end}}</select></label>
<button type="submit">Send logout_token</button></form>{{else}}<span class="muted">no back-channel URI</span>{{end}}</td></tr>{{end}}
</table>{{else}}<p class="muted">No OIDC client registered.</p>{{end}}
<h2>Users</h2>
<table data-testid="users"><tr><th>Email</th><th>Name</th><th>Groups</th></tr>
{{range .Users}}<tr><td>{{.Email}}</td><td>{{.DisplayName}}</td><td>{{join .Groups ", "}}</td></tr>{{end}}
</table>
{{end}}`

const userFieldsTmpl = `{{define "userfields"}}
<fieldset>
<legend>Simulated user</legend>
<label>Pick a user (ignored when an email or ID is typed below)
<select name="seed" data-testid="seed">
{{range $i, $u := .Users}}<option value="{{$i}}">{{$u.Email}} ({{$u.DisplayName}})</option>{{end}}
<option value="custom">Custom user (fields below)</option>
</select></label>
<div class="row">
<label>Email <input type="email" name="email" autocomplete="off"></label>
<label>Subject ID (optional) <input type="text" name="id" autocomplete="off"></label>
<label>Given name <input type="text" name="given_name" autocomplete="off"></label>
<label>Family name <input type="text" name="family_name" autocomplete="off"></label>
</div>
<label>Groups (comma separated) <input type="text" name="groups" autocomplete="off"></label>
<label>Custom attributes (one <code>name=value</code> per line; repeat a name for several values; <code>name:=42</code>, <code>name:=true</code> or <code>name:=["a","b"]</code> for a typed OIDC claim)
<textarea name="attributes"></textarea></label>
</fieldset>
<fieldset>
<legend>Outcome</legend>
<label><select name="outcome" data-testid="outcome">
<option value="success">Sign in successfully</option>
<option value="deny">Deny (authentication failed)</option>
{{range .Faults}}<option value="{{.}}">Fault {{.}}: {{.Description}}</option>{{end}}
</select></label>
{{if .SAML}}<div class="row">
<label>Sign <select name="signing"><option value="both">response and assertion</option><option value="assertion">assertion only</option><option value="response">response only</option></select></label>
<label><input type="checkbox" name="encrypt" value="1"> Encrypt the assertion (needs the SP's certificate)</label>
</div>{{end}}
</fieldset>
{{end}}`

const loginTmpl = `{{define "content"}}
<h1>Sign in to {{.Login.Target}}</h1>
<p class="muted">{{.Login.Protocol}} request from <code>{{.Login.TargetID}}</code>{{if .Login.Detail}} · {{.Login.Detail}}{{end}}</p>
<form method="post" action="{{.Base}}/login" data-testid="login-form">
<input type="hidden" name="pending" value="{{.Login.Pending}}">
{{template "userfields" .}}
<button type="submit">Continue</button>
</form>
{{end}}`

const idpInitTmpl = `{{define "content"}}
<h1>IdP-initiated SAML login</h1>
{{if .Home.SPs}}
<form method="post" action="{{.Base}}/saml/idp-initiated" data-testid="idp-initiated-form">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<fieldset><legend>Service provider</legend>
<label><select name="sp">{{range .Home.SPs}}<option value="{{.EntityID}}">{{.Name}} ({{.ACSURL}})</option>{{end}}</select></label>
<label>RelayState (optional) <input type="text" name="relay_state" autocomplete="off"></label>
</fieldset>
{{template "userfields" .}}
<button type="submit">Send response</button>
</form>
{{else}}<p>No service provider is registered.</p>{{end}}
{{end}}`

const autopostTmpl = `{{define "content"}}
<h1>Returning to {{.Post.Target}}</h1>
<form method="post" action="{{.Post.Action}}" id="autopost" data-testid="autopost">
<input type="hidden" name="SAMLResponse" value="{{.Post.SAMLResponse}}">
{{if .Post.RelayState}}<input type="hidden" name="RelayState" value="{{.Post.RelayState}}">{{end}}
<p class="muted">{{if .Post.Faults}}Faults injected: {{join .Post.Faults ", "}}. {{end}}If nothing happens, press the button.</p>
<button type="submit">Continue</button>
</form>
<script src="{{.Base}}/static/autopost.js"></script>
{{end}}`

const errorTmpl = `{{define "content"}}
<h1>The simulator refused this request</h1>
<p class="error" data-testid="error">{{.Error}}</p>
{{end}}`

// pageData is what every page template reads: the shared chrome (title,
// banner, branding) and the page's own fields.
type pageData struct {
	devui.Chrome
	Base   string
	CSRF   string
	Users  []User
	Faults []Fault
	SAML   bool
	Home   *homeData
	Login  *loginData
	Post   *postData
	Error  string
}

type homeData struct {
	EntityID, MetadataURL, SSOURL, SLOURL, Issuer string
	SPs                                           []SP
	Clients                                       []Client
	LogoutFaults                                  []Fault
}

type loginData struct {
	Pending, Protocol, Target, TargetID, Detail string
}

type postData struct {
	Action, SAMLResponse, RelayState, Target string
	Faults                                   []string
}

var funcs = template.FuncMap{"join": strings.Join}

func mustPage(content string) *template.Template {
	return template.Must(devui.Parse(funcs, userFieldsTmpl, content))
}

// pages are parsed once; templates are immutable after parsing.
var pages = map[string]*template.Template{
	"home":     mustPage(homeTmpl),
	"login":    mustPage(loginTmpl),
	"idpinit":  mustPage(idpInitTmpl),
	"autopost": mustPage(autopostTmpl),
	"error":    mustPage(errorTmpl),
}

func (idp *IdP) render(w http.ResponseWriter, status int, page string, d pageData) {
	d.Banner = Banner
	d.Base = idp.basePath
	d.StaticURL = idp.basePath + "/static"
	d.HomeURL = idp.basePath + "/"
	if err := devui.Render(w, pages[page], idp.theme, status, &d); err != nil {
		idp.log.Error("idpsim: rendering page", "page", page, "err", err)
	}
}

// fail logs the cause and shows a page with a message meant for the
// developer; cause text never reaches the page.
func (idp *IdP) fail(w http.ResponseWriter, status int, public string, cause error) {
	idp.log.Warn("idpsim: request refused", "status", status, "err", cause)
	idp.render(w, status, "error", pageData{Chrome: devui.Chrome{Title: "Refused"}, Error: public})
}

func (idp *IdP) homeData() *homeData {
	return &homeData{
		EntityID: idp.entityID, MetadataURL: idp.MetadataURL(), SSOURL: idp.SSOURL(), SLOURL: idp.SLOURL(), Issuer: idp.issuer,
		SPs: idp.ServiceProviders(), Clients: idp.Clients(), LogoutFaults: LogoutFaults(),
	}
}

func (idp *IdP) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if idp.theme.ServeAsset(w, name) {
		return
	}
	if name != "autopost.js" {
		http.NotFound(w, r)
		return
	}
	b, err := staticFiles.ReadFile("static/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	_, _ = w.Write(b)
}
