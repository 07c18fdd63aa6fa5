package ssokit

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// Outcomes of starting or finishing a login. Test them with errors.Is.
var (
	// ErrNoSSO: the email's domain is not a verified domain of an
	// organization with an active connection, or the organization has no
	// active connection. The host renders "no SSO for this domain" and may
	// offer its own sign-in.
	ErrNoSSO = errors.New("ssokit: no single sign-on for this user")

	// ErrInvalidEmail: the address given to start a login is not a valid
	// email address.
	ErrInvalidEmail = errors.New("ssokit: invalid email address")

	// ErrChooseConnection: the organization has several active connections;
	// the caller must pick one (StartOptions.ConnectionID). The HTTP start
	// endpoint renders a chooser instead.
	ErrChooseConnection = errors.New("ssokit: several connections, choose one")

	// ErrConnectionNotFound: no connection with this id.
	ErrConnectionNotFound = errors.New("ssokit: connection not found")

	// ErrConnectionNotActive: the connection exists but is not active (draft,
	// tested or inactive). Only a test flow may use a connection that is not
	// active.
	ErrConnectionNotActive = errors.New("ssokit: connection is not active")

	// ErrNotTested: Activate was called on a connection that never passed a
	// test login.
	ErrNotTested = errors.New("ssokit: connection has not been tested")

	// ErrBadRequest: the request is malformed (missing parameters, bad
	// encoding, too large).
	ErrBadRequest = errors.New("ssokit: bad request")

	// ErrTooManyRequests: the connection's endpoint is over its rate
	// (Config.Limits); the answer is 429 with Retry-After.
	ErrTooManyRequests = errors.New("ssokit: too many requests")

	// ErrLoginRefused matches every *LoginError.
	ErrLoginRefused = errors.New("ssokit: login refused")
)

// Reason names the check a login failed. It is stable and safe to show to
// an IT admin.
type Reason string

// Reasons of a LoginError.
const (
	ReasonMalformed           Reason = "malformed_response"      // not a well-formed, schema-shaped message
	ReasonForbiddenXML        Reason = "forbidden_xml"           // DOCTYPE, entity, comment, processing instruction
	ReasonStructure           Reason = "bad_structure"           // two assertions, misplaced signatures (XSW)
	ReasonIdPStatus           Reason = "idp_error"               // the IdP answered with a non-success status or an OAuth error
	ReasonUnsigned            Reason = "unsigned"                // neither response nor assertion signed
	ReasonAlgorithm           Reason = "algorithm_not_allowed"   // SHA-1 without opt-in, comments transform, alg none...
	ReasonUnknownCertificate  Reason = "unknown_certificate"     // signed by a certificate the connection does not trust
	ReasonCertificateExpired  Reason = "certificate_expired"     // the trusted certificate is outside its validity
	ReasonBadSignature        Reason = "bad_signature"           // digest or signature value wrong, reference mismatch
	ReasonNotEncrypted        Reason = "not_encrypted"           // the connection requires encrypted assertions
	ReasonDecrypt             Reason = "decryption_failed"       // encrypted assertion that cannot be decrypted
	ReasonIssuer              Reason = "wrong_issuer"            // Issuer / iss is not the connection's IdP
	ReasonAudience            Reason = "audience_mismatch"       // Audience / aud / azp is not this connection
	ReasonCondition           Reason = "unsupported_condition"   // a Condition ssokit cannot evaluate (ProxyRestriction, custom): Indeterminate
	ReasonDestination         Reason = "wrong_destination"       // Response Destination is not this ACS
	ReasonRecipient           Reason = "wrong_recipient"         // SubjectConfirmationData Recipient is not this ACS
	ReasonInResponseTo        Reason = "in_response_to_mismatch" // InResponseTo / state not a request of this browser and connection
	ReasonUnsolicited         Reason = "idp_initiated_disabled"  // IdP-initiated login while the connection does not allow it
	ReasonExpired             Reason = "expired"                 // NotOnOrAfter / exp passed, with skew
	ReasonNotYetValid         Reason = "not_yet_valid"           // NotBefore / nbf / IssueInstant in the future, with skew
	ReasonReplayed            Reason = "replayed"                // assertion id already used
	ReasonRequestUnknown      Reason = "unknown_request"         // login request unknown, already used or expired
	ReasonBrowserMismatch     Reason = "browser_mismatch"        // the flow was started in another browser
	ReasonNonce               Reason = "nonce_mismatch"          // OIDC nonce missing or wrong
	ReasonTenant              Reason = "wrong_tenant"            // multi-tenant issuer: tid not the pinned tenant
	ReasonSubject             Reason = "missing_subject"         // no NameID / sub, or one read from a foreign element
	ReasonUserInfo            Reason = "userinfo_mismatch"       // userinfo sub differs from the ID token's
	ReasonMissingEmail        Reason = "missing_email"           // no email while domains are enforced
	ReasonEmailNotVerified    Reason = "email_not_verified"      // OIDC email without email_verified true while domains are enforced
	ReasonInvalidEmail        Reason = "invalid_email"           // an email that is not a plain, valid address (two @, #EXT#, mixed scripts)
	ReasonEmailOutsideDomains Reason = "email_outside_domains"   // email not in a verified domain of the organization
	ReasonUserDeactivated     Reason = "directory_user_deactivated"
	ReasonNotProvisioned      Reason = "not_provisioned"              // the organization admits only users its directory provisioned (store.SignInDirectoryOnly)
	ReasonUserDeprovisioned   Reason = "directory_user_deprovisioned" // the organization's directory deleted the user (store.Deprovisioned), whatever the sign-in policy
	ReasonConnectionInactive  Reason = "connection_not_active"
	ReasonIdPUnreachable      Reason = "idp_unreachable" // token endpoint, discovery or JWKS failed
)

