package dashboard

import (
	"net/http"
	"net/url"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/store"
)

// rolesSection is the organization page's roles and access section.
type rolesSection struct {
	PolicyAction, AddAction, RemoveAction string
	DirectoryOnly                         bool
	OutsideDomains                        string
	DeleteDeactivated                     bool
	Roles                                 []roleOptionD
	DefaultRole                           string
	Mappings                              []mappingRowD
	AttributeAction                       string
	Attributes                            []attributeRowD
}

// attributeRowD is a declared custom attribute and the organization's
// mapping of it.
type attributeRowD struct{ Key, Name, Type, SAML, OIDC, SCIM, DefaultSCIM string }

type roleOptionD struct{ Key, Name string }

type mappingRowD struct{ Source, SourceLabel, Value, Role string }

// loadRoles fills the roles section of organization id; errors leave it
// empty.
func (d *Dashboard) loadRoles(r *http.Request, id string) rolesSection {
	s := rolesSection{
		PolicyAction: d.orgPath(id, "/policy"), AddAction: d.orgPath(id, "/roles"), RemoveAction: d.orgPath(id, "/roles/remove"),
		DefaultRole: d.a.DefaultRole(), AttributeAction: d.orgPath(id, "/attributes"),
	}
	settings, _ := d.a.AttributeSettings(r.Context(), id)
	for _, a := range settings {
		s.Attributes = append(s.Attributes, attributeRowD{Key: a.Field.Key, Name: a.Field.Label(), Type: string(a.Field.Type),
			SAML: a.Mapping.SAMLAttribute, OIDC: a.Mapping.OIDCClaim, SCIM: a.Mapping.SCIMPath, DefaultSCIM: a.DefaultSCIMPath})
	}
	for _, ro := range d.a.Roles() {
		s.Roles = append(s.Roles, roleOptionD{Key: ro.Key, Name: ro.Name})
	}
	if p, err := d.a.GetProvisioningPolicy(r.Context(), id); err == nil {
		s.DirectoryOnly, s.OutsideDomains = p.SignIn == store.SignInDirectoryOnly, string(p.OutsideDomains)
		s.DeleteDeactivated = p.Deprovision == store.DeprovisionDelete
	}
	if ms, err := d.a.ListRoleMappings(r.Context(), id); err == nil {
		for _, m := range ms {
			label := "IdP group"
			if m.Source == store.RoleFromDirectoryGroup {
				label = "Directory group"
			}
			s.Mappings = append(s.Mappings, mappingRowD{Source: string(m.Source), SourceLabel: label, Value: m.Value, Role: m.Role})
		}
	}
	return s
}

func (d *Dashboard) updatePolicy(w http.ResponseWriter, r *http.Request, form url.Values) {
	u, err := admin.ParsePolicyUpdate(func(n string) (string, bool) { return form.Get(n), form.Has(n) })
	if err == nil {
		_, err = d.a.UpdateProvisioningPolicy(r.Context(), r.PathValue("id"), u, d.actor(r))
	}
	d.done(w, r, form, err, "policy-updated")
}

// changeMappings applies change to the organization's mappings.
func (d *Dashboard) changeMappings(w http.ResponseWriter, r *http.Request, form url.Values, done string, change func([]admin.RoleMappingInput) []admin.RoleMappingInput) {
	id := r.PathValue("id")
	cur, err := d.a.ListRoleMappings(r.Context(), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	in := make([]admin.RoleMappingInput, 0, len(cur)+1)
	for _, m := range cur {
		in = append(in, admin.RoleMappingInput{Source: m.Source, Value: m.Value, Role: m.Role})
	}
	_, err = d.a.SetRoleMappings(r.Context(), id, change(in), d.actor(r))
	d.done(w, r, form, err, done)
}

func mappingOf(form url.Values) admin.RoleMappingInput {
	return admin.RoleMappingInput{Source: store.RoleSource(form.Get("source")), Value: form.Get("value"), Role: form.Get("role")}
}

func (d *Dashboard) addMapping(w http.ResponseWriter, r *http.Request, form url.Values) {
	m := mappingOf(form)
	d.changeMappings(w, r, form, "mapping-saved", func(in []admin.RoleMappingInput) []admin.RoleMappingInput { return append(in, m) })
}

func (d *Dashboard) removeMapping(w http.ResponseWriter, r *http.Request, form url.Values) {
	m := mappingOf(form)
	d.changeMappings(w, r, form, "mapping-removed", func(in []admin.RoleMappingInput) []admin.RoleMappingInput {
		out := in[:0]
		for _, x := range in {
			if x != m {
				out = append(out, x)
			}
		}
		return out
	})
}

func (d *Dashboard) setAttribute(w http.ResponseWriter, r *http.Request, form url.Values) {
	in := admin.AttributeMappingInput{Field: form.Get("field"), SAMLAttribute: form.Get("saml_attribute"),
		OIDCClaim: form.Get("oidc_claim"), SCIMPath: form.Get("scim_path")}
	_, err := d.a.SetAttributeMapping(r.Context(), r.PathValue("id"), in, d.actor(r))
	d.done(w, r, form, err, "attribute-saved")
}
