package mgmtapi

import (
	"net/http"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/store"
)

// roleJSON is a role the host declared.
type roleJSON struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

func toMappingsJSON(ms []store.RoleMapping) []admin.RoleMappingInput {
	out := make([]admin.RoleMappingInput, 0, len(ms))
	for _, m := range ms {
		out = append(out, admin.RoleMappingInput{Source: m.Source, Value: m.Value, Role: m.Role})
	}
	return out
}

// rolesBody is the answer of the role endpoints: the declared roles, the
// default role and the organization's mappings.
func (m *API) rolesBody(ms []store.RoleMapping) map[string]any {
	declared := m.a.Roles()
	rs := make([]roleJSON, 0, len(declared))
	for _, r := range declared {
		rs = append(rs, roleJSON(r))
	}
	return map[string]any{"roles": rs, "default_role": m.a.DefaultRole(), "mappings": toMappingsJSON(ms)}
}

// GET /organizations/{id}/roles
func (m *API) getRoles(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	ms, err := m.a.ListRoleMappings(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, m.rolesBody(ms), nil
}

// PUT /organizations/{id}/roles {"mappings": [{"source", "value", "role"}]}
// replaces the mappings; the roles of the directory users it affects are
// recomputed before it answers.
func (m *API) putRoles(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in struct {
		Mappings []admin.RoleMappingInput `json:"mappings"`
	}
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	ms, err := m.a.SetRoleMappings(r.Context(), r.PathValue("id"), in.Mappings, actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, m.rolesBody(ms), nil
}

type policyJSON struct {
	SignIn string `json:"sign_in"`
}

// GET /organizations/{id}/provisioning-policy
func (m *API) getPolicy(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	p, err := m.a.GetProvisioningPolicy(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, policyJSON{SignIn: admin.SignInPolicyName(p.SignIn)}, nil
}

// PUT /organizations/{id}/provisioning-policy {"sign_in": "verified_domain" | "directory_only"}
func (m *API) putPolicy(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in policyJSON
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	policy, err := admin.ParseSignInPolicy(in.SignIn)
	if err != nil {
		return 0, nil, err
	}
	p, err := m.a.SetSignInPolicy(r.Context(), r.PathValue("id"), policy, actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, policyJSON{SignIn: admin.SignInPolicyName(p.SignIn)}, nil
}