// LoginError is the diagnosis of a refused login. Users are shown a generic
// page; operators find it in the log and in the sso.login.failed event; the
// portal's "test connection" page shows it to the IT admin. Only the fields
// of the failed check are set.
type LoginError struct {
	Reason       Reason
	ConnectionID string
	OrgID        string
	Protocol     store.Protocol
	// Detail is a one-line explanation for operators and IT admins. It never
	// contains secrets or the raw message.
	Detail string

	// ReasonAudience
	ExpectedAudience string
	Audiences        []string
	// ReasonUnknownCertificate, ReasonCertificateExpired: SHA-256
	// thumbprints (hex) of the certificate seen in the message and of the
	// certificates the connection trusts.
	CertificateThumbprints []string
	TrustedThumbprints     []string
	// ReasonExpired, ReasonNotYetValid: the window that failed, the time of
	// the check and the allowed skew.
	NotBefore    time.Time
	NotOnOrAfter time.Time
	Now          time.Time
	Skew         time.Duration
	// ReasonReplayed
	AssertionID string
	// ReasonIssuer
	ExpectedIssuer string
	Issuer         string
	// ReasonDestination, ReasonRecipient
	ExpectedDestination string
	Destination         string
	// ReasonInResponseTo
	InResponseTo string
	// ReasonAlgorithm
	Algorithm string
	// ReasonIdPStatus
	Status string
	// ReasonEmailOutsideDomains, ReasonUserDeactivated, ReasonUserDeprovisioned
	Email           string
	Domain          string
	DirectoryUserID string

	// Err is the underlying error, if any.
	Err error
}

func (e *LoginError) Error() string {
	var b strings.Builder
	b.WriteString("ssokit: login refused: ")
	b.WriteString(string(e.Reason))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *LoginError) Unwrap() error { return e.Err }

// Is reports whether target is ErrLoginRefused.
func (e *LoginError) Is(target error) bool { return target == ErrLoginRefused }

