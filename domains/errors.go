package domains

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers test them with errors.Is; the returned errors wrap
// them with the cause.
var (
	// ErrInvalidDomain: the name is not a valid domain name (see Normalize).
	ErrInvalidDomain = errors.New("domains: invalid domain name")

	// ErrInvalidEmail: the address is not a plain addr-spec (see ParseEmail).
	ErrInvalidEmail = errors.New("domains: invalid email address")

	// ErrConsumerDomain: the name belongs to a consumer or free mail provider
	// (gmail.com, outlook.com, ...) and cannot be claimed by an organization.
	ErrConsumerDomain = errors.New("domains: consumer mail domain")

	// ErrDomainTaken: another organization holds the name verified.
	ErrDomainTaken = errors.New("domains: domain verified by another organization")

	// ErrAlreadyAdded: the organization already holds this name (in any state).
	ErrAlreadyAdded = errors.New("domains: domain already added to this organization")

	// ErrNoSSO: an email cannot be routed to SSO, because its domain is not
	// verified by any organization or the organization has no active
	// connection. The wrapping error says which.
	ErrNoSSO = errors.New("domains: no SSO for this email")

	// ErrNotPending: the operation needs a pending or failed domain (for
	// example a manual verification of a domain that is already verified).
	ErrNotPending = errors.New("domains: domain is not pending")
)

// CheckKind is what a DNS check showed, in a form a portal can switch on to
// tell the IT admin how to fix it.
type CheckKind string

const (
	// KindNoRecord: the domain exists but no TXT record is published at the
	// record name. Fix: publish the record.
	KindNoRecord CheckKind = "no_record"
	// KindWrongValue: TXT records exist at the record name but none has the
	// expected value (CheckError.Found lists what was seen). Fix: correct the
	// value, usually a copy-paste error or a stale challenge.
	KindWrongValue CheckKind = "wrong_value"
	// KindNXDomain: the domain itself does not resolve (no such name, and no
	// MX or TXT records). Fix: check the spelling of the domain.
	KindNXDomain CheckKind = "nxdomain"
	// KindTimeout: the DNS lookup did not answer within the lookup timeout.
	// Temporary: checked again later.
	KindTimeout CheckKind = "timeout"
	// KindServerFailure: the DNS server answered with an error (SERVFAIL,
	// refused, malformed answer). Temporary: checked again later.
	KindServerFailure CheckKind = "servfail"
	// KindExpired: a pending domain was not verified within the pending time
	// limit. Fix: publish the record and verify again.
	KindExpired CheckKind = "expired"
	// KindTaken: another organization verified the name first.
	KindTaken CheckKind = "taken"
	// KindRecordRemoved: a verified domain's record was missing on
	// re-checks and the domain was unverified.
	KindRecordRemoved CheckKind = "record_removed"
)

// Temporary reports whether the kind describes a DNS outage rather than an
// answer about the record: such results never change a domain's state except
// when a pending domain reaches its time limit.
func (k CheckKind) Temporary() bool { return k == KindTimeout || k == KindServerFailure }

// CheckError is the diagnosis of a DNS check that did not find the expected
// TXT record. Check returns it (beside the updated domain); the background
// verifier records its message in the domain's Failure.
type CheckError struct {
	Kind   CheckKind
	Domain string   // the domain name checked
	Record string   // the record name looked up, without trailing dot
	Want   string   // the expected TXT value
	Found  []string // TXT values found at Record (KindWrongValue), at most 10
	Err    error    // the resolver's error, if any
}

// Error describes what DNS showed, for operators and IT admins.
func (e *CheckError) Error() string {
	switch e.Kind {
	case KindNoRecord:
		return fmt.Sprintf("no TXT record found at %s", e.Record)
	case KindWrongValue:
		return fmt.Sprintf("TXT record at %s has the wrong value: found %s, want %q", e.Record, quoteList(e.Found), e.Want)
	case KindNXDomain:
		return fmt.Sprintf("the domain %s does not exist in DNS (no TXT record at %s and no MX or TXT records at the domain)", e.Domain, e.Record)
	case KindTimeout:
		return fmt.Sprintf("DNS lookup of %s timed out", e.Record)
	case KindServerFailure:
		if e.Err != nil {
			return fmt.Sprintf("DNS lookup of %s failed: %v", e.Record, e.Err)
		}
		return fmt.Sprintf("DNS lookup of %s failed", e.Record)
	}
	return fmt.Sprintf("DNS check of %s failed (%s)", e.Record, e.Kind)
}

// Unwrap returns the resolver's error.
func (e *CheckError) Unwrap() error { return e.Err }

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		if len(v) > 100 {
			v = v[:100] + "..."
		}
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
