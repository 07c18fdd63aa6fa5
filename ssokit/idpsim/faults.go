package idpsim

import "slices"

// Fault is a defect injected into a response: each one is a case a service
// provider or relying party must refuse. A fault applies to SAML, to OIDC or
// to both (see Fault.SAML and Fault.OIDC).
type Fault string

const (
	// FaultUnsigned omits every signature (SAML).
	FaultUnsigned Fault = "unsigned"
	// FaultForeignKey signs with an attacker's key whose certificate is in
	// KeyInfo (SAML), or signs the ID token with an attacker's key under the
	// IdP's key id (OIDC).
	FaultForeignKey Fault = "foreign-key"
	// FaultExpired moves every instant two hours into the past.
	FaultExpired Fault = "expired"
	// FaultNotYetValid moves every instant one hour into the future.
	FaultNotYetValid Fault = "not-yet-valid"
	// FaultWrongAudience names another audience (SAML Audience, OIDC aud).
	FaultWrongAudience Fault = "wrong-audience"
	// FaultNoAudience omits the AudienceRestriction (SAML). crewjam/saml
	// accepts this: an SP must check the audience itself.
	FaultNoAudience Fault = "no-audience"
	// FaultWrongRecipient sets SubjectConfirmationData Recipient to another
	// ACS URL (SAML).
	FaultWrongRecipient Fault = "wrong-recipient"
	// FaultWrongDestination sets the Response Destination to another ACS
	// URL (SAML).
	FaultWrongDestination Fault = "wrong-destination"
	// FaultWrongIssuer names another issuer, still signed with the IdP's key.
	FaultWrongIssuer Fault = "wrong-issuer"
	// FaultWrongInResponseTo answers a request id the SP never sent (SAML).
	FaultWrongInResponseTo Fault = "wrong-in-response-to"
	// FaultReplay sends again, byte for byte, the previous response sent to
	// the same SP (SAML). A replay cache must refuse it.
	FaultReplay Fault = "replay"
	// FaultTwoAssertions adds a second, unsigned assertion for
	// ResponseOptions.ForgedNameID after the signed one (SAML; the
	// assertion is signed, the response is not).
	FaultTwoAssertions Fault = "two-assertions"
	// FaultNameIDComment signs NameID (and the email attribute) as
	// "<email>.evil.com" and then splits the text with a comment:
	// "admin@corp.com<!---->.evil.com". The signature stays valid because
	// canonicalization drops comments; a parser that reads only the first
	// text node sees the victim's address (CVE-2017-11427 family).
	FaultNameIDComment Fault = "nameid-comment"

	// XML signature wrapping, after SAML Raider's catalogue. The forged
	// identity is ResponseOptions.ForgedNameID. XSW1 and XSW2 wrap a signed
	// response; XSW3 to XSW8 a signed assertion.

	// FaultXSW1: a forged Response becomes the root and carries the
	// original Signature, inside which the original Response sits.
	FaultXSW1 Fault = "xsw1"
	// FaultXSW2: like XSW1 but the original Response sits before the
	// Signature (detached).
	FaultXSW2 Fault = "xsw2"
	// FaultXSW3: a forged assertion (new ID) before the signed one.
	FaultXSW3 Fault = "xsw3"
	// FaultXSW4: a forged assertion wrapping the signed one.
	FaultXSW4 Fault = "xsw4"
	// FaultXSW5: the signed assertion's content is forged (keeping the
	// Signature, new ID) and an unsigned copy of the original is appended at
	// the end of the Response.
	FaultXSW5 Fault = "xsw5"
	// FaultXSW6: the forged assertion carries the Signature, and the
	// original assertion (signature removed) sits inside the Signature.
	FaultXSW6 Fault = "xsw6"
	// FaultXSW7: a forged assertion inside samlp:Extensions, the signed
	// assertion in its place.
	FaultXSW7 Fault = "xsw7"
	// FaultXSW8: like XSW6 but the original assertion sits inside a
	// ds:Object element in the Signature.
	FaultXSW8 Fault = "xsw8"

	// FaultSHA1 signs with RSA-SHA1 and SHA-1 digests (SAML). crewjam/saml
	// accepts it: an SP that disallows SHA-1 must check the algorithms.
	FaultSHA1 Fault = "sha1-signature"
	// FaultDoctype puts a DOCTYPE with an internal entity declaration in
	// front of the response (SAML); the signature stays valid.
	FaultDoctype Fault = "doctype"

	// FaultWrongNonce sends a nonce other than the one requested (OIDC).
	// go-oidc does not check nonce: an RP must compare it itself.
	FaultWrongNonce Fault = "wrong-nonce"
	// FaultAlgNone sends an unsigned ID token with "alg":"none" (OIDC).
	FaultAlgNone Fault = "alg-none"
	// FaultHS256KeyConfusion signs the ID token with HS256, using the IdP's
	// public key (PEM) as the HMAC secret (OIDC).
	FaultHS256KeyConfusion Fault = "hs256-key-confusion"
	// FaultEmbeddedJWK signs the ID token with an attacker's key and puts
	// that key in the "jwk" header (OIDC).
	FaultEmbeddedJWK Fault = "embedded-jwk"
	// FaultExtraAudience adds another audience beside the client, without
	// azp (OIDC). go-oidc accepts it.
	FaultExtraAudience Fault = "extra-audience"
	// FaultWrongAZP adds another audience and names it as azp (OIDC).
	// go-oidc accepts it.
	FaultWrongAZP Fault = "wrong-azp"
	// FaultOtherTenant sends the tid (and oid) of another Entra ID tenant
	// with the usual issuer (OIDC). go-oidc accepts it: a multi-tenant RP
	// must pin tid.
	FaultOtherTenant Fault = "other-tenant"
	// FaultUserinfoSubMismatch makes the userinfo endpoint answer another
	// sub than the ID token's (OIDC). go-oidc does not compare them.
	FaultUserinfoSubMismatch Fault = "userinfo-sub-mismatch"
)

