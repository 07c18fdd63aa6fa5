package portal

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/store"
)

// rolesRoutes registers the roles and access section: the organization's
// group-to-role mappings, a preview of who gets which role, and the
// sign-in policy. Every POST redirects to the page (POST, then GET), so a
// reload repeats nothing; adding a mapping twice keeps one.
func (p *Portal) rolesRoutes() {
	p.page("GET /roles", "", p.rolesPage)
	p.page("POST /roles/mappings", "", p.rolesAdd)
	p.page("GET /roles/mappings/remove", "", p.rolesRemoveConfirm)
	p.page("POST /roles/mappings/remove", "", p.rolesRemove)
	p.page("POST /roles/policy", "", p.rolesPolicy)
	p.page("POST /roles/attributes", "", p.rolesAttribute)
}

// rolesPreviewSize is how many users per directory the preview shows.
const rolesPreviewSize = 25

type roleOption struct{ Key, Name string }

type mappingRow struct {
	Source, SourceLabel, Value, Display, Role, RoleName string
	RemoveURL                                           string // the removal's confirmation page
}

type groupChoice struct{ ID, Name, DirName string }

type previewRow struct {
	User, Roles string
	Default     bool
	Custom      string // the user's custom attribute values, "key: value; ..."
}

// attrRow is one declared custom attribute with the organization's mapping.
type attrRow struct {
	Key, Name, Type, Description string
	SAML, OIDC, SCIM             string
	DefaultSCIM                  string // where SCIM reads it when SCIM is empty
}

type rolesData struct {
	Roles          []roleOption
	DefaultRole    string
	Mappings       []mappingRow
	Query          string
	Groups         []groupChoice
	Searched       bool
	Preview        []previewRow
	DirectoryOnly  bool
	OutsideDomains string
	// DeleteDeactivated: users the IdP deactivates are deleted
	// (store.DeprovisionDelete).
	DeleteDeactivated bool
	Saved             string
	Error             string
	MappingsURL       string
	RemoveURL         string
	PolicyURL         string
	SearchURL         string
	Attributes        []attrRow
	AttributesURL     string
}

func (p *Portal) rolesPage(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	f := p.takeFlash(w, r, s)
	d := rolesData{
		DefaultRole: p.admin.DefaultRole(), Error: f.Alert,
		MappingsURL: p.path("/roles/mappings"), RemoveURL: p.path("/roles/mappings/remove"),
		PolicyURL: p.path("/roles/policy"), SearchURL: p.path("/roles"), AttributesURL: p.path("/roles/attributes"),
	}
	if !f.failed() {
		d.Saved = savedMessage(r.URL.Query().Get("saved"))
	}
	names := map[string]string{}
	for _, ro := range p.admin.Roles() {
		d.Roles = append(d.Roles, roleOption{Key: ro.Key, Name: ro.Name})
		names[ro.Key] = ro.Name
	}
	dirs, err := p.st.ListDirectories(ctx, s.org.ID)
	if err != nil {
		p.serverError(w, r, "listing directories", err)
		return
	}
	settings, err := p.admin.AttributeSettings(ctx, s.org.ID)
	if err != nil {
		p.serverError(w, r, "listing attribute mappings", err)
		return
	}
	for _, a := range settings {
		d.Attributes = append(d.Attributes, attrRow{Key: a.Field.Key, Name: a.Field.Label(), Type: string(a.Field.Type), Description: a.Field.Description,
			SAML: a.Mapping.SAMLAttribute, OIDC: a.Mapping.OIDCClaim, SCIM: a.Mapping.SCIMPath, DefaultSCIM: a.DefaultSCIMPath})
	}
	ms, err := p.admin.ListRoleMappings(ctx, s.org.ID)
	if err != nil {
		p.serverError(w, r, "listing role mappings", err)
		return
	}
	for _, m := range ms {
		row := mappingRow{Source: string(m.Source), Value: m.Value, Display: m.Value, Role: m.Role, RoleName: names[m.Role],
			RemoveURL: p.path("/roles/mappings/remove?" + url.Values{"source": {string(m.Source)}, "value": {m.Value}, "role": {m.Role}}.Encode())}
		if row.RoleName == "" {
			row.RoleName = m.Role
		}
		if m.Source == store.RoleFromDirectoryGroup {
			row.SourceLabel = "Directory group"
			for _, dir := range dirs {
				if g, err := p.st.GetDirectoryGroup(ctx, dir.ID, m.Value); err == nil {
					row.Display = g.DisplayName
					break
				}
			}
		} else {
			row.SourceLabel = "Identity provider group"
		}
		d.Mappings = append(d.Mappings, row)
	}
	if q := r.URL.Query().Get("q"); q != "" && len(q) <= maxSearchLen {
		d.Query, d.Searched = q, true
		for _, dir := range dirs {
			gs, _, err := p.st.ListDirectoryGroups(ctx, dir.ID, store.GroupQuery{SortBy: store.AttrDisplayName, Limit: 10,
				Filter: store.Compare{Attr: store.AttrDisplayName, Op: store.OpCo, Value: q}})
			if err != nil {
				p.serverError(w, r, "searching groups", err)
				return
			}
			for _, g := range gs {
				d.Groups = append(d.Groups, groupChoice{ID: g.ID, Name: g.DisplayName, DirName: dirName(&dir)})
			}
		}
	}
	for _, dir := range dirs {
		us, _, err := p.st.ListDirectoryUsers(ctx, dir.ID, store.UserQuery{SortBy: store.AttrUserName, Limit: rolesPreviewSize})
		if err != nil {
			p.serverError(w, r, "listing users", err)
			return
		}
		for _, u := range us {
			row := previewRow{User: u.UserName, Custom: customText(d.Attributes, u.Custom)}
			switch {
			case !u.Active:
				row.Roles = "none (deactivated)"
			case len(u.Roles) > 0:
				for i, k := range u.Roles {
					if i > 0 {
						row.Roles += ", "
					}
					row.Roles += roleName(names, k)
				}
			case d.DefaultRole != "":
				row.Roles, row.Default = roleName(names, d.DefaultRole), true
			default:
				row.Roles = "none"
			}
			d.Preview = append(d.Preview, row)
		}
	}
	if pol, err := p.admin.GetProvisioningPolicy(ctx, s.org.ID); err == nil {
		d.DirectoryOnly = pol.SignIn == store.SignInDirectoryOnly
		d.OutsideDomains = string(pol.OutsideDomains)
		d.DeleteDeactivated = pol.Deprovision == store.DeprovisionDelete
	}
	v := p.sessionView(r, s, "Roles and access", "/roles")
	v.Errors = f.summary(nil, nil)
	p.render(w, r, http.StatusOK, rolesPage(v, d))
}

