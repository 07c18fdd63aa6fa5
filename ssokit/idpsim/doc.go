// Package idpsim is an identity provider simulator for developing and
// testing enterprise SSO: a SAML 2.0 identity provider and an OpenID Connect
// provider in one http.Handler, with a login page where the developer picks
// or types the simulated user, presets that shape attributes and claims like
// Okta, Microsoft Entra ID, Google Workspace and ADFS, and fault injection
// for every case a service provider or relying party must refuse.
//
// It is not an identity provider. It signs whatever identity its visitor
// types in. New refuses to build unless Config.Development is true, and
// every page carries the banner "Development simulator — not a real
// identity provider". Never mount it in production.
//
// # Endpoints
//
// Below Config.BaseURL:
//
//	GET  /                                      home: endpoints, SPs, clients, users
//	GET  /saml/metadata                         IdP metadata (signing certificate, SSO URLs)
//	GET  /saml/sso                              AuthnRequest, HTTP-Redirect binding (deflate + base64)
//	POST /saml/sso                              AuthnRequest, HTTP-POST binding (base64)
//	GET  /saml/idp-initiated                    IdP-initiated launcher (choose SP, user, outcome)
//	POST /saml/idp-initiated
//	POST /login                                 login page submission
//	GET  /oidc/.well-known/openid-configuration discovery
//	GET  /oidc/jwks                             signing keys
//	GET  /oidc/authorize                        authorization code flow, PKCE S256
//	POST /oidc/token                            client_secret_basic or client_secret_post
//	GET  /oidc/userinfo
//	GET  /saml/slo                              Single Logout, HTTP-Redirect binding (both directions)
//	POST /saml/slo                              Single Logout, HTTP-POST binding
//	GET  /saml/logout-initiated?sp=&email=      IdP-initiated logout launcher (session_index, binding=post, fault)
//	GET  /oidc/logout                           end_session_endpoint (RP-Initiated Logout 1.0)
//	POST /oidc/backchannel-send                 home page button: send a logout_token to a client
//
// The SAML response reaches the SP through the POST binding: an HTML form
// submitted by a small script served from /static/autopost.js (pages allow
// no inline script: Content-Security-Policy default-src 'self'), with a
// visible button for browsers without JavaScript.
//
// AuthnRequests are decoded under size limits (MaxEncodedRequest,
// MaxRequestXML), must come from a registered SP (unless
// Config.InsecureAllowAnySP) and may only name its registered ACS URL; their
// signatures, if any, are not checked.
//
// # Logout
//
// The simulator answers an SP's LogoutRequest at /saml/slo with a signed
// LogoutResponse in the request's binding, sent to the SP's SLOURL (read
// from SP metadata by RegisterSPMetadata); it checks the request's
// signature with the SP's signing certificate and answers a Requester
// status when it does not verify. SAMLLogoutRequest builds an
// IdP-initiated LogoutRequest (query-string signature for HTTP-Redirect,
// enveloped for HTTP-POST) with the faults of LogoutFaults: unsigned, an
// attacker's key, another issuer or destination, expired, SHA-1, DOCTYPE,
// another tenant's NameID. Logouts lists what it received.
//
// For OIDC, discovery advertises end_session_endpoint and back-channel
// logout, ID tokens carry a sid (SessionID), the end_session_endpoint
// verifies id_token_hint and accepts only a registered
// post_logout_redirect_uri, and SendBackChannelLogout posts a logout_token
// to the client's BackChannelLogoutURI, with faults: unsigned (alg none),
// an attacker's key, another issuer or audience, expired, a nonce, no
// events claim; a token sent twice (PostLogoutToken) tests jti replay.
//
// # Mounting in a development app
//
//	idp, err := idpsim.New(idpsim.Config{
//		Development: true, // required: this is a development tool
//		BaseURL:     "http://localhost:8080/idp",
//		SPs: []idpsim.SP{{
//			EntityID: "http://localhost:8080/sso/saml/metadata",
//			ACSURL:   "http://localhost:8080/sso/saml/acs",
//			Preset:   idpsim.PresetEntra,
//		}},
//		Clients: []idpsim.Client{{
//			ID: "dev-app", Secret: "dev-secret",
//			RedirectURIs: []string{"http://localhost:8080/sso/oidc/callback"},
//			Preset:       idpsim.PresetGoogle,
//		}},
//		Branding: idpsim.Branding{Name: "Acme (dev)", AccentColor: "#0a7"},
//	})
//	if err != nil {
//		return err
//	}
//	mux.Handle("/idp/", http.StripPrefix("/idp", idp))
//
// Point the SP at idp.MetadataURL() (SAML) or idp.Issuer() (OIDC discovery).
//
// # In tests
//
// NewServer starts the simulator on an httptest.Server and closes it at
// the end of the test. AutoLogin answers every request at once, so a test
// drives a full round trip over HTTP without a browser; ParsePostForm reads
// the auto-submitting form:
//
//	idp := idpsim.NewServer(t, func(c *idpsim.Config) {
//		c.AutoLogin = &idpsim.AutoLogin{User: idpsim.User{Email: "ada@corp.example"}}
//	})
//	idp.RegisterSP(idpsim.SP{EntityID: spEntityID, ACSURL: app.URL + "/sso/saml/acs"})
//	// GET the SP's login URL, follow the redirect to idp.SSOURL(), then:
//	form, err := idpsim.ParsePostForm(body, ssoURL)
//	resp, err := client.PostForm(form.Action, form.Values) // the SP's ACS
//
// To test refusals, set AutoLogin.Faults, or build a single response or ID
// token directly with SAMLResponse and IDToken:
//
//	b64, err := idp.SAMLResponse(idpsim.ResponseOptions{
//		SP: spEntityID, InResponseTo: requestID,
//		Faults: []idpsim.Fault{idpsim.FaultXSW3},
//	})
//
// # Faults and what common libraries do with them
//
// Each Fault documents the defect it injects. Tests in this package check
// every SAML fault against crewjam/saml's ServiceProvider.ParseXMLResponse
// and every OIDC fault against go-oidc's IDTokenVerifier. They refuse all of
// them except the following, which a service provider built on them must
// check itself:
//
//   - FaultNoAudience: crewjam accepts an assertion without
//     AudienceRestriction.
//   - FaultReplay: crewjam has no replay cache.
//   - FaultTwoAssertions, FaultXSW3, FaultXSW7: crewjam accepts the response
//     and returns the legitimate signed assertion, ignoring the unsigned
//     one; refuse any response that does not hold exactly one assertion.
//   - FaultNameIDComment: the signature is valid by design; crewjam reads
//     the full signed text. A parser that reads only the first text node
//     sees the victim's address.
//   - FaultSHA1: crewjam accepts RSA-SHA1 signatures and SHA-1 digests.
//   - FaultDoctype: crewjam accepts a DOCTYPE with entity declarations.
//   - FaultWrongNonce: go-oidc does not check nonce.
//   - FaultExtraAudience, FaultWrongAZP: go-oidc accepts several audiences
//     as long as the client is one of them, and ignores azp.
//   - FaultOtherTenant: go-oidc does not know about Entra tenants; pin tid.
//   - FaultUserinfoSubMismatch: go-oidc's UserInfo does not compare sub
//     with the ID token's.
//
// # State
//
// Pending logins, authorization codes (one use, one minute), access tokens
// and the last response per SP (for FaultReplay) live in memory in one
// process: the simulator is not meant to run on several instances.
package idpsim
