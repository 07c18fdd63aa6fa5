package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/onboardkit/onboardkit/internal/web"
)

// Every form of the dashboard follows its POST with a redirect to a GET
// (303), refusals included, so that a reload or Back never sends it again.
// What the page after the redirect shows of the POST (a secret shown once,
// a test's outcome, or the problem of a refused form with the values
// entered) travels in a flash cookie (web.Flash), sealed under the
// browser's CSRF cookie, scoped to the page's path, and read and deleted by
// the GET: a secret is never in a URL nor readable in a cookie, and a
// reload of the page shows it no more.

// flash is what a POST hands to the page it redirects to.
type flash struct {
	// Reveal is what the page shows once (a key, a link, a token, a
	// test's outcome).
	Reveal map[string]string `json:"r,omitempty"`
	// Alert is why the form Form was refused; Field the input name it
	// concerns ("" for the form as a whole).
	Alert string `json:"a,omitempty"`
	Field string `json:"fd,omitempty"`
	Form  string `json:"fm,omitempty"`
	// Values are what the refused form held, less its secrets.
	Values url.Values `json:"v,omitempty"`
	// Dropped are the secret inputs that held something: they come back
	// empty, with a note.
	Dropped []string `json:"x,omitempty"`
}

// secretInputs are inputs whose values never go into a flash: a client
// secret is entered again after a refusal. (Files, such as a service
// account's private key, are never in Values.)
var secretInputs = map[string]bool{"client_secret": true}

// notKept are the posted fields that are not the form's values.
var notKept = map[string]bool{web.CSRFField: true, web.FormTokenField: true}

func (d *Dashboard) flashCookie() web.Flash {
	name := "onboardkit_dashboard_flash"
	if d.secure {
		name = "__Secure-" + name
	}
	return web.Flash{Name: name, Secure: d.secure, SameSite: http.SameSiteStrictMode}
}

// putFlash hands f to the next GET of page (a path, with an optional
// query) and redirects there with the notice done.
func (d *Dashboard) putFlash(w http.ResponseWriter, r *http.Request, page string, f *flash, done string) {
	u, _ := url.Parse(page)
	if c, err := r.Cookie(d.csrfCookieName()); err == nil {
		fc := d.flashCookie()
		err := fc.Put(w, d.rand, []byte(c.Value), u.Path, d.now(), f)
		if errors.Is(err, web.ErrFlashTooLarge) {
			// Values too long for a cookie (a pasted metadata document)
			// are not given back; the problem still is.
			f.Values = nil
			err = fc.Put(w, d.rand, []byte(c.Value), u.Path, d.now(), f)
		}
		if err != nil {
			d.log.ErrorContext(r.Context(), "dashboard: sealing a flash", "error", err)
		}
	}
	d.redirect(w, r, page, done)
}

// reveal hands v to the next GET of page and redirects there with the
// notice done.
func (d *Dashboard) reveal(w http.ResponseWriter, r *http.Request, page string, v map[string]string, done string) {
	d.putFlash(w, r, page, &flash{Reveal: v}, done)
}

// takeFlash returns what the POST before the request handed to its page
// (the zero flash when nothing), and deletes it.
func (d *Dashboard) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	var f flash
	c, err := r.Cookie(d.csrfCookieName())
	if err != nil {
		return &f
	}
	// The dashboard is mounted with http.StripPrefix: the cookie's path is
	// the page's full path.
	if !d.flashCookie().Take(w, r, []byte(c.Value), d.path(r.URL.Path), d.now(), &f) {
		return &flash{}
	}
	return &f
}

// formOf names the form a POST comes from, by the route it reached: the
// data-testid of the form on its page.
func formOf(r *http.Request, form url.Values) string {
	pattern := strings.TrimPrefix(r.Pattern, "POST ")
	switch {
	case pattern == "/orgs/{id}/attributes":
		return "attribute-form-" + form.Get("field")
	case strings.HasPrefix(pattern, "/orgs/{id}/connections/{conn}/"):
		return strings.TrimPrefix(pattern, "/orgs/{id}/connections/{conn}/") + "-form"
	case strings.HasPrefix(pattern, "/orgs/{id}/directories/{dir}/google/"):
		return "google-" + r.PathValue("op") + "-form"
	}
	return postForms[pattern]
}

// postForms are the forms of the routes whose pattern names one form.
var postForms = map[string]string{
	"/orgs":                               "create-org-form",
	"/orgs/{id}":                          "update-org-form",
	"/orgs/{id}/delete":                   "delete-org-form",
	"/orgs/{id}/links":                    "generate-link-form",
	"/orgs/{id}/domains":                  "add-domain-form",
	"/orgs/{id}/policy":                   "policy-form",
	"/orgs/{id}/roles":                    "mapping-form",
	"/orgs/{id}/connections":              "create-connection-form",
	"/orgs/{id}/directories":              "create-directory-form",
	"/orgs/{id}/directories/{dir}/tokens": "create-token-form",
	"/branding":                           "branding-form",
	"/orgs/{id}/branding":                 "branding-form",
	"/api-keys":                           "create-key-form",
}

