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
	var in rolesIn
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
	// OutsideDomains is "accept", "mark", "refuse", or "" for the host's
	// default.
	OutsideDomains string `json:"outside_domains"`
	// Deprovision is "deactivate" or "delete": what happens to a user the
	// IdP deactivates.
	Deprovision string `json:"deprovision"`
}

func toPolicyJSON(p *store.ProvisioningPolicy) policyJSON {
	return policyJSON{SignIn: admin.SignInPolicyName(p.SignIn), OutsideDomains: string(p.OutsideDomains), Deprovision: admin.DeprovisionName(p.Deprovision)}
}

// GET /organizations/{id}/provisioning-policy
func (m *API) getPolicy(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	p, err := m.a.GetProvisioningPolicy(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toPolicyJSON(p), nil
}

// PATCH /organizations/{id}/provisioning-policy
// {"sign_in": "verified_domain" | "directory_only", "outside_domains": "accept" | "mark" | "refuse" | "",
// "deprovision": "deactivate" | "delete"};
// absent fields keep their value.
func (m *API) patchPolicy(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in policyIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	fields := map[string]*string{"sign_in": in.SignIn, "outside_domains": in.OutsideDomains, "deprovision": in.Deprovision}
	u, err := admin.ParsePolicyUpdate(func(n string) (string, bool) {
		if v := fields[n]; v != nil {
			return *v, true
		}
		return "", false
	})
	if err != nil {
		return 0, nil, err
	}
	p, err := m.a.UpdateProvisioningPolicy(r.Context(), r.PathValue("id"), u, actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toPolicyJSON(p), nil
}
