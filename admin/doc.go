// Package admin is the service layer of onboardkit's administration: the
// one place where the operations on a host's customers live, and the Go
// API a host calls from its own code. The IT-admin portal (package
// portal), the operator dashboard (package dashboard) and the management
// JSON API (package mgmtapi) all call it; none of them holds a rule of its
// own.
//
// Its operations: organizations (create with a name and the host's
// external id, update, list with search and pages, delete with all their
// data), portal links (generate, list, revoke), domains (add, verify
// manually, check DNS now, remove), SSO connections (create; configure by
// metadata URL, metadata XML, by hand, or OIDC discovery; attribute
// mapping; security options; test links and their results; enable,
// disable, delete), directories (create SCIM or Google Workspace
// directories, create, rotate and revoke their bearer tokens, enable,
// disable; configure and sync Google ones), branding (host-wide or per
// organization), the audit log of outbox events (from a cursor, or from the
// latest event), and management API keys.
//
//	svc, err := admin.New(admin.Config{
//		Store:       st,
//		PortalURL:   "https://app.example.com/portal",
//		Domains:     domainsService, // optional
//		Connections: sso,            // *ssokit.SSO: its lifecycle rules
//		Directories: scim,           // *scimkit.Server: its lifecycle rules
//	})
//	org, err := svc.CreateOrganization(ctx, admin.OrganizationInput{Name: "MegaCorp", ExternalID: "cus_42"}, "user:"+userID)
//	link, err := svc.GenerateLink(ctx, org.ID, admin.LinkOptions{Embedded: true}, "user:"+userID)
//	// link.URL goes into <iframe src> on every page load; link.ExpiresAt
//
// # Errors
//
// A refused operation returns an *AdminError wrapping ErrInvalidInput,
// ErrNotFound, ErrConflict or ErrNotConfigured (and the cause); its
// Message is written for the operator and never holds a secret or a
// Store's error text. Any other error is a failure of the Store or of a
// dependency: log it and show a generic message.
//
// # Events
//
// It writes organization.created, organization.updated,
// organization.deleted, portal.link.created, portal.link.revoked,
// branding.updated, api_key.created and api_key.revoked in the same Store
// write as the change, with the caller's actor. Domains, connections and
// directories write their own events through the domains package and the
// lifecycle rules. Enabling a connection or a directory goes through
// Config.Connections and Config.Directories (the kits' rules); domain
// operations through Config.Domains. Without them those operations return
// ErrNotConfigured; Capabilities says which are set.
//
// # Security options
//
// A connection's security options (SecurityOptions: signed AuthnRequests,
// encrypted assertions, IdP-initiated login, SHA-1, clock skew) are part of
// every ConnectionInfo, and change only through SetSecurityOptions, whose
// weakening fields are named Insecure...: the change writes
// sso.connection.options_updated and, for a weakening,
// sso.connection.security_weakened, with the actor.
//
// # Retries
//
// Creations of connections, directories, directory tokens and domains take
// an idempotency key: a retry with the same key (a double click, a reload, a
// client's timeout) returns what the first call created (marked Replayed,
// where the result has that field) and creates nothing. The key is hashed with the organization (or
// directory) into the new resource's id, so the Store's uniqueness of ids
// decides on every app instance, and no table of keys is kept. A
// replayed token creation cannot show the token again.
//
// # Secrets
//
// Portal link tokens and management API keys are 256-bit random values,
// returned once and stored only as SHA-256 digests. Logos and favicons are
// PNG, JPEG, GIF, WebP or ICO of at most MaxBrandingImageBytes, typed from
// their bytes; SVG is refused, since it can carry script.
package admin