// inputIDs are the ids of the inputs of the forms whose ids are not their
// names with "-" for "_", by form and input name.
var inputIDs = map[string]map[string]string{
	"create-org-form":        {"name": "org-name", "external_id": "org-ext"},
	"update-org-form":        {"name": "org-name", "external_id": "org-ext"},
	"delete-org-form":        {"confirm": "confirm"},
	"generate-link-form":     {"features": "feature-first", "feature": "feature-first"},
	"add-domain-form":        {"name": "domain-name", "method": "domain-method", "domain": "domain-name"},
	"policy-form":            {"outside_domains": "outside-domains", "sign_in": "policy-sign-in", "deprovision": "policy-deprovision"},
	"mapping-form":           {"source": "mapping-source", "value": "mapping-value", "role": "mapping-role"},
	"create-connection-form": {"protocol": "conn-protocol", "provider": "conn-provider", "name": "conn-name"},
	"create-directory-form":  {"provider": "dir-provider", "name": "dir-name"},
	"branding-form":          {"accent_color": "accent-text", "logo": "logo", "favicon": "favicon"},
	"create-key-form":        {"name": "key-name"},
	"metadata-url-form":      {"metadata_url": "metadata-url"},
	"metadata-xml-form":      {"metadata_xml": "metadata-xml"},
	"manual-form":            {"entity_id": "entity-id", "sso_url": "sso-url", "slo_url": "slo-url", "certificate": "certificate", "certificates": "certificate"},
	"oidc-form":              {"issuer": "issuer", "client_id": "client-id", "client_secret": "client-secret", "scopes": "scopes", "tenant_id": "tenant-id"},
	"security-form":          {"clock_skew": "clock-skew", "clock_skew_seconds": "clock-skew"},
	"google-settings-form":   {"admin_email": "g-admin", "domain": "g-domain", "customer": "g-customer", "sync_interval": "g-interval", "sync_interval_minutes": "g-interval"},
	"google-key-form":        {"key": "g-key", "key_file": "g-key"},
}

// inputID is the id of the input name of form, "" when the form has none.
func inputID(form, name string) string {
	if name == "" {
		return ""
	}
	if strings.HasPrefix(form, "attribute-form-") {
		key := strings.TrimPrefix(form, "attribute-form-")
		switch name {
		case "saml_attribute":
			return "d-saml-" + key
		case "oidc_claim":
			return "d-oidc-" + key
		case "scim_path":
			return "d-scim-" + key
		}
		return ""
	}
	if form == "mapping-form" && strings.HasPrefix(name, "map_") {
		// The connection page's attribute mapping.
		return "map-" + strings.TrimPrefix(name, "map_")
	}
	return inputIDs[form][name]
}

// refuse answers a refused form with a redirect to page (the page the form
// is on), whose GET shows why (msg, about the input field) above the form,
// with the values entered (less secrets).
func (d *Dashboard) refuse(w http.ResponseWriter, r *http.Request, page string, form url.Values, field, msg string) {
	f := &flash{Alert: msg, Field: field, Form: formOf(r, form), Values: url.Values{}}
	for k, v := range form {
		switch {
		case notKept[k]:
		case secretInputs[k]:
			if strings.TrimSpace(strings.Join(v, "")) != "" {
				f.Dropped = append(f.Dropped, k)
			}
		default:
			f.Values[k] = v
		}
	}
	d.putFlash(w, r, page, f, "")
}

// refused sets on dv what a refused form's flash f says: the error
// summary, focused, linking to the input at fault.
func (dv *dashView) refused(f *flash) {
	dv.form = f
	if f.Alert != "" {
		dv.Errors = []web.FieldError{{Field: inputID(f.Form, f.Field), Message: f.Alert}}
	}
}

// val is the value input name of form had when it was refused, else def.
func (dv *dashView) val(form, name, def string) string {
	if f := dv.form; f != nil && f.Form == form && f.Values != nil {
		if v, ok := f.Values[name]; ok && len(v) > 0 {
			return v[0]
		}
	}
	return def
}

// on reports whether the checkbox, radio button or option value of input
// name of form was chosen when the form was refused; def otherwise.
func (dv *dashView) on(form, name, value string, def bool) bool {
	f := dv.form
	if f == nil || f.Form != form || f.Values == nil {
		return def
	}
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// dropped reports whether the secret input name of form held something
// that was not kept when the form was refused.
func (dv *dashView) dropped(form, name string) bool {
	if f := dv.form; f != nil && f.Form == form {
		for _, n := range f.Dropped {
			if n == name {
				return true
			}
		}
	}
	return false
}

// idempotencyKey is the creation key of a form: "" without a valid token.
func idempotencyKey(form url.Values) string {
	return web.FormIdempotencyKey("dashboard", form)
}
