// Package portal is the self-serve admin portal that a SaaS application
// gives its enterprise customer's IT admin: a page, served by the
// application itself, where the admin sees and sets up the organization's
// single sign-on, directory sync and domains. The application shares it as
// a link or embeds it in an iframe.
//
// # Mounting
//
// A Portal is an http.Handler over the admin service (package admin),
// which issues its links and carries out every change its pages make.
// Mount it under the path of the service's PortalURL:
//
//	svc, err := admin.New(admin.Config{
//		Store:       st,
//		PortalURL:   "https://app.example.com/portal",
//		Domains:     domainsService, // optional
//		Connections: sso,            // the SSO kit's lifecycle rules
//		Directories: scim,           // the SCIM kit's
//		Branding:    admin.Branding{ProductName: "Example", AccentColor: "#0f766e"},
//	})
//	if err != nil {
//		return err
//	}
//	p, err := portal.New(portal.Config{
//		Store:          st,
//		Admin:          svc,
//		SSO:            sso,
//		SCIM:           scim,
//		FrameAncestors: []string{"https://app.example.com"}, // to embed it
//	})
//	if err != nil {
//		return err
//	}
//	mux.Handle("/portal/", http.StripPrefix("/portal", p))
//
// Routes, relative to the mount point. Without a session: GET /l/{token}
// (also /l?token=) the link landing page, POST /l the redemption, GET
// /link-refused/{reason} the page of a refused redemption, GET
// /sso/test/{ticket} the test-connection popup (see below), and the assets:
// GET /assets/{file} (portal.css, portal.js, sso.css, sso.js),
// /brand/style.css, /brand/logo and /brand/favicon. Under a session: GET /
// the overview, POST /logout, and the sections' routes listed under each
// section below. Anything else is a 404 page.
//
// # Configuration
//
// Config.Store and Config.Admin are required; every other field is
// optional and documented with its default. The sections of the portal do
// as much as the fields, and the admin service's, allow:
//
//   - SSO (*ssokit.SSO, same Store): the single sign-on section creates,
//     configures, tests, activates and deletes connections. Without it the
//     section only lists the organization's connections.
//   - SCIM (*scimkit.Server, same Store): the directory-sync section
//     creates directories and shows their endpoint, creates, rotates and
//     revokes bearer tokens, and activates and deactivates them. Without it
//     the section only lists directories with their users and groups.
//   - admin.Config.Domains (*domains.Service): adding, verifying and
//     removing domains, with the TXT record to publish. Without it domains
//     are only listed.
//   - admin.Config.Connections and Directories: the lifecycle rules the
//     pages switch connections and directories on and off with (pass the
//     SSO and SCIM kits). Without them the switches are refused.
//   - SimulatedSync: a "run a simulated sync" button on a directory's page
//     that provisions generated users and groups through the directory's
//     own SCIM endpoint with a short-lived token (revoked afterwards). The
//     portal never imports a simulator: the host passes
//     simsync.New(simsync.Config{}) from package portal/simsync, which
//     runs scimkit/scimsim. For development and demos only; it needs SCIM.
//
// # Links
//
// The admin service's GenerateLink issues a link for one organization and
// a set of features (sso, dir_sync, domains; all three by default). Its
// JSON form is the usual {"id", "location", "expireTime"}. There are two
// kinds:
//
//   - Shareable (the default): sent by email or chat, reusable for 7 days
//     (admin.Config.ShareableLinkTTL), revocable with the service's
//     RevokeLink. Each use starts a session of 6 hours
//     (Config.ShareableSessionTTL); the admin whose session ends opens the
//     link again.
//   - Embedded (admin.LinkOptions.Embedded): generated on every render of the host
//     page that holds the iframe, single-use, valid 1 minute
//     (admin.Config.EmbeddedLinkTTL), starting a session of 6 hours
//     (Config.EmbeddedSessionTTL).
//
// # Flow
//
//  1. GET (or HEAD) on the link shows a page with a Continue button. It
//     never consumes the link: mail scanners and chat previews that fetch
//     links change nothing. An unusable link (unknown, expired, used,
//     revoked) gets a friendly page with status 404 or 410.
//  2. The button POSTs the token in the form body to /l. For an embedded
//     link the page's script submits the form by itself, so the iframe goes
//     straight into the portal, still through a POST.
//  3. The POST consumes the link in one guarded Store write
//     (store.RedeemPortalLink: of concurrent redemptions of an embedded link
//     exactly one wins), creates a session with a fresh random id, sets the
//     session cookie and redirects with 303 to the overview, a URL without
//     the token. A refused redemption (unknown, expired, used or revoked
//     link, too many attempts) redirects with 303 too, to GET
//     /link-refused/{reason}, a page that names the reason only: reloading
//     it posts nothing, consumes nothing and counts no attempt.
//  4. Every page under the session reads the organization from the session
//     only (URLs never carry an organization id), checks that the session
//     has the page's feature (403 otherwise), and that the link it came from
//     has not been revoked since.
//
// # Security model
//
//   - Link tokens and session ids are 256-bit random secrets, shown once and
//     stored only as SHA-256 digests; the portal never logs them. The host's
//     own access log sees the landing URL, which holds the token: keep
//     /l/ paths out of access logs, or log paths without their last
//     segment.
//   - The session cookie is HttpOnly, Secure when BaseURL is https, with
//     Path set to the mount path and Max-Age to the session's absolute
//     lifetime. It is SameSite=Lax, except for sessions from embedded links
//     when a FrameAncestors origin is cross-site to BaseURL: the iframe is
//     then a third-party context, and the cookie is SameSite=None; Secure;
//     Partitioned, so the browser keeps it only under the embedding site.
//   - State-changing requests must come from the portal's origin
//     (Sec-Fetch-Site, else Origin) and, under a session, carry the
//     session's CSRF token (form field "csrf" or header X-CSRF-Token),
//     compared in constant time. The link redemption, which precedes any
//     session, is protected by the origin check. (The referrer policy is
//     strict-origin rather than no-referrer so that browsers keep the
//     Origin header on the portal's own form posts, also where they send
//     no Sec-Fetch-Site: on plain http to a host other than localhost,
//     or when they are old.)
//   - Every response carries Cache-Control: no-store, Referrer-Policy:
//     strict-origin (a Referer holds at most the portal's origin, never a
//     path, so the token of a landing URL never leaves in one),
//     X-Content-Type-Options: nosniff and
//     Content-Security-Policy: default-src 'self'; script-src
//     <BaseURL>/assets/; style-src 'self'; img-src 'self' data:;
//     frame-ancestors <the FrameAncestors origins, or 'none'>; form-action
//     'self'; base-uri 'none'; object-src 'none'. The script source is the
//     portal's own assets path, not 'self': the portal shares the host's
//     origin, and 'self' would let any script the host serves run in the
//     portal's pages. Pages have no inline script or style; the accent
//     colour comes from a served stylesheet (/brand/style.css). Names that
//     come from customers or identity providers are rendered escaped.
//   - Uploaded logos and favicons are served only with an image type from an
//     allowlist, under a sandboxing CSP.
//   - Revoking a shareable link ends the sessions started from it at their
//     next request.
//   - Link openings and redemptions are limited per client address
//     (Config.LinkAttempts, 60 a minute by default), counted in the Store
//     so that every app instance shares the count; over it the visitor gets
//     a 429 page with Retry-After.
//
// # Single sign-on setup
//
// With Config.SSO set to the host's *ssokit.SSO (the same Store), the
// single sign-on section lets the IT admin set up connections without the
// host writing any glue:
//
//	sso, err := ssokit.New(ssokit.Config{Store: st, BaseURL: "https://app.example.com/sso", OnLogin: onLogin})
//	p, err := portal.New(portal.Config{Store: st, Admin: svc, SSO: sso})
//
// The setup is guided, one step per GET page, so that reload, back and
// forward work and an unfinished setup is found again where it was left
// (what was saved lives in the connection itself; every POST redirects to
// the next step, or shows the step again with its errors). The admin
// picks the identity provider (Okta, Microsoft Entra ID, Google Workspace,
// OneLogin, JumpCloud, Ping Identity, AD FS, or another SAML or OpenID
// Connect provider, which they name), each shown with a sign the portal
// serves itself (GET /assets/provider-{name}.svg), then the protocol; the
// connection is created as a draft (a SAML one with its own SP key pair).
// The steps: the provider's step-by-step guide with the values to paste
// (ACS URL, SP entity ID, SP metadata URL and the attribute names ssokit
// reads by default; or the OIDC redirect URI), each with a copy button;
// the IdP side, one input method at a time: metadata URL, metadata file
// (read into the form by the page's script, at most 60 KB; larger
// documents go by URL), or entity ID, SSO URL and certificate by hand; or
// the OIDC issuer (checked by discovery), client ID and secret; the
// attribute mapping (optional); the test; the activation. Refused input
// is shown on its field with ssokit's precise reason (*ssokit.ConfigError)
// and nothing is saved. Changing the IdP side sets the connection back to
// draft (see ssokit.SSO.ConfigureOIDC).
//
// The connection's page (GET /sso/{id}) shows its settings, the IdP
// signing certificates it trusts with their expiry (the list shows the
// expiry too), and the renewal: add the new certificate (both are then
// trusted), switch the IdP to it, remove the old one after a confirmation
// page (GET /sso/{id}/certificates/remove?thumbprint=) (ssokit.SSO.AddCertificate
// and RemoveCertificate, through the service, each with its event).
//
// Test connection works on several app instances and in an iframe, with no
// state kept in the process. The page POSTs (with its CSRF token) for a
// test link (admin's CreateTestLink, the same the dashboard and the
// management API hand out): a single-use ticket, a 256-bit secret valid 5
// minutes and stored in the Store as a test login request (its id is
// derived from the ticket's SHA-256), and shows a link that opens GET /sso/test/{ticket} in a popup
// (the page's script opens it on the click itself, so popup blockers allow
// it; without script the link opens a new tab; the POST redirects to the
// page holding that link, GET /sso/{id}/test/run). That route needs no portal session (a
// popup opened from an embedded portal is a top-level window without the
// iframe's partitioned cookie): it redeems the ticket once (admin's
// RedeemTestLink) and calls ssokit's StartTest. The login ends at ssokit's ACS or callback, which
// records an sso.connection.tested or sso.connection.test_failed event
// and shows its OnTestResult page in the popup. Meanwhile the portal page
// polls GET /sso/{id}/test/status and then shows GET /sso/{id}/test/result:
// the claims received, or the diagnosis (the *ssokit.LoginError's reason,
// detail and fields) with how to fix it, read from the event, under the
// portal's session and branding. Without script, the page's "Show the
// result" link does the same. A host that embeds the portal in a
// sandboxed iframe must allow popups (allow-popups).
//
// Activate is refused until a test has passed; activating and
// deactivating post ORGANIZATION_SSO_ENABLED and ORGANIZATION_SSO_DISABLED
// to the parent when embedded. Routes (feature sso): GET /sso, /sso/new,
// /sso/new/{provider}, POST /sso/connections, GET /sso/{id},
// /sso/{id}/setup/{guide,idp,mapping,test,activate}, POST
// /sso/{id}/saml/metadata-url, /saml/metadata-xml, /saml/manual, /oidc,
// /mapping, /certificates, /certificates/remove, /test, /activate,
// /deactivate, /delete, and GET /sso/{id}/test/run, /test/status and
// /test/result.
//
// # What went wrong
//
// GET /problems lists, for the session's organization, the sign-ins
// (sso.login.failed) and SCIM requests (scimkit's
// directory.request_refused) refused in the last 7 days, newest first,
// each with its reason and the fix. The events carry no secret; SCIM
// refusals are recorded only for directories that exist, coalesced per
// directory and reason (see scimkit.EventRequestRefused).
//
// # Directory sync
//
// The directory-sync section (feature dir_sync) lists the organization's
// directories. With Config.SCIM the admin creates one for a provider (Okta,
// Entra ID, Google Workspace, OneLogin, JumpCloud, Ping Identity or any
// SCIM 2.0 client) and its page shows the provider's guide with the SCIM
// endpoint URL and a bearer token shown once; tokens are rotated (at most
// two active, for a switch without downtime) and revoked there. Activating
// and deactivating post ORGANIZATION_DIRECTORY_ENABLED and
// ORGANIZATION_DIRECTORY_DISABLED when embedded. The page also shows the
// recent provisioning activity read from the directory's events, and its
// users and groups. Routes: GET /directory-sync, POST /directory-sync, GET
// /directory-sync/{dir}, POST /directory-sync/{dir}/tokens,
// /tokens/{token}/revoke, /activate, /deactivate and /simulate
// (Config.SimulatedSync), GET /directory-sync/{dir}/users, /groups and
// /groups/{group}.
//
// # Domains
//
// The domains section (feature domains) lists the organization's domains
// and their state. With admin.Config.Domains the admin adds a domain, is shown
// the DNS TXT record to publish, asks for a check, and removes a domain;
// a verified domain routes its users' logins to the organization's
// connections. Routes: GET /domains, POST /domains, POST
// /domains/{domain}/verify and /domains/{domain}/remove.
//
// # Embedding
//
// Generate an embedded link on every render of the host page and put its
// URL in the iframe; list the host page's origin in Config.FrameAncestors:
//
//	link, err := svc.GenerateLink(ctx, orgID, admin.LinkOptions{Embedded: true}, "user:"+userID)
//	// <iframe src="{{link.URL}}" width="100%" height="600" frameborder="0"
//	//         allow="clipboard-write"></iframe>
//
// The pages are usable from 360 px wide and in a 600 px high frame.
//
// # Branding
//
// Pages show the product name, logo, favicon and accent colour. Each field
// comes from the organization's store.Branding, else the host-wide one
// (scope ""), else admin.Config.Branding. Pages without a session (the link
// landing page, errors) use the host-wide branding. Text on the accent
// colour is white or black, whichever is readable; links use the accent
// darkened to a 4.5:1 contrast on the page background when needed.
//
// # UI events
//
// When a portal page runs in an iframe, its script posts messages to the
// parent window with postMessage, with targetOrigin set to each
// FrameAncestors origin (only the parent's, when the browser tells it), never
// "*". Check event.origin against the portal's origin in the listener:
//
//	window.addEventListener("message", (event) => {
//		if (event.origin !== "https://app.example.com") return;
//		const { type, data } = event.data;
//	});
//
// Every message has the shape {type: string, data: object}; data carries
// organizationId (the organization's id) whenever the page knows the
// session. Types and data:
//
//   - PORTAL_LOAD_SUCCESS: a portal page loaded under a session.
//     data: {organizationId, features: ["dir_sync", "domains", "sso"],
//     expiresAt: RFC 3339 session expiry}.
//   - PORTAL_LOAD_FAILURE: the frame shows an error instead of the portal.
//     data: {reason}, one of link_invalid, link_expired, link_used,
//     link_revoked, no_session, server_error.
//   - PORTAL_SESSION_WARNING: Config.SessionWarning (5 minutes) before the
//     session expires; the page also shows a notice.
//     data: {organizationId, expiresAt, secondsLeft}.
//   - PORTAL_SESSION_EXPIRY: the session has expired, posted by the open
//     page when its timer runs out (data: {organizationId, expiresAt}) and by
//     the page served for an expired session (data: {reason:
//     "session_expired"}). A host may receive it more than once; generate a
//     new link and reload the iframe.
//   - ORGANIZATION_SSO_ENABLED, ORGANIZATION_SSO_DISABLED: an SSO connection
//     was activated or deactivated. data: {organizationId, connectionId}.
//   - ORGANIZATION_DIRECTORY_ENABLED, ORGANIZATION_DIRECTORY_DISABLED: a
//     directory was activated or deactivated. data: {organizationId,
//     directoryId}.
//
// The timers run from the server's clock at render time, not the browser's.
//
// The ORGANIZATION_* events are posted by the page rendered after the
// change: a handler adds a UIEvent to the page's view, the layout renders it
// as a hidden element
//
//	<div hidden data-portal-event="ORGANIZATION_SSO_ENABLED"
//	     data-portal-event-data='{"connectionId":"conn_123"}'></div>
//
// and the script posts it, adding organizationId.
//
// # What the host runs
//
// The portal has no background work of its own, but it relies on the
// kits': ssokit's Run refreshes connection metadata hourly (as the SSO
// pages promise) and removes expired portal sessions and links with the
// rest of the expired state (store.Cleanup, which a host without ssokit
// runs hourly itself); domains' Service.Run verifies pending domains and
// re-checks verified ones. The host's http.Server must set
// ReadHeaderTimeout, ReadTimeout (the whole request, body included: 30
// seconds), WriteTimeout (60 seconds: saving an SSO connection may fetch
// its metadata or discovery document for up to 10 seconds) and
// IdleTimeout. The portal's forms are capped at 64 KiB.
//
// # Outbox events
//
// The portal writes portal.session.created with the redemption that
// creates a session, and portal.session.ended when the IT admin signs out;
// the admin service writes portal.link.created and portal.link.revoked
// (revoking a link also ends its sessions, in the same write). Their data
// never holds a token. The changes the sections make through the service
// and the kits are recorded by the kits (sso.connection.*, directory.*,
// domain.*) with the session ("portal:<session id>") as the actor.
package portal

//go:generate go tool templ generate -include-version=false
