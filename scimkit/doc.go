// Package scimkit is a SCIM 2.0 service provider (RFC 7643, RFC 7644) for
// user and group provisioning from the identity providers of a host
// application's enterprise customers: Okta, Microsoft Entra ID, Google,
// OneLogin, JumpCloud and any other SCIM client.
//
// # Mounting
//
//	scim, err := scimkit.New(scimkit.Config{
//		Store:   st,                                  // sqlitestore, pgstore, memstore...
//		BaseURL: "https://app.example.com/scim",      // where the handler is mounted
//	})
//	if err != nil { ... }
//	mux.Handle("/scim/", http.StripPrefix("/scim", scim))
//
//	d, err := scim.CreateDirectory(ctx, orgID, scimkit.DirectoryOptions{Provider: "okta", Active: true})
//	token, _, err := scim.CreateToken(ctx, d.ID, scimkit.TokenOptions{})
//	// Show the IT admin scim.EndpointURL(d.ID) and token, once.
//
// Each directory has its own base URL, BaseURL + "/" + directory id, with
// /Users, /Groups, /Users/.search, /Groups/.search, /ServiceProviderConfig,
// /ResourceTypes and /Schemas under it.
//
// # What the host runs
//
// The SCIM server has no background work of its own. Its events go to the
// outbox, whose retention, like the removal of other expired state, is
// done by ssokit's Run (or store.Cleanup, run hourly by a host without
// ssokit); deliver them with package events.
//
// The host's http.Server must cut off slow clients: an IdP's request
// trickling in a byte every few seconds would otherwise hold a connection
// and a goroutine forever. Set ReadHeaderTimeout, ReadTimeout (the whole
// request, body included: 30 seconds is ample for Config.MaxBodyBytes,
// default 1 MiB, beyond which the server answers 413), WriteTimeout (60
// seconds) and IdleTimeout (about 2 minutes: Okta and Entra reuse
// connections).
//
// # Security model
//
//   - Every request carries a bearer token in the Authorization header.
//     Tokens are 256-bit random values ("scim_..."), shown once, stored
//     as SHA-256 digests and looked up by digest. A token authenticates
//     only the directory it was created for: directory A's token on
//     directory B's URL gets 401, and resources are always read and
//     written within the directory of the URL, so B's ids through A's URL
//     are 404.
//   - No token, a malformed, unknown, revoked or expired token, and any
//     token in the query string (access_token=) get 401 with a SCIM
//     error body and WWW-Authenticate. A valid token of an inactive
//     directory gets 403 "This directory is not active": the token is
//     right, the customer switched provisioning off.
//   - Two tokens may be active at once so a customer can rotate without
//     downtime (RotateToken, then RevokeToken of the old one); a third is
//     refused with ErrTooManyTokens. Tokens may expire (TokenOptions).
//   - What authenticates a token (the token row and its directory) and the
//     owners of email domains are reused for Config.CacheTTL (1 s by
//     default) rather than read on every request of a provisioning burst.
//     Expiry is checked on every request. A token revoked or a directory
//     deactivated through this Server is refused at once; through another
//     app instance or the Store itself, within CacheTTL. A negative
//     CacheTTL reads the Store every time.
//   - Filters are parsed and translated into store.Filter values, which
//     the Stores run as parameterised queries. What scimkit cannot
//     translate faithfully is refused with 400 invalidFilter; a filter
//     never fails open.
//   - id and meta are read-only: ignored in POST, PUT and path-less
//     PATCH values, 400 mutability as a PATCH path. password is accepted
//     (Okta and Entra send it) and dropped: never stored, never returned,
//     never in an event.
//   - A group cannot be a member of itself (400 invalidValue), and a
//     member must be a user or group of the same directory.
//   - Bodies are capped (Config.MaxBodyBytes, 413), list counts are capped
//     (Config.MaxResults, advertised as filter.maxResults), PATCH
//     operations and member ids per request are capped (413). Groups
//     requests default to caps that fit Config.MaxMembersPerRequest
//     members (10,000), each in an operation of its own if the client
//     sends them so; any request within the caps is applied whole, in one
//     Store transaction, whatever the Store's own statement limits. A
//     filter is refused (400 invalidFilter) when it is larger than every
//     Store accepts (store.MaxFilterNodes, store.MaxFilterDepth): beyond
//     128 simple comparisons joined by or.
//   - Error bodies never contain internal error text; the cause goes to
//     Config.Logger.
//   - Config.Limits: each directory's authenticated requests are limited
//     (50 per second, bursts of 200, by default), and so are the failed
//     authentications of one client address (2 per second, bursts of 20);
//     once an address has used that up, its requests are refused before
//     their token is looked at. Either answer is 429 with Retry-After and a
//     SCIM error body.
//
// # What is accepted
//
// scimkit follows what real clients send (see the Okta and Entra replay
// tests): op names in any case; "True"/"False" strings for booleans,
// normalised per server; PATCH without path whose value has dotted keys
// ("name.givenName"), enterprise-extension URN keys or an id; value
// filtered paths (emails[type eq "work"].value), creating the element on
// add/replace when nothing matches and doing nothing on remove; manager
// as a plain string or as {"value": id}; members added as
// [{"value": id}], removed by path members[value eq "id"] or by path
// members with a value array, replaced with a list or []; an empty
// Operations array (200, no change); unknown schema URIs and null values
// in POST/PUT (ignored); application/json or application/scim+json, with
// parameters such as charset (any other media type gets 415). A count
// too large for an integer means Config.MaxResults.
//
// Decisions where the RFCs leave a choice:
//
//   - active defaults to true only when a user is created. A PUT without
//     active, a PATCH that removes active or sets it to null, keeps the
//     previous value: omitting the attribute never reactivates (or
//     deactivates) a user; only an explicit active:true/false does.
//   - At most one value of a multi-valued attribute (emails,
//     phoneNumbers, addresses...) is primary. In POST and PUT the last
//     value marked primary wins and the others get primary:false; in PATCH
//     the value an operation marks primary wins (RFC 7644 3.5.2). Adding
//     a value that is already there ("primary":"True" and true are equal)
//     adds nothing.
//   - A group PUT without members (or with members:null) leaves the
//     membership unchanged; members:[] empties the group.
//   - A members[...] path may join any number of value eq terms with or,
//     and may carry the Group schema URN; a path-less PATCH value may name
//     members with the URN too.
//   - Filters bound real nesting (not, value filters, a switch between
//     and and or) to 64 levels and the number of comparisons to 1024; a flat
//     chain of or (or of and) terms is not nesting.
//
// Attribute names, operators and URN prefixes are case-insensitive;
// userName is matched and kept unique case-insensitively; id and
// externalId are case-exact.
//
// # userNames and email addresses
//
// People's identifiers arrive composed (NFC) from one client and
// decomposed (NFD, as macOS produces them) from another, in any case. A
// userName, and an email address wherever people are matched by it (emails
// filters, store.Store.FindDirectoryUsersByEmail, UserStatus, the SSO
// kit's login), is compared by its store.MatchKey: Unicode NFC
// normalization and full case folding (golang.org/x/text). So
// "Jörg.Müller@example.com" sent precomposed and with o + U+0308 is one
// user (a second POST is 409 uniqueness, and userName eq "JÖRG.MÜLLER@..."
// in either form finds it), as are "ΟΔΥΣΣΕΥΣ", "οδυσσευς" (final sigma)
// and "οδυσσευσ", and "straße" and "STRASSE". Compatibility forms stay
// distinct (full-width letters are other letters). The value is kept and
// returned as the client sent it; only the key is normalised. A userName
// filter with co, sw, ew, gt, ge, lt or le compares keys too.
//
// # Text
//
// A request body that is not valid UTF-8, and any string of a resource
// that holds a NUL or another control character (Unicode Cc: U+0000 to
// U+001F, U+007F to U+009F), is refused with 400 invalidValue and a detail
// that names the attribute ("The value of name.givenName contains a
// control character (U+0000, NUL)."), before anything is written and the
// same on every Store. The attributes the Stores index (userName, externalId, displayName,
// name.givenName, name.familyName, emails.value, emails.type,
// members.value) allow no control character; other string values (an
// address's formatted value, extension values) may hold tab, line feed
// and carriage return. The rule is the Stores' (store.ValidateLine,
// store.ValidateText), so a write through the Go API gets the same answer
// as a *store.TextError.
//
// # Filters
//
// Every attribute of the schemas /Schemas serves (the core User and
// Group schemas and the enterprise User extension, with their
// sub-attributes) can be filtered with eq, ne, co, sw, ew, gt, ge, lt, le
// and pr as its type allows, combined with and, or, not and parentheses,
// and with value filters such as emails[type eq "work" and primary eq
// true] or addresses[type eq "work"].locality eq "Paris". Strings compare
// case-insensitively unless the schema marks them caseExact (id,
// externalId, references such as profileUrl, x509Certificates.value);
// gt, ge, lt and le compare strings by code point. Booleans take eq and
// ne, also with "True"/"False" strings; dateTimes compare as instants; a
// complex attribute takes pr, and a multi-valued one without
// sub-attribute compares its value (phoneNumbers co "555"). A comparison
// on a sub-attribute of a multi-valued attribute holds when it holds for
// some value (emails.type ne "work": some email is not of type work). A
// missing single-valued string compares as "", a missing boolean as
// false. A User's groups (groups, groups.value, groups[value eq "id"])
// are read from the memberships: the groups the user is a direct member
// of. Refused with 400 invalidFilter: attributes the schemas do not
// know, meta sub-attributes other than created and lastModified,
// password, groups.display, groups.type, members.display,
// members.type and members.$ref (members are kept apart from the group's
// document; members.value takes every operator, case-exactly), and
// operators the type does not allow (title gt true, active co "t").
//
// What a filter costs depends on the attribute:
//
//   - id, externalId, userName (Users), displayName (Groups), emails.value
//     eq and sw (with or without a type), members.value eq and
//     groups.value eq are answered from indexes: O(log n) in the
//     directory's size; the other operators on members.value and
//     groups.value read the memberships of each group (user) of the
//     directory.
//   - displayName (Users), name.givenName, name.familyName, active,
//     emails with the other operators, meta.created and meta.lastModified
//     are columns of the user row, read within the one directory.
//   - Every other attribute is kept only in the raw SCIM document the
//     Store holds beside those columns (store.Field, store.Some): the
//     Store reads the documents of the directory's users (or groups) in
//     one pass and evaluates the condition on each, skipping without
//     decoding a document whose text cannot contain the value an eq, co,
//     sw or ew looks for. This is linear in the directory's size: in a
//     directory of 100,000 users, a title eq took 2.4 s on SQLite, 1.6 s
//     on PostgreSQL and 1.4 s on memstore, where a userName eq took
//     0.34 ms, 0.2 ms and 10 us, measured on a shared 2-core machine
//     under heavy load (go test -run '^$' -bench BenchmarkFields
//     ./store/sqlitestore/ -args -storetest.fieldusers=100000; absolute
//     times there were several times those of an idle machine). An and
//     with an indexed condition (userName eq "x" and title eq "y") reads
//     only the rows the index selects.
//
// sortBy supports id, externalId, userName, displayName, name.givenName,
// name.familyName, emails (the primary one), meta.created and
// meta.lastModified; attributes and excludedAttributes work on single
// GETs, lists and .search.
//
// PATCH of a user answers 200 with the resource; PATCH of a group answers
// 204 (or 200 with the resource when attributes or excludedAttributes is
// given), so a group's members are never loaded to be patched: member
// operations become store.MemberOp values. (Only to tell whether a
// replace of members changes anything are the member ids read; adds and
// removes are checked with one filtered count.)
//
// # Why not elimity's Server
//
// scimkit uses github.com/elimity-com/scim for its schema definitions
// (served by /Schemas and used to validate every POST, PUT and patched
// resource) and its error type, and github.com/scim2/filter-parser for
// filters and paths. It routes and answers the endpoints itself, with
// net/http patterns, because elimity's Server has a server-wide base URL
// (scimkit's is per directory), makes string booleans a process-global
// switch, rejects empty Operations, manager strings and value-filtered
// email filters, does not apply PATCH, ignores attributes,
// excludedAttributes and sortBy, reports itemsPerPage as the requested
// count, can answer "Resources": null, and echoes handler errors in 500
// bodies.
//
// # Changes, the hook and events
//
// Every change is written by one Store call together with its events, so
// the host never misses one. Config.BeforeChange sees each change before
// it is written and may refuse it with a *RefusalError (status, scimType
// and detail go to the IdP), for example a seat limit. Updates are
// optimistic: scimkit reads the resource, computes the change, asks the
// hook, and writes only if the version it read is still current
// (retrying otherwise), so the hook runs outside any Store transaction
// and may use the Store. A PATCH or PUT that changes nothing writes
// nothing and reports nothing: this includes membership operations that
// change no membership (adding a present member, removing an absent one,
// replacing with the same list), which keep the group's version and
// lastModified. Times are kept to the microsecond, as the Stores keep
// them, so a 201 shows the meta times later reads show.
//
// Events (store.Event.Type, Subject, Data):
//
//	directory.user.created      user id       UserData
//	directory.user.updated      user id       UserData (after the change)
//	directory.user.deactivated  user id       UserData (active went true -> false)
//	directory.user.reactivated  user id       UserData (active went false -> true)
//	directory.user.deleted      user id       UserData (as it was)
//	directory.group.created     group id      GroupData
//	directory.group.updated     group id      GroupData (displayName, externalId...)
//	directory.group.deleted     group id      GroupData (as it was)
//	directory.membership.added    group id    MembershipData, one per member
//	directory.membership.removed  group id    MembershipData, one per member
//	                                          (also for the memberships of a deleted user or group)
//	directory.created           directory id  DirectoryData
//	directory.activated         directory id  DirectoryData
//	directory.deactivated       directory id  DirectoryData
//	directory.token.created     directory id  DirectoryData with token_id
//	directory.token.revoked     directory id  DirectoryData with token_id
//
// A user change that flips active is reported only as deactivated or
// reactivated, carrying the whole new profile. UserData is the normalised
// profile (user_name, external_id, active, display_name, given_name,
// family_name, email, emails, outside_domains) plus attributes, the SCIM
// resource as provisioned, never with a password. Actor is
// "scim:<directory id>" for changes made through SCIM.
//
// # Users outside the verified domains
//
// The addresses of a user (its emails, and its userName when it is an
// email address) are checked against the organization's verified domains
// (store.GetVerifiedDomain, owned by the directory's organization). By
// default (OutsideDomainsMark) a user with an address outside them is
// accepted and marked store.DirectoryUser.OutsideDomains; with
// OutsideDomainsRefuse it is refused with 400 invalidValue. An
// organization's store.ProvisioningPolicy, when its OutsideDomains is set,
// overrides the Server's choice for that organization: accept (unmarked),
// mark, or refuse.
//
// # Custom attributes
//
// A host declares its users' custom attributes in roles.Config.Fields
// (key and type: string, boolean, integer, string list) and passes the
// Config as Config.Roles. Each organization maps each field to a SCIM path
// (store.AttributeMapping.SCIMPath): an attribute of the core User schema
// ("title", "name.middleName", "emails.value"), of the enterprise
// extension ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:
// department"), or of the host's own extension. With
// roles.Config.SCIMExtension set, such as
// "urn:ietf:params:scim:schemas:extension:acme:2.0:User", /Schemas serves
// that schema (one attribute per field, named by its key, of its type; a
// string list is a multi-valued string) and /ResourceTypes lists it in
// the User's schemaExtensions; a field with no mapped path is read from
// it. CheckAttributePath tells whether a path can be mapped.
//
// Every POST, PUT and PATCH of a user reads the value at each field's
// path into store.DirectoryUser.Custom, in the same write as the rest of
// the user, and the user events carry them (UserData.Custom). The value
// is converted to the field's type: "True"/"False" strings for a boolean,
// a string of digits for an integer (Entra sends strings; the enterprise
// employeeNumber is a string), one string for a string list. A value of
// another type, an integer beyond 64 bits, a fraction, or a list where a
// single value is declared is refused with 400 invalidValue whose detail
// names the attribute and the field ("The value of urn:...:User:level
// (custom attribute level) must be an integer."), and nothing is written.
// Removing the attribute removes the value. The mappings are read once per
// user write. When an organization's mapping of a field moves to another
// SCIM path, the Admin reads the values of the users already provisioned
// again from the resources the Store keeps (see StoredCustomValues and
// admin.Admin.ReadCustomValues), with a directory.user.updated event for
// each user whose values change.
// Filters on the attributes of the enterprise extension and of the host's
// extension compare the resource as the Store keeps it (the values a GET
// returns, under the path the directory sent them to): strings take every
// operator (a string list matches by any of its values), booleans eq and
// ne (a missing boolean is false), integers pr only; any other comparison
// of them, and an attribute no schema declares, is 400 invalidFilter. The
// Store compares them in one pass over the directory's users.
//
// # Deprovisioning
//
// What happens to a user the IdP deactivates (active=false: Okta's
// deprovisioning, an AIW app's PUT, Entra's first step) is the
// organization's store.ProvisioningPolicy Deprovision: by default the user
// is kept, deactivated (no role, sessions ended, still returned by GET
// with active:false, as Okta expects); with store.DeprovisionDelete it is
// deleted as by a DELETE, and the PATCH or PUT answers 200 with the user
// as deactivated, after which GET answers 404 (Entra's later DELETE too).
// A DELETE always deletes. Every deletion leaves the Store's record of
// the user's addresses (store.Deprovisioned): the person cannot sign in
// again by just-in-time provisioning, whatever the sign-in policy, until
// the directory provisions them again (a POST of an active user with the
// address, or a reactivation).
//
// # SSO
//
// Deactivation and deletion are reported at once by events, and
// UserStatus tells the SSO kit, at login, whether the organization's
// active directories have the email active, deactivated, or not at all.
// Directories that are switched off are not consulted: their copies no
// longer change, so an old active copy must not outweigh a deactivation
// in the directory that replaced it.
package scimkit
