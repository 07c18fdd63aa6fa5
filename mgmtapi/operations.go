package mgmtapi

import (
	"net/http"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/events"
	"github.com/onboardkit/onboardkit/store"
)

// endpoint serves one operation: it returns the status and the value to
// encode, or an error (an *admin.AdminError is answered with its message).
type endpoint func(w http.ResponseWriter, r *http.Request, actor string) (int, any, error)

// operation is one endpoint of the API with what the OpenAPI document
// says of it. The routes and the document are both built from the
// operations table, so the document cannot miss an endpoint.
type operation struct {
	Method, Path string // Path as in the OpenAPI document and the ServeMux pattern
	ID           string // operationId
	Tag          string
	Summary      string
	Query        []param
	// Body is a value of the request body's type; nil for none.
	Body any
	// Status is the success status; Response a value of its body's type
	// (nil for 204).
	Status   int
	Response any
	// Idempotent operations take an Idempotency-Key header.
	Idempotent bool
	fn         endpoint
}

// param is a query parameter.
type param struct {
	Name, Type, Description string
}

var (
	pageParams = []param{{"limit", "integer", "page size"}}
	eventQuery = []param{
		{events.ParamAfter, "string", `a cursor (events after it), or "latest": no events, and the cursor to poll from`},
		{events.ParamLimit, "integer", "page size, at most 200 (default 100)"},
		{events.ParamTypes, "string", "event types or prefixes, comma-separated or repeated (portal.link keeps portal.link.*)"},
		{events.ParamOrgID, "string", "one organization's events"},
	}
)

// Bodies of list answers.
type (
	orgListJSON struct {
		Organizations []orgJSON `json:"organizations"`
		Next          string    `json:"next,omitempty"`
	}
	linkListJSON struct {
		PortalLinks []linkJSON `json:"portal_links"`
	}
	domainListJSON struct {
		Domains []domainJSON `json:"domains"`
	}
	connectionListJSON struct {
		Connections []connectionJSON `json:"connections"`
	}
	directoryListJSON struct {
		Directories []directoryJSON `json:"directories"`
	}
	tokenListJSON struct {
		Tokens []tokenJSON `json:"tokens"`
	}
	overviewJSON struct {
		Organization orgJSON          `json:"organization"`
		Connections  []connectionJSON `json:"connections"`
		Directories  []directoryJSON  `json:"directories"`
		Domains      []domainJSON     `json:"domains"`
		Links        []linkJSON       `json:"portal_links"`
		Branding     *brandingJSON    `json:"branding"`
	}
	endedJSON struct {
		Ended int `json:"ended"`
	}
	checkJSON struct {
		Domain   domainJSON      `json:"domain"`
		Verified bool            `json:"verified"`
		Check    *checkErrorJSON `json:"check,omitempty"`
	}
	checkErrorJSON struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	}
	rolesJSON struct {
		Roles       []roleJSON               `json:"roles"`
		DefaultRole string                   `json:"default_role"`
		Mappings    []admin.RoleMappingInput `json:"mappings"`
	}
)

