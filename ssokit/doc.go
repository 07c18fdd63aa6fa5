// Package ssokit adds enterprise single sign-on to a Go web application:
// a multi-tenant SAML 2.0 service provider and OpenID Connect relying
// party, one connection per customer organization, mounted as a plain
// http.Handler in the host's own router.
//
// # Mounting
//
//	st, err := sqlitestore.Open(ctx, "onboardkit.db", sqlitestore.Options{Keyring: keyring}) // see store/seal
//	if err != nil {
//		return err
//	}
//	sess, err := session.New(session.Config{Store: st}) // package ssokit/session
//	if err != nil {
//		return err
//	}
//	sso, err := ssokit.New(ssokit.Config{
//		Store:   st,
//		BaseURL: "https://app.example.com/sso",
//		// Package ssokit/session starts a revocable session and redirects
//		// to p.ReturnTo; or write your own OnLogin, keying your user by
//		// p.ID (connection + NameID/sub), never by p.Email.
//		OnLogin: sess.OnLogin,
//	})
//	if err != nil {
//		return err
//	}
//	mux.Handle("/sso/", http.StripPrefix("/sso", sso))
//	go sso.Run(ctx) // background work: see "What the host runs"
//
// A login starts at GET /sso/start with ?email=, ?organization= or
// ?connection= (and an optional return_to), or from Go with StartLogin,
// which returns ErrNoSSO, ErrInvalidEmail or ErrChooseConnection for the
// host to render ("no SSO for this domain", a chooser).
//
// Per connection, the IdP is given:
//
//	SAML  SP entity id / audience  BaseURL/saml/{connection}/metadata (also the SP metadata URL)
//	      ACS URL (HTTP-POST)      BaseURL/saml/{connection}/acs
//	      Single Logout URL        BaseURL/saml/{connection}/slo (HTTP-Redirect and HTTP-POST)
//	OIDC  redirect URI             BaseURL/oidc/{connection}/callback
//	      post-logout redirect URI BaseURL/oidc/{connection}/logout
//	      back-channel logout URI  BaseURL/oidc/{connection}/backchannel-logout
//
// # What the host runs
//
// Run is the background work of SSO and must run in every app instance,
// for as long as the handler serves (go sso.Run(ctx)). Every
// MetadataRefreshInterval (default: hourly) it refreshes the IdP metadata
// of SAML connections that have a metadata URL, reports IdP certificates
// that expire soon (sso.connection.certificate_expiring and _expired
// events), and cleans the Store up (Cleanup, store.Cleanup): it removes
// expired login requests, the replay cache's expired assertion ids,
// expired portal sessions and links, and the events older than
// Config.EventRetention (default 90 days) that every durable consumer of
// package events has processed. Store leases let one instance at a time do
// each job; the deletions go in batches of 1,000 rows, so logins go on
// meanwhile. Without Run, metadata goes stale and every login leaves rows
// behind for good.
//
// # Timeouts and body limits
//
// The host's http.Server must cut off slow clients: set ReadHeaderTimeout
// and ReadTimeout (the whole request, body included; 30 seconds is ample
// for a 256 KiB SAML response), WriteTimeout above the 10-second timeout
// of the outbound calls a callback makes (OIDC token exchange, JWKS,
// metadata: 60 seconds is safe) and IdleTimeout. The ACS reads at most
// Config.MaxResponseSize (default 256 KiB) and answers 400 beyond it; the
// outbound responses are capped at 1 MiB (or MaxResponseSize when larger).
//
// Config.Limits caps each connection's request rate on its ACS or OIDC
// callback, and separately on its logout endpoints (25 per second, bursts
// of 100, by default), checked before a message is parsed: over it the
// answer is 429 with Retry-After, through ErrorHandler with
// ErrTooManyRequests. Refused logout messages become sso.logout.failed
// events at most once a minute per connection after a burst of 10.
//
// # Flow
//
//  1. Start: the connection is found from the organization, the
//     connection id, or the email's verified domain (package domains: an
//     unverified or unknown domain routes nothing). Only active connections
//     log users in; a test flow (StartTest) may use a draft or tested one.
//
//  2. A pending store.LoginRequest is written: the SAML AuthnRequest id or
//     the OIDC state, with the OIDC nonce and PKCE verifier, expiring after
//     Config.RequestTTL. It is bound to the browser: a cookie holds a
//     random secret and the request stores its SHA-256 digest.
//
//  3. The browser goes to the IdP (SAML HTTP-Redirect or HTTP-POST binding,
//     requests signed when the connection asks; OIDC authorization code
//     flow with PKCE S256 and nonce).
//
//  4. The ACS or callback takes the connection from its URL, verifies the
//     message and builds a Profile, without the Store. One Store write then
//     accepts the login (store.CompleteLogin): it consumes the pending
//     request only if it belongs to the connection and carries this
//     browser's binding (a request of another connection or browser is
//     left pending), records the assertion id in the replay cache shared
//     by every app instance, reads the email's verified domain and the
//     organization's directory users (so a domain lost or a user
//     deactivated meanwhile cannot slip through), and appends the
//     sso.login.succeeded event, all or nothing. OnLogin is called after
//     it. An OIDC callback consumes its state first, on the same condition
//     (it holds the nonce and PKCE verifier). A test flow calls
//     OnTestResult instead, and moves a draft connection to tested.
//
//     The ACS caches the connection row between requests, with the
//     certificates and keys parsed from it: the accepting write checks the
//     row's Version is still current, and a refusal reached with a cached
//     row is only reported once the stored row is known to be the same; a
//     changed connection has the response verified and committed once
//     more with the stored row. A warm SAML login is thus one Store round
//     trip. A refused response consumes its pending request (when it is
//     this connection's and this browser's), so that a test flow gets its
//     diagnosis; a refusal is recorded as an sso.login.failed event when
//     the response came through a flow of this browser or its signature
//     verified, replays included.
//
// IdP-initiated SAML logins are off by default; a connection enables them
// through SSO.SetSAMLOptions with InsecureAllowIdPInitiated (or the admin
// service's SetSecurityOptions, which calls it), which records the change
// as sso.connection.options_updated and sso.connection.security_weakened
// events. (Writing store.SAMLConfig.AllowIdPInitiated directly would skip
// those events.) They have no request to consume: the
// replay cache, audience, recipient and time checks still apply, a
// response carrying an InResponseTo is treated as a reply to a request of
// this browser, and RelayState is sanitized like return_to.
//
// # Custom attributes
//
// With Config.Roles declaring fields (roles.Config.Fields), every login
// sets Profile.Custom: for each field, the value of the directory user
// when the organization's directory provisioned the user and holds one
// (the directory is the record), else the value of the SAML attribute
// (by Name, else FriendlyName) or OIDC claim the organization maps the
// field to (store.AttributeMapping, read inside the login's write). SAML
// values are strings: a multi-valued attribute gives a string list, a
// single value an integer ("1042") or a boolean ("true", any case). OIDC
// claims keep their JSON types: a number for an integer (exactly, beyond
// 2^53 too), true/false or "true"/"false" for a boolean, an array of
// strings for a list.
//
// A value of the wrong type (two values for a single-valued field, "n/a"
// for an integer, an integer beyond 64 bits) does not refuse the login:
// an attribute is not an identity, and refusing would lock every user of
// the organization out over one misconfigured claim. The value is left
// out of Profile.Custom (the host sees the field as absent, as when the
// IdP sends nothing), listed in Profile.CustomRefused with the attribute
// it came from and why, logged as a warning, and recorded as
// custom_refused on the sso.login.succeeded event; the connection test
// page shows it to the IT admin. A host that must not admit a user
// without a valid value refuses in OnLogin, where it sees both. The SCIM
// server, by contrast, refuses a bad value with 400 (see package
// scimkit): a directory retries and reports provisioning errors to the
// IT admin.
//
// # Security model
//
// The tenant comes from the URL, never from the message: the ACS path and
// the OIDC state select the connection, and with it the only certificates,
// issuer, audience (the connection's SP entity id), destination and client
// id accepted. Identity is read only from bytes a trusted signature covers.
// Users are keyed by (connection, NameID or sub): Profile.ID.
//
// SAML responses are refused, with the reason logged and (for messages
// that came through a started flow or carry a valid signature) an
// sso.login.failed event, when they are: larger than MaxResponseSize; not
// UTF-8; carrying a DOCTYPE, entity, comment or processing instruction;
// with a name whose reading depends on the parser, the cause of the
// encoding/xml round-trip instabilities (CVE-2020-29509/10/11): a colon in
// a local name, an undeclared or reserved prefix, an empty or misbound
// namespace declaration, an xml: attribute, an attribute given twice;
// nested deeper than 40 levels; with more than 800 elements, more than 64
// attributes or 16 namespace declarations on one element, or more than 32
// namespace declarations in scope (all checked before any signature work:
// canonicalization's cost grows with them); more than 500 attribute values; not a samlp:Response with exactly one
// assertion (plain or encrypted) as a direct child and signatures only
// directly on the Response or that assertion (this excludes XSW1-8 and the
// two-assertion attacks); unsigned (an encrypted assertion counts as
// unsigned unless it or the response is signed); signed with a
// certificate the connection does not list (a certificate in KeyInfo is
// only used to pick among the configured ones); signed with a reference
// other than "#" + the ID of the element carrying the signature, or with
// that ID on more than one element; without exactly the
// enveloped-signature transform and one canonicalization transform; using an
// algorithm outside the allowlist (RSA/ECDSA with SHA-256/384/512, SHA-1
// only with SAMLConfig.AllowSHA1, exclusive or inclusive c14n without
// comments, no XPath or XSLT transforms); non-success status; a Subject
// without exactly one NameID of the SAML namespace (GO-2026-6909: a
// foreign-namespace NameID is refused, not read); no Conditions or no
// AudienceRestriction naming this connection; a Destination or bearer
// Recipient other than this connection's ACS; an Issuer other than the
// connection's IdP; an InResponseTo that is not the consumed request of
// this browser and connection (a request of another browser or connection
// is left pending, so a known request id cannot be used to cancel someone
// else's login); a Condition other than AudienceRestriction and OneTimeUse
// (ProxyRestriction or a custom Condition make the assertion Indeterminate;
// OneTimeUse is met by the replay cache); outside NotBefore / NotOnOrAfter /
// IssueInstant (at most 5 minutes old) with ClockSkew (default 3 minutes)
// of tolerance; or already used.
//
// The response is read once: one parse into a tree (etree), on which the
// hygiene, name and shape checks above run; what that parse accepts,
// xml-roundtrip-validator accepts too (a differential fuzz test), so no
// separate round-trip pass is made. The signature is verified on that
// tree: the signed element (Response or Assertion) is copied once with
// the namespaces in scope, its Signature removed (the enveloped-signature
// transform), canonicalized with goxmldsig's canonicalizers (exclusive
// c14n in place) and digested (compared in constant time); SignedInfo is
// canonicalized the same way and verified with the connection's
// certificates. The reference and the identity are then read only from
// those copies, the trees whose canonical serializations the digest and
// the signature cover.
//
// # Encrypted assertions
//
// Only a connection with SAMLConfig.EncryptedAssertion decrypts: any other
// connection refuses an EncryptedAssertion without touching its key (so
// the SP key, whose certificate is public in the metadata, is no oracle),
// and its SP metadata advertises no encryption key. Key transport must be
// RSA-OAEP (rsa-oaep-mgf1p or xmlenc11 rsa-oaep); rsa-1_5 is refused before
// the key is used. Content encryption must be AES-GCM, or AES-CBC only
// when the Response is signed: its signature is verified before anything
// is decrypted and covers the ciphertext, so a padding oracle has nothing
// to work on. ADFS and older Okta default to aes256-cbc; with them, sign
// the whole Response (ADFS: SigningBehavior SignResponse or
// SignAssertionAndResponse). Every decryption failure and every failure to
// read the decrypted XML has the same reason (decryption_failed), status
// (403) and detail; the cause is only logged. Decryption is ssokit's own
// (standard library AES and RSA), with length checks; crewjam's xmlenc
// accepts any algorithm the message names and panics on short input.
//
// OIDC callbacks are refused for a missing, foreign or replayed state, a
// state started in another browser, an iss parameter (RFC 9207) other than
// the connection's issuer (or missing when the provider advertises it), an
// ID token not signed with an asymmetric algorithm by a key of the
// provider's JWKS (alg none and HS256 keyed with the RSA public key fail),
// a token header carrying jwk, jku or x5u, an iss, aud or azp of another
// issuer or client (several audiences need azp), exp passed or nbf / iat in
// the future beyond ClockSkew, a missing or wrong nonce, a tid other than
// the pinned tenant (Entra ID /common and /organizations issuers must pin
// OIDCConfig.TenantID: discovery then uses the tenant's own issuer), or
// userinfo whose sub differs from the ID token's. The code is exchanged
// with the PKCE verifier and the exact redirect URI of the authorization
// request.
//
// An OIDC email is used (for the domain check, Profile.Email and the
// directory lookup) only when the provider vouches for it: email_verified
// true (the boolean or the string "true"). Entra ID never sends
// email_verified; for provider "entra" the ID token's "email" claim (not
// upn, preferred_username or userinfo) is trusted when the token's tid is
// the connection's tenant (OIDCConfig.TenantID, or the tenant of a
// single-tenant issuer) and the domain is a verified domain of the
// organization. Otherwise the email counts as absent: the login is refused
// (email_not_verified) unless AllowEmailOutsideDomains, in which case the
// Profile has no Email.
//
// Then, for both protocols: the email must be in a verified domain of the
// connection's organization (package domains parses it strictly), unless
// store.Connection.AllowEmailOutsideDomains; an email in a domain another
// organization verified is refused whatever the connection allows; a
// directory user of the organization with that email that is deactivated
// refuses the login;
// an active one is attached to the Profile.
//
// Users see a generic page (ErrorHandler); operators see the cause in the
// log; the IT admin testing a connection sees a *LoginError with one field
// per cause (audience expected and received, certificate thumbprints,
// validity window and skew, ...).
//
// Outbound requests to IdPs (metadata URLs, OIDC discovery, JWKS, token,
// userinfo) use https only and refuse private, loopback and link-local
// addresses at dial time (IPv4-mapped, IPv4-compatible, NAT64, 6to4 and
// Teredo forms included), unless Config.InsecureAllowPrivateNetworks is set
// for local development. Their bodies are capped at 1 MiB (gzip is not
// requested, and the cap counts decompressed bytes) and a host HTTPClient
// without a Timeout gets 10 seconds.
//
// # crewjam/saml and time
//
// crewjam/saml builds the AuthnRequests (HTTP-Redirect and HTTP-POST
// bindings, signing), the SP metadata and the metadata types. Responses are not validated with crewjam's
// ServiceProvider.ParseXMLResponse: it reads the package-level saml.TimeNow
// clock (wrong for a pinned or per-tenant clock and racy in parallel
// tests), accepts a missing audience, returns the first of several
// assertions and reads NameID from any namespace. ssokit verifies the
// signature itself on its parsed tree with goxmldsig's canonicalizers,
// checks certificate validity at Config.Now, and does every time check
// itself from the verified assertion. The package
// globals saml.TimeNow, saml.Clock, saml.MaxIssueDelay and
// saml.MaxClockSkew are never written and play no part in validation; the
// one value ssokit takes from a crewjam function that reads saml.TimeNow,
// the SP metadata's validUntil, is overwritten from Config.Now.
//
// The ServiceProvider built for a connection (parsed certificates, IdP
// metadata, SP key) is cached until the connection's Version changes; the
// Store increments it on every UpdateConnection, so no caller has to do
// anything for the cache to follow a change.
//
// # Logout
//
// Sessions are the session layer's (package ssokit/session); ssokit ends
// them when the IdP says so, and tells the IdP when the user signs out:
//
//   - IdP-initiated SAML Single Logout: a LogoutRequest at
//     BaseURL/saml/{connection}/slo, HTTP-Redirect or HTTP-POST binding,
//     is read with the ACS's XML hygiene, and must be signed by one of the
//     connection's certificates (the query string for HTTP-Redirect, per
//     the bindings spec 3.4.4.1; an enveloped signature for HTTP-POST; a
//     certificate in KeyInfo counts only when the connection trusts it),
//     name the connection's IdP as Issuer and this SLO URL as Destination,
//     and be fresh (IssueInstant, NotOnOrAfter, with ClockSkew). Its ID is
//     then recorded in the replay cache and the sessions of that
//     connection with its NameID (and SessionIndex, when it names any)
//     end, with reason store.SessionEndedIdPLogout. The IdP gets a signed
//     LogoutResponse.
//   - SP-initiated: StartLogout sends a signed LogoutRequest (the
//     session's NameID and SessionIndex, the connection's SP key) to the
//     IdP's SingleLogoutService, from the metadata or SAMLConfig.SLOURL and
//     SLOPostURL; the LogoutResponse must be signed, from the IdP, to this
//     SLO URL, and answer a pending logout of this browser (consumed once).
//   - OIDC RP-initiated logout: StartLogout redirects to the provider's
//     end_session_endpoint with id_token_hint (Profile.IDToken), client_id,
//     the connection's post-logout redirect URI and a state bound to the
//     browser.
//   - OIDC Back-Channel Logout 1.0: the provider POSTs a logout_token to
//     BaseURL/oidc/{connection}/backchannel-logout. It must be signed with
//     the provider's JWKS (go-oidc's verifier, asymmetric algorithms only,
//     no key in the header), carry this connection's issuer and client id
//     as iss and aud, a recent iat, the back-channel logout event, no
//     nonce, a sub and/or sid and a jti never seen before. 200 ends the
//     connection's matching sessions; 400 {"error":"invalid_request"}
//     refuses.
//
// Every refusal is logged with its reason. It is also recorded as an
// sso.logout.failed event within Config.Limits.RefusalEvents per
// connection (anyone can post junk to a logout URL; past that rate the log
// line, marked event_recorded=false, is the only trace). Nothing of another
// connection or organization is ever ended, since the connection comes
// from the URL.
//
// # Connection lifecycle
//
// draft -> tested -> active <-> inactive. A successful test flow moves
// draft to tested and sets TestedAt; Activate refuses a connection never
// tested (ErrNotTested); Deactivate switches an active connection off. Each
// change is written with its event in one Store call.
package ssokit
