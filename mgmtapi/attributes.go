package mgmtapi

import (
	"net/http"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/store"
)

// fieldJSON is a custom attribute the host declared.
type fieldJSON struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"`
	// DefaultSCIMPath is the path the field is read from when the organization
	// maps none: the host's SCIM extension's attribute, or "".
	DefaultSCIMPath string `json:"default_scim_path,omitempty"`
}

// attributesJSON is the answer of the attribute endpoints: the declared
// fields and the organization's mappings.
type attributesJSON struct {
	Fields   []fieldJSON                   `json:"fields"`
	Mappings []admin.AttributeMappingInput `json:"mappings"`
}

// attributesIn is the body of PUT /organizations/{id}/attributes.
type attributesIn struct {
	Mappings []admin.AttributeMappingInput `json:"mappings"`
}

func (m *API) attributesBody(ms []store.AttributeMapping) attributesJSON {
	declared := m.a.CustomFields()
	fs := make([]fieldJSON, 0, len(declared))
	for _, f := range declared {
		fs = append(fs, fieldJSON{Key: f.Key, Name: f.Label(), Description: f.Description, Type: string(f.Type), DefaultSCIMPath: m.a.SCIMPathOf(f.Key, nil)})
	}
	out := make([]admin.AttributeMappingInput, 0, len(ms))
	for _, a := range ms {
		out = append(out, admin.AttributeMappingInput{Field: a.Field, SAMLAttribute: a.SAMLAttribute, OIDCClaim: a.OIDCClaim, SCIMPath: a.SCIMPath})
	}
	return attributesJSON{Fields: fs, Mappings: out}
}

// GET /organizations/{id}/attributes
func (m *API) getAttributes(_ http.ResponseWriter, r *http.Request, _ string) (int, any, error) {
	ms, err := m.a.ListAttributeMappings(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, m.attributesBody(ms), nil
}

// PUT /organizations/{id}/attributes {"mappings": [{"field", "saml_attribute", "oidc_claim", "scim_path"}]}
// replaces the mappings.
func (m *API) putAttributes(_ http.ResponseWriter, r *http.Request, actor string) (int, any, error) {
	var in attributesIn
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	ms, err := m.a.SetAttributeMappings(r.Context(), r.PathValue("id"), in.Mappings, actor)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, m.attributesBody(ms), nil
}