// loginErrorJSON is the form of a LoginError in events
// (sso.login.failed, sso.connection.test_failed). ConnectionID and OrgID
// are the event's own Subject and OrgID; Err is kept as its text.
type loginErrorJSON struct {
	Reason                 Reason        `json:"reason"`
	Detail                 string        `json:"detail,omitempty"`
	ExpectedAudience       string        `json:"expected_audience,omitempty"`
	Audiences              []string      `json:"audiences,omitempty"`
	CertificateThumbprints []string      `json:"certificate_thumbprints,omitempty"`
	TrustedThumbprints     []string      `json:"trusted_thumbprints,omitempty"`
	NotBefore              *time.Time    `json:"not_before,omitempty"`
	NotOnOrAfter           *time.Time    `json:"not_on_or_after,omitempty"`
	Now                    *time.Time    `json:"now,omitempty"`
	Skew                   time.Duration `json:"skew_ns,omitempty"`
	AssertionID            string        `json:"assertion_id,omitempty"`
	ExpectedIssuer         string        `json:"expected_issuer,omitempty"`
	Issuer                 string        `json:"issuer,omitempty"`
	ExpectedDestination    string        `json:"expected_destination,omitempty"`
	Destination            string        `json:"destination,omitempty"`
	InResponseTo           string        `json:"in_response_to,omitempty"`
	Algorithm              string        `json:"algorithm,omitempty"`
	Status                 string        `json:"status,omitempty"`
	Email                  string        `json:"email,omitempty"`
	Domain                 string        `json:"domain,omitempty"`
	DirectoryUserID        string        `json:"directory_user_id,omitempty"`
	Error                  string        `json:"error,omitempty"`
}

// MarshalJSON encodes e in the form of ssokit's events.
func (e *LoginError) MarshalJSON() ([]byte, error) {
	tp := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	o := loginErrorJSON{e.Reason, e.Detail, e.ExpectedAudience, e.Audiences, e.CertificateThumbprints, e.TrustedThumbprints,
		tp(e.NotBefore), tp(e.NotOnOrAfter), tp(e.Now), e.Skew, e.AssertionID, e.ExpectedIssuer, e.Issuer,
		e.ExpectedDestination, e.Destination, e.InResponseTo, e.Algorithm, e.Status, e.Email, e.Domain, e.DirectoryUserID, ""}
	if e.Err != nil {
		o.Error = truncate(e.Err.Error(), 300)
	}
	return json.Marshal(o)
}

// UnmarshalJSON decodes the form MarshalJSON writes. ConnectionID, OrgID
// and Protocol are not part of it; Err, when recorded, becomes a plain
// error carrying the recorded text.
func (e *LoginError) UnmarshalJSON(data []byte) error {
	var d loginErrorJSON
	if err := json.Unmarshal(data, &d); err != nil {
		return err
	}
	tv := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return t.UTC()
	}
	*e = LoginError{Reason: d.Reason, Detail: d.Detail,
		ExpectedAudience: d.ExpectedAudience, Audiences: d.Audiences,
		CertificateThumbprints: d.CertificateThumbprints, TrustedThumbprints: d.TrustedThumbprints,
		NotBefore: tv(d.NotBefore), NotOnOrAfter: tv(d.NotOnOrAfter), Now: tv(d.Now), Skew: d.Skew,
		AssertionID: d.AssertionID, ExpectedIssuer: d.ExpectedIssuer, Issuer: d.Issuer,
		ExpectedDestination: d.ExpectedDestination, Destination: d.Destination, InResponseTo: d.InResponseTo,
		Algorithm: d.Algorithm, Status: d.Status, Email: d.Email, Domain: d.Domain, DirectoryUserID: d.DirectoryUserID}
	if d.Error != "" {
		e.Err = errors.New(d.Error)
	}
	return nil
}

func refuse(reason Reason, format string, args ...any) *LoginError {
	return &LoginError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// StatusCode is the HTTP status ssokit answers err with: 400 for malformed
// input, 404 for an unknown connection, no SSO or no IdP logout endpoint,
// 403 for a refused login, 429 for ErrTooManyRequests, 500 otherwise.
func StatusCode(err error) int {
	var le *LoginError
	switch {
	case errors.As(err, &le):
		switch le.Reason {
		case ReasonMalformed, ReasonForbiddenXML:
			return http.StatusBadRequest
		case ReasonIdPUnreachable:
			return http.StatusBadGateway
		}
		return http.StatusForbidden
	case errors.Is(err, ErrBadRequest), errors.Is(err, ErrInvalidEmail):
		return http.StatusBadRequest
	case errors.Is(err, ErrConnectionNotFound), errors.Is(err, ErrNoSSO), errors.Is(err, ErrNoIdPLogout):
		return http.StatusNotFound
	case errors.Is(err, ErrConnectionNotActive):
		return http.StatusForbidden
	case errors.Is(err, ErrChooseConnection):
		return http.StatusConflict
	case errors.Is(err, ErrTooManyRequests):
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}
