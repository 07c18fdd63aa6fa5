// Package domains verifies that an organization owns an email domain and
// routes email addresses to the organization's SSO connections through
// verified domains only.
//
// # Lifecycle
//
// A domain is added to an organization as pending (Service.Add) and ends
// verified or failed:
//
//	add ──> pending ──(record found / operator)──> verified
//	           │                                      │
//	           └─(time limit, another org won)─> failed <─(record removed, policy)
//
// Two methods verify a domain:
//
//   - DNS TXT (store.DomainDNSTXT): the organization's IT admin publishes a
//     TXT record, checked on demand (Service.Check, "verify now") and by the
//     background verifier (Service.Run).
//   - Manual (store.DomainManual): an operator vouches for the domain
//     (Service.VerifyManually); who and when are kept in VerifiedBy,
//     VerifiedAt and the domain.verified event. Manually verified domains are
//     never re-checked by DNS.
//
// # The record to publish
//
// Every domain has its own random challenge (256 bits). Service.Record
// returns the record that proves it:
//
//	name:  _onboardkit-verification.example.com   (Config.RecordPrefix + "." + domain)
//	type:  TXT
//	value: the challenge, exactly (for example 5q3n...Xw, 43 characters)
//
// The record may sit beside other TXT records at that name, including other
// organizations' challenges for the same domain. It must not be published at
// the domain itself. Lookups use fully qualified names (no search domains)
// through a pluggable Resolver (*net.Resolver by default) with a per-lookup
// timeout (Config.LookupTimeout).
//
// When the record is not found, Check returns a *CheckError and the domain's
// FailureKind and Failure (see FailureOf) record what DNS showed, and
// CheckFailures counts consecutive misses of a verified domain's record, so
// that the portal can tell
// the IT admin how to fix it: KindNoRecord (publish it), KindWrongValue (the
// values found are listed), KindNXDomain (the domain does not exist: check
// the spelling), KindTimeout and KindServerFailure (a DNS outage; checked
// again).
//
// # Rules
//
//   - Names are normalised by Normalize (lower case, one trailing dot removed,
//     IDNs as punycode, strict validation, mixed-script homoglyph labels
//     refused) and compared byte for byte.
//   - Consumer mail domains (gmail.com, outlook.com, yahoo.com, ... and their
//     subdomains, see IsConsumer) and Config.BlockedDomains are refused.
//   - A name verified by one organization cannot be added to another
//     (ErrDomainTaken). Several organizations may hold the same name pending:
//     the first to verify wins (the Store allows one verified holder), and
//     the others' pending claims fail at once with KindTaken and a
//     domain.verification_failed event (Data reason "taken"). A late attempt
//     to verify a taken name returns ErrDomainTaken and fails the claim.
//   - A subdomain is a separate name: verifying example.com does not route
//     user@eu.example.com; add eu.example.com explicitly.
//   - A pending DNS domain fails (KindExpired) when it is not verified within
//     Config.PendingTimeout of its creation (default 7 days). "Verify now" on
//     a failed domain verifies it if the record is there.
//
// # Removed-record policy
//
// Domains verified by DNS are re-checked every Config.RecheckInterval
// (default 24h). When a re-check finds the record missing or wrong (not on a
// timeout or server failure, which say nothing about the record):
//
//   - the first miss writes a domain.record_removed event, the domain stays
//     verified and is checked again after Config.RetryInterval (default 1h);
//   - after Config.RemovedRecordChecks consecutive misses (default 3) the
//     domain is unverified: it becomes failed (KindRecordRemoved), stops
//     routing logins, and a domain.unverified event is written. The
//     organization must verify it again, and meanwhile another organization
//     that proves ownership may claim it.
//   - a re-check that finds the record again resets the count.
//
// This default is the secure one: a domain that changed hands (expired and
// re-registered, sold) stops routing to the former owner's identity provider
// within about RecheckInterval + (RemovedRecordChecks-1)*RetryInterval.
// Config.InsecureKeepVerifiedOnRemovedRecord keeps the domain verified and
// only writes the event, leaving the decision to the host.
//
// # What the host runs
//
// Service.Run must run in every app instance (go svc.Run(ctx)): it
// checks pending domains every PendingCheckInterval and re-checks the
// record of every verified domain every RecheckInterval (daily), so that
// a domain whose record was removed stops routing logins. Without it, a
// pending domain is verified only when someone presses "verify", and a
// verified one is never checked again. The service makes no HTTP requests
// of its own; the portal and dashboard pages that call it are served under
// the host's http.Server timeouts (see ssokit).
//
// # Background verification on many instances
//
// Run (or RunOnce from a host's own scheduler) may run on every app instance
// at once. For each due domain (store.ListDomainsDue) a verifier first claims
// it: one UpdateDomain that checks the domain's state, challenge, method and
// NextCheckAt are still what was listed and moves NextCheckAt
// Config.ClaimTimeout ahead. Only the winner of that write looks the record
// up, outside any Store transaction, then records the result with a second
// UpdateDomain that checks the claim is still its own. A verifier that stalls
// past its claim loses the domain to another and its late result is
// dropped. So one domain is checked once per due time and no result
// overwrites a newer one.
//
// # Events
//
// Each change writes its event in the same Store call (Subject is the domain
// id, Data always carries "name"):
//
//	domain.created              added; Data: method
//	domain.verified             Data: method ("dns_txt" or "manual"), by ("dns" or the operator)
//	domain.verification_failed  a pending claim failed; Data: reason ("expired" or "taken"),
//	                            and for "expired" dns (the last CheckKind) and detail
//	domain.record_removed       first re-check of a verified domain without its record;
//	                            Data: dns, detail, keep_verified
//	domain.unverified           unverified by the removed-record policy; Data: reason, dns, detail, misses
//	domain.deleted              removed; Data: state
//
// # Routing
//
// Route turns an email address into the organization and its active
// connections, only through a verified domain with exactly the address's
// domain. ParseEmail is strict: exactly one "@", no display names, comments,
// quoting or whitespace, no trailing dot, no Entra "#EXT#" guest addresses,
// and the domain through Normalize:
//
//	r, err := domains.Route(ctx, st, "jane@acme.example")
//	switch {
//	case errors.Is(err, domains.ErrInvalidEmail): // ask again
//	case errors.Is(err, domains.ErrNoSSO):        // password login or "ask your admin"
//	case err == nil:                              // start SSO with r.Connections[0]
//	}
//
// # Wiring
//
//	svc, err := domains.New(domains.Config{Store: st})
//	go svc.Run(ctx) // on every instance
//	d, err := svc.Add(ctx, orgID, "acme.example", store.DomainDNSTXT, "portal:"+sessionID)
//	name, value := svc.Record(d) // show to the IT admin
//	d, err = svc.Check(ctx, d.ID) // "verify now"; a *CheckError explains a miss
package domains