var samlFaults = []Fault{
	FaultUnsigned, FaultForeignKey, FaultExpired, FaultNotYetValid, FaultWrongAudience,
	FaultNoAudience, FaultWrongRecipient, FaultWrongDestination, FaultWrongIssuer,
	FaultWrongInResponseTo, FaultReplay, FaultTwoAssertions, FaultNameIDComment,
	FaultXSW1, FaultXSW2, FaultXSW3, FaultXSW4, FaultXSW5, FaultXSW6, FaultXSW7, FaultXSW8,
	FaultSHA1, FaultDoctype,
}

var oidcFaults = []Fault{
	FaultWrongNonce, FaultWrongAudience, FaultAlgNone, FaultExpired, FaultNotYetValid,
	FaultWrongIssuer, FaultForeignKey, FaultHS256KeyConfusion, FaultEmbeddedJWK,
	FaultExtraAudience, FaultWrongAZP, FaultOtherTenant, FaultUserinfoSubMismatch,
}

// SAMLFaults lists the faults that apply to SAML responses.
func SAMLFaults() []Fault { return slices.Clone(samlFaults) }

// OIDCFaults lists the faults that apply to OIDC ID tokens.
func OIDCFaults() []Fault { return slices.Clone(oidcFaults) }

// SAML reports whether f applies to SAML responses.
func (f Fault) SAML() bool { return slices.Contains(samlFaults, f) }

// OIDC reports whether f applies to OIDC ID tokens.
func (f Fault) OIDC() bool { return slices.Contains(oidcFaults, f) }

func (f Fault) valid() bool { return f.SAML() || f.OIDC() }

func (f Fault) xsw() bool {
	switch f {
	case FaultXSW1, FaultXSW2, FaultXSW3, FaultXSW4, FaultXSW5, FaultXSW6, FaultXSW7, FaultXSW8:
		return true
	}
	return false
}

type faultSet map[Fault]bool

func newFaultSet(fs []Fault) faultSet {
	s := faultSet{}
	for _, f := range fs {
		s[f] = true
	}
	return s
}

var faultDescriptions = map[Fault]string{
	FaultUnsigned:            "no signature at all",
	FaultForeignKey:          "signed by an attacker's key",
	FaultExpired:             "every instant two hours in the past",
	FaultNotYetValid:         "every instant one hour in the future",
	FaultWrongAudience:       "audience names another service provider or client",
	FaultNoAudience:          "no AudienceRestriction",
	FaultWrongRecipient:      "SubjectConfirmationData Recipient is another ACS",
	FaultWrongDestination:    "Response Destination is another ACS",
	FaultWrongIssuer:         "issuer is another identity provider",
	FaultWrongInResponseTo:   "answers a request the SP never sent",
	FaultReplay:              "the previous response again, byte for byte",
	FaultTwoAssertions:       "a second, unsigned assertion for the forged identity",
	FaultNameIDComment:       "comment inside NameID (admin@corp.com<!---->.evil.com)",
	FaultXSW1:                "XSW1: forged response wraps the signed one inside its Signature",
	FaultXSW2:                "XSW2: forged response, signed one before the Signature",
	FaultXSW3:                "XSW3: forged assertion before the signed one",
	FaultXSW4:                "XSW4: forged assertion wraps the signed one",
	FaultXSW5:                "XSW5: forged assertion keeps the Signature, original appended",
	FaultXSW6:                "XSW6: forged assertion keeps the Signature, original inside it",
	FaultXSW7:                "XSW7: forged assertion inside Extensions",
	FaultXSW8:                "XSW8: forged assertion keeps the Signature, original in ds:Object",
	FaultSHA1:                "RSA-SHA1 signature and SHA-1 digests",
	FaultDoctype:             "DOCTYPE with an entity declaration before the response",
	FaultHS256KeyConfusion:   "HS256 keyed with the IdP's RSA public key",
	FaultEmbeddedJWK:         "attacker's key in the jwk header",
	FaultExtraAudience:       "a second audience and no azp",
	FaultWrongAZP:            "a second audience named as azp",
	FaultOtherTenant:         "tid of another Entra ID tenant",
	FaultUserinfoSubMismatch: "userinfo answers another sub",
	FaultWrongNonce:          "nonce other than the one requested",
	FaultAlgNone:             "unsigned ID token with alg none",
}

// Description returns a one-line explanation of f for people.
func (f Fault) Description() string {
	if d, ok := faultDescriptions[f]; ok {
		return d
	}
	return string(f)
}