func roleName(names map[string]string, key string) string {
	if n := names[key]; n != "" {
		return n
	}
	return key
}

func savedMessage(code string) string {
	switch code {
	case "mapping":
		return "Mapping saved: the roles of the users it concerns are updated."
	case "removed":
		return "Mapping removed: the roles of the users it concerned are updated."
	case "policy":
		return "Sign-in policy saved."
	case "attribute":
		return "Attribute mapping saved: sign-ins use it now, directory users at their next update."
	}
	return ""
}

// setMappings applies change to the organization's mappings and redirects
// to the page, or shows the error in the page.
func (p *Portal) setMappings(w http.ResponseWriter, r *http.Request, s *session, saved string, change func([]admin.RoleMappingInput) []admin.RoleMappingInput) {
	ctx := r.Context()
	cur, err := p.admin.ListRoleMappings(ctx, s.org.ID)
	if err != nil {
		p.serverError(w, r, "listing role mappings", err)
		return
	}
	in := make([]admin.RoleMappingInput, 0, len(cur)+1)
	for _, m := range cur {
		in = append(in, admin.RoleMappingInput{Source: m.Source, Value: m.Value, Role: m.Role})
	}
	if _, err := p.admin.SetRoleMappings(ctx, s.org.ID, change(in), s.actor()); err != nil {
		var ae *admin.AdminError
		if errors.As(err, &ae) && errors.Is(err, admin.ErrInvalidInput) {
			p.redirect(w, r, s, p.path("/roles"), &flash{Alert: ssoSentence(ae.Message)})
			return
		}
		p.serverError(w, r, "setting role mappings", err)
		return
	}
	p.redirect(w, r, s, p.path("/roles?saved="+url.QueryEscape(saved)), nil)
}

func (p *Portal) rolesAdd(w http.ResponseWriter, r *http.Request, s *session) {
	m := admin.RoleMappingInput{Source: store.RoleSource(r.PostFormValue("source")), Value: r.PostFormValue("value"), Role: r.PostFormValue("role")}
	p.setMappings(w, r, s, "mapping", func(in []admin.RoleMappingInput) []admin.RoleMappingInput { return append(in, m) })
}