// operations lists every endpoint, in the order of the documentation.
func (m *API) operations() []operation {
	return []operation{
		{Method: "GET", Path: "/organizations", ID: "listOrganizations", Tag: "Organizations", Summary: "List organizations, by search or external id",
			Query: append([]param{{"search", "string", "name, id or external id contains"}, {"after", "string", "the next of the previous page"},
				{"external_id", "string", "the exact external id (then no paging)"}}, pageParams...),
			Status: 200, Response: orgListJSON{}, fn: m.listOrgs},
		{Method: "POST", Path: "/organizations", ID: "createOrganization", Tag: "Organizations", Summary: "Create an organization",
			Body: orgIn{}, Status: 201, Response: orgJSON{}, fn: m.createOrg},
		{Method: "GET", Path: "/organizations/{id}", ID: "getOrganization", Tag: "Organizations", Summary: "An organization with everything it has",
			Status: 200, Response: overviewJSON{}, fn: m.getOrg},
		{Method: "PATCH", Path: "/organizations/{id}", ID: "updateOrganization", Tag: "Organizations", Summary: "Rename an organization or change its external id",
			Body: orgUpdateIn{}, Status: 200, Response: orgJSON{}, fn: m.updateOrg},
		{Method: "DELETE", Path: "/organizations/{id}", ID: "deleteOrganization", Tag: "Organizations", Summary: "Delete an organization and all its data",
			Status: 204, fn: m.deleteOrg},

		{Method: "GET", Path: "/organizations/{id}/portal-links", ID: "listPortalLinks", Tag: "Portal links", Summary: "List portal links",
			Status: 200, Response: linkListJSON{}, fn: m.listLinks},
		{Method: "POST", Path: "/organizations/{id}/portal-links", ID: "createPortalLink", Tag: "Portal links", Summary: "Generate a portal link (its location is shown once)",
			Body: linkIn{}, Status: 201, Response: admin.Link{}, fn: m.generateLink},
		{Method: "POST", Path: "/portal-links/{id}/revoke", ID: "revokePortalLink", Tag: "Portal links", Summary: "Revoke a portal link",
			Status: 200, Response: linkJSON{}, fn: m.revokeLink},
		{Method: "POST", Path: "/organizations/{id}/sessions/end", ID: "endSessions", Tag: "Sessions", Summary: "Sign a user, or everyone, out of the application",
			Body: endSessionsIn{}, Status: 200, Response: endedJSON{}, fn: m.endSessions},

		{Method: "GET", Path: "/organizations/{id}/domains", ID: "listDomains", Tag: "Domains", Summary: "List domains",
			Status: 200, Response: domainListJSON{}, fn: m.listDomains},
		{Method: "POST", Path: "/organizations/{id}/domains", ID: "addDomain", Tag: "Domains", Summary: "Add a domain",
			Body: domainIn{}, Status: 201, Response: domainJSON{}, fn: m.addDomain},
		{Method: "POST", Path: "/domains/{id}/verify", ID: "verifyDomain", Tag: "Domains", Summary: "Verify a domain by hand",
			Status: 200, Response: domainJSON{}, fn: m.verifyDomain},
		{Method: "POST", Path: "/domains/{id}/check", ID: "checkDomain", Tag: "Domains", Summary: "Check a domain's TXT record now",
			Status: 200, Response: checkJSON{}, fn: m.checkDomain},
		{Method: "DELETE", Path: "/domains/{id}", ID: "removeDomain", Tag: "Domains", Summary: "Remove a domain",
			Status: 204, fn: m.removeDomain},

		{Method: "GET", Path: "/organizations/{id}/connections", ID: "listConnections", Tag: "SSO connections", Summary: "List SSO connections with their security options",
			Status: 200, Response: connectionListJSON{}, fn: m.listConnections},
		{Method: "POST", Path: "/organizations/{id}/connections", ID: "createConnection", Tag: "SSO connections", Summary: "Create a draft SSO connection",
			Body: connectionIn{}, Status: 201, Response: connectionJSON{}, Idempotent: true, fn: m.createConnection},
		{Method: "GET", Path: "/connections/{id}", ID: "getConnection", Tag: "SSO connections", Summary: "An SSO connection",
			Status: 200, Response: connectionJSON{}, fn: m.getConnection},
		{Method: "DELETE", Path: "/connections/{id}", ID: "deleteConnection", Tag: "SSO connections", Summary: "Delete a connection that is not active",
			Status: 204, fn: m.deleteConnection},
		{Method: "POST", Path: "/connections/{id}/saml/metadata-url", ID: "configureSAMLMetadataURL", Tag: "SSO connections", Summary: "Configure a SAML IdP by its metadata URL",
			Body: metadataURLIn{}, Status: 200, Response: connectionJSON{}, fn: m.configureMetadataURL},
		{Method: "POST", Path: "/connections/{id}/saml/metadata-xml", ID: "configureSAMLMetadataXML", Tag: "SSO connections", Summary: "Configure a SAML IdP by its metadata document",
			Body: metadataXMLIn{}, Status: 200, Response: connectionJSON{}, fn: m.configureMetadataXML},
		{Method: "POST", Path: "/connections/{id}/saml/manual", ID: "configureSAMLManual", Tag: "SSO connections", Summary: "Configure a SAML IdP field by field",
			Body: samlManualIn{}, Status: 200, Response: connectionJSON{}, fn: m.configureManual},
		{Method: "POST", Path: "/connections/{id}/oidc", ID: "configureOIDC", Tag: "SSO connections", Summary: "Configure an OpenID Connect IdP by discovery",
			Body: oidcIn{}, Status: 200, Response: connectionJSON{}, fn: m.configureOIDC},
		{Method: "PUT", Path: "/connections/{id}/attribute-mapping", ID: "setAttributeMapping", Tag: "SSO connections", Summary: "Replace the attribute mapping",
			Body: mappingIn{}, Status: 200, Response: connectionJSON{}, fn: m.setMapping},
		{Method: "PUT", Path: "/connections/{id}/security-options", ID: "setSecurityOptions", Tag: "SSO connections",
			Summary: "Replace the security options (insecure_... options weaken security and are recorded as sso.connection.security_weakened)",
			Body:    securityIn{}, Status: 200, Response: connectionJSON{}, fn: m.setSecurity},
		{Method: "POST", Path: "/connections/{id}/test-links", ID: "createTestLink", Tag: "SSO connections", Summary: "Create a single-use link that tests the connection",
			Body: testLinkIn{}, Status: 201, Response: testLinkJSON{}, fn: m.createTestLink},
		{Method: "GET", Path: "/connections/{id}/test-result", ID: "getTestResult", Tag: "SSO connections", Summary: "The outcome of a test started after a cursor",
			Query: []param{{"after", "integer", "the test link's after"}}, Status: 200, Response: testResultJSON{}, fn: m.testResult},
		{Method: "POST", Path: "/connections/{id}/enable", ID: "enableConnection", Tag: "SSO connections", Summary: "Activate a tested connection",
			Status: 200, Response: connectionJSON{}, fn: switchEndpoint(m.a.EnableConnection, m.connJSON)},
		{Method: "POST", Path: "/connections/{id}/disable", ID: "disableConnection", Tag: "SSO connections", Summary: "Deactivate a connection",
			Status: 200, Response: connectionJSON{}, fn: switchEndpoint(m.a.DisableConnection, m.connJSON)},

		{Method: "GET", Path: "/organizations/{id}/directories", ID: "listDirectories", Tag: "Directories", Summary: "List directories with their counts",
			Status: 200, Response: directoryListJSON{}, fn: m.listDirectories},
		{Method: "POST", Path: "/organizations/{id}/directories", ID: "createDirectory", Tag: "Directories", Summary: "Create a directory (SCIM, with its first token shown once; or Google Workspace)",
			Body: directoryIn{}, Status: 201, Response: newDirectoryJSON{}, Idempotent: true, fn: m.createDirectory},
		{Method: "GET", Path: "/directories/{id}", ID: "getDirectory", Tag: "Directories", Summary: "A directory with its endpoint and tokens",
			Status: 200, Response: directoryJSON{}, fn: m.getDirectory},
		{Method: "POST", Path: "/directories/{id}/enable", ID: "enableDirectory", Tag: "Directories", Summary: "Activate a directory",
			Status: 200, Response: directoryJSON{}, fn: switchEndpoint(m.a.EnableDirectory, directoryOnly)},
		{Method: "POST", Path: "/directories/{id}/disable", ID: "disableDirectory", Tag: "Directories", Summary: "Deactivate a directory",
			Status: 200, Response: directoryJSON{}, fn: switchEndpoint(m.a.DisableDirectory, directoryOnly)},
		{Method: "GET", Path: "/directories/{id}/tokens", ID: "listDirectoryTokens", Tag: "Directories", Summary: "List a directory's bearer tokens",
			Status: 200, Response: tokenListJSON{}, fn: m.listTokens},
		{Method: "POST", Path: "/directories/{id}/tokens", ID: "createDirectoryToken", Tag: "Directories", Summary: "Create (rotate to) a new bearer token, shown once; two may be active",
			Body: tokenIn{}, Status: 201, Response: newTokenJSON{}, Idempotent: true, fn: m.createToken},
		{Method: "POST", Path: "/directories/{id}/tokens/{token}/revoke", ID: "revokeDirectoryToken", Tag: "Directories", Summary: "Revoke a bearer token",
			Status: 204, fn: m.revokeToken},

		{Method: "GET", Path: "/directories/{id}/google", ID: "getGoogleDirectory", Tag: "Google Workspace", Summary: "A Google directory's settings and last sync",
			Status: 200, Response: googleStatusJSON{}, fn: m.googleStatus},
		{Method: "PUT", Path: "/directories/{id}/google/settings", ID: "configureGoogleDirectory", Tag: "Google Workspace", Summary: "Store a Google directory's settings",
			Body: googleSettingsIn{}, Status: 200, Response: googleStatusJSON{}, fn: m.googleConfigure},
		{Method: "PUT", Path: "/directories/{id}/google/key", ID: "putGoogleKey", Tag: "Google Workspace", Summary: "Store the service-account key (sealed; never returned)",
			Body: googleKeyIn{}, Status: 200, Response: googleStatusJSON{}, fn: m.googlePutKey},
		{Method: "POST", Path: "/directories/{id}/google/test", ID: "testGoogleDirectory", Tag: "Google Workspace", Summary: "List one user with the key and settings",
			Status: 200, Response: googleTestJSON{}, fn: m.googleTest},
		{Method: "POST", Path: "/directories/{id}/google/sync", ID: "syncGoogleDirectory", Tag: "Google Workspace", Summary: "Ask for a sync now",
			Status: 202, Response: googleStatusJSON{}, fn: m.googleSync},

		{Method: "GET", Path: "/branding", ID: "getBranding", Tag: "Branding", Summary: "The host-wide branding",
			Status: 200, Response: brandingJSON{}, fn: m.getBranding},
		{Method: "PATCH", Path: "/branding", ID: "updateBranding", Tag: "Branding", Summary: "Change the host-wide branding",
			Body: brandingIn{}, Status: 200, Response: brandingJSON{}, fn: m.updateBranding},
		{Method: "GET", Path: "/organizations/{id}/branding", ID: "getOrganizationBranding", Tag: "Branding", Summary: "An organization's own branding",
			Status: 200, Response: brandingJSON{}, fn: m.getBranding},
		{Method: "PATCH", Path: "/organizations/{id}/branding", ID: "updateOrganizationBranding", Tag: "Branding", Summary: "Change an organization's branding",
			Body: brandingIn{}, Status: 200, Response: brandingJSON{}, fn: m.updateBranding},

		{Method: "GET", Path: "/organizations/{id}/roles", ID: "getRoles", Tag: "Roles", Summary: "Declared roles and the organization's mappings",
			Status: 200, Response: rolesJSON{}, fn: m.getRoles},
		{Method: "PUT", Path: "/organizations/{id}/roles", ID: "setRoleMappings", Tag: "Roles", Summary: "Replace the role mappings",
			Body: rolesIn{}, Status: 200, Response: rolesJSON{}, fn: m.putRoles},
		{Method: "GET", Path: "/organizations/{id}/provisioning-policy", ID: "getProvisioningPolicy", Tag: "Roles", Summary: "The provisioning policy",
			Status: 200, Response: policyJSON{}, fn: m.getPolicy},
		{Method: "PATCH", Path: "/organizations/{id}/provisioning-policy", ID: "updateProvisioningPolicy", Tag: "Roles", Summary: "Change the provisioning policy",
			Body: policyIn{}, Status: 200, Response: policyJSON{}, fn: m.patchPolicy},
		{Method: "GET", Path: "/organizations/{id}/attributes", ID: "getAttributeMappings", Tag: "Roles", Summary: "Declared custom attributes and the organization's mappings",
			Status: 200, Response: attributesJSON{}, fn: m.getAttributes},
		{Method: "PUT", Path: "/organizations/{id}/attributes", ID: "setAttributeMappings", Tag: "Roles", Summary: "Replace the custom attribute mappings",
			Body: attributesIn{}, Status: 200, Response: attributesJSON{}, fn: m.putAttributes},

		{Method: "GET", Path: "/events", ID: "listEvents", Tag: "Events", Summary: "The audit log and event feed, in cursor order (the pull API's parameters)",
			Query: eventQuery, Status: 200, Response: events.Page{}, fn: m.listEvents},
	}
}

// enumValues are the values of the string types the document lists.
var enumValues = map[any][]string{
	store.Protocol(""):        {string(store.ProtocolSAML), string(store.ProtocolOIDC)},
	store.ConnectionState(""): {string(store.ConnectionDraft), string(store.ConnectionTested), string(store.ConnectionActive), string(store.ConnectionInactive)},
	store.DirectoryState(""):  {string(store.DirectoryActive), string(store.DirectoryInactive)},
	store.Feature(""):         {string(store.FeatureSSO), string(store.FeatureDirSync), string(store.FeatureDomains)},
	store.DomainMethod(""):    {string(store.DomainManual), string(store.DomainDNSTXT)},
	store.RoleSource(""):      {string(store.RoleFromDirectoryGroup), string(store.RoleFromIdPGroup)},
}