// rolesRemoveConfirm asks before removing a mapping.
func (p *Portal) rolesRemoveConfirm(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	ms, err := p.admin.ListRoleMappings(r.Context(), s.org.ID)
	if err != nil {
		p.serverError(w, r, "listing role mappings", err)
		return
	}
	for _, m := range ms {
		if string(m.Source) != q.Get("source") || m.Value != q.Get("value") || m.Role != q.Get("role") {
			continue
		}
		group := m.Value
		for _, ro := range p.admin.Roles() {
			if ro.Key == m.Role {
				m.Role = ro.Name
			}
		}
		if m.Source == store.RoleFromDirectoryGroup {
			group = p.groupName(r, s, m.Value)
		}
		p.confirm(w, r, s, "/roles", confirmData{
			Title:   "Remove the mapping of " + group + "?",
			Message: "Its members lose the role at their next sign-in or directory update, unless another mapping gives it to them.",
			Facts:   []ssoKV{{"Group", group}, {"Role", m.Role}},
			Action:  p.path("/roles/mappings/remove"), Button: "Remove the mapping",
			Fields:    []ssoKV{{"source", q.Get("source")}, {"value", q.Get("value")}, {"role", q.Get("role")}},
			CancelURL: p.path("/roles"),
		})
		return
	}
	// Removed already (a second tab, Back after the removal).
	http.Redirect(w, r, p.path("/roles"), http.StatusSeeOther)
}

// groupName is the display name of a directory group of the organization,
// its id when none is found.
func (p *Portal) groupName(r *http.Request, s *session, id string) string {
	dirs, err := p.st.ListDirectories(r.Context(), s.org.ID)
	if err != nil {
		return id
	}
	for _, dir := range dirs {
		if g, err := p.st.GetDirectoryGroup(r.Context(), dir.ID, id); err == nil {
			return g.DisplayName
		}
	}
	return id
}

func (p *Portal) rolesRemove(w http.ResponseWriter, r *http.Request, s *session) {
	m := admin.RoleMappingInput{Source: store.RoleSource(r.PostFormValue("source")), Value: r.PostFormValue("value"), Role: r.PostFormValue("role")}
	p.setMappings(w, r, s, "removed", func(in []admin.RoleMappingInput) []admin.RoleMappingInput {
		out := in[:0]
		for _, x := range in {
			if x != m {
				out = append(out, x)
			}
		}
		return out
	})
}

func (p *Portal) rolesPolicy(w http.ResponseWriter, r *http.Request, s *session) {
	u, err := admin.ParsePolicyUpdate(func(n string) (string, bool) { return r.PostFormValue(n), r.PostForm.Has(n) })
	if err == nil {
		_, err = p.admin.UpdateProvisioningPolicy(r.Context(), s.org.ID, u, s.actor())
	}
	if err != nil {
		var ae *admin.AdminError
		if errors.As(err, &ae) {
			p.redirect(w, r, s, p.path("/roles"), &flash{Alert: ssoSentence(ae.Message)})
			return
		}
		p.serverError(w, r, "setting the sign-in policy", err)
		return
	}
	p.redirect(w, r, s, p.path("/roles?saved=policy"), nil)
}

// customText renders a user's custom values in the order of the declared
// fields.
func customText(fields []attrRow, c store.CustomValues) string {
	out := ""
	for _, f := range fields {
		v, ok := c[f.Key]
		if !ok {
			continue
		}
		if out != "" {
			out += "; "
		}
		out += f.Name + ": " + store.CustomString(v)
	}
	return out
}

// rolesAttribute saves the mapping of one custom attribute.
func (p *Portal) rolesAttribute(w http.ResponseWriter, r *http.Request, s *session) {
	in := admin.AttributeMappingInput{Field: r.PostFormValue("field"), SAMLAttribute: r.PostFormValue("saml_attribute"),
		OIDCClaim: r.PostFormValue("oidc_claim"), SCIMPath: r.PostFormValue("scim_path")}
	if _, err := p.admin.SetAttributeMapping(r.Context(), s.org.ID, in, s.actor()); err != nil {
		var ae *admin.AdminError
		if errors.As(err, &ae) && errors.Is(err, admin.ErrInvalidInput) {
			p.redirect(w, r, s, p.path("/roles")+"#attr-"+url.PathEscape(in.Field), &flash{Alert: ssoSentence(ae.Message)})
			return
		}
		p.serverError(w, r, "setting an attribute mapping", err)
		return
	}
	p.redirect(w, r, s, p.path("/roles?saved=attribute#attr-"+url.PathEscape(in.Field)), nil)
}
