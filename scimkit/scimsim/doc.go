// Package scimsim is a directory simulator: a SCIM 2.0 client that
// provisions users and groups into a SCIM service provider the way real
// identity providers do, request for request. Point it at any SCIM base URL
// with a bearer token to rehearse what Okta or Microsoft Entra ID will send,
// in tests, in development, or from an admin portal's "test sync" button.
//
//	c, err := scimsim.New(scimsim.Config{
//		BaseURL: "https://app.example.com/scim/dir_123",
//		Token:   token,
//		Dialect: scimsim.Entra, // or scimsim.Okta
//	})
//	if err != nil { ... }
//	if err := c.TestConnection(ctx); err != nil { ... }
//	rep, err := c.FullSync(ctx, scimsim.SyncSpec{Users: 100, Groups: 5, Domain: "example.com", Updates: 10, Deactivations: 3})
//	for _, e := range c.Log() {
//		fmt.Println(e.Seq, e.Method, e.Path, e.Status, e.Duration, e.Notes)
//	}
//
// # Dialects
//
// Okta:
//   - connection test GET /Users?startIndex=1&count=2, then
//     GET /Groups?startIndex=1&count=100;
//   - every create is preceded by a lookup,
//     GET /Users?filter=userName%20eq%20"..."&startIndex=1&count=100;
//   - users are created with locale, an empty groups array, the password
//     when set, JSON booleans; profile updates are GET then PUT of the
//     whole user, with its id; the manager is {"value": id};
//   - deactivation is PATCH {"op":"replace","value":{"active":false}}
//     without path; users are never deleted (DeleteUser returns
//     ErrUnsupported);
//   - group push: POST /Groups with "members": [], then
//     {"op":"add","path":"members","value":[{"value":id,"display":...}]},
//     removal one {"op":"remove","path":"members[value eq \"id\"]"} per
//     member, rename {"op":"replace","value":{"id":...,"displayName":...}};
//   - Content-Type application/scim+json; charset=utf-8, User-Agent
//     "Okta SCIM Client 1.0.0".
//
// Microsoft Entra ID:
//   - connection test GET /Users?filter=userName+eq+"<random GUID>", which
//     must answer 200 with "Resources": [];
//   - lookups GET /Users?filter=userName+eq+"..." and
//     GET /Groups?excludedAttributes=members&filter=displayName+eq+"...";
//   - users are created with the enterprise extension, meta.resourceType,
//     name.formatted and an empty roles array; the manager follows in its
//     own PATCH, {"op":"Add","path":"urn:...:enterprise:2.0:User:manager",
//     "value":"<id>"}, a plain string;
//   - updates are GET then one PATCH with only what differs, capitalised
//     ops: value-filtered paths (emails[type eq "work"].value,
//     phoneNumbers[type eq "mobile"].value), a path-less Replace with
//     dotted keys (name.givenName), a path-less Add with full URN keys
//     (urn:...:User:department), the manager as a string under its URN key;
//   - active is sent as the strings "True"/"False":
//     {"op":"Replace","path":"active","value":"False"}; users are deleted
//     with DELETE;
//   - groups carry Entra's legacy ADSCIM schema and an externalId; members
//     are added with [{"value":id}] and removed with
//     {"op":"Remove","path":"members","value":[{"value":id},...]}; group
//     reads add excludedAttributes=members;
//   - Content-Type application/scim+json.
//
// # Full sync
//
// FullSync generates a directory from SyncSpec (userNames user0001@domain,
// user0002@domain, ...; names, titles, departments, external ids and group
// memberships drawn from Seed, so the same spec gives the same directory,
// see Generate), pushes it in the dialect's order (connection test, users
// with their managers, groups, members in batches), then applies updates,
// membership removals, deactivations and (Entra) deletions. Progress is
// reported through SyncSpec.Progress; the SyncReport counts what was
// created, matched, updated, deactivated and deleted, and lists failures.
// Running it twice creates nothing the second time: every lookup matches.
//
// # Exchange log
//
// Every request is recorded with the server's answer: method, path and
// query as sent, request and response bodies (clipped to
// Config.MaxLoggedBody; a password in a request is redacted), status,
// selected response headers, time and duration, and Notes listing what a
// real provider would object to in the answer although it was accepted (a
// 201 without Location, "Resources": null, a non-SCIM error body, a
// returned password...). Read it with Log, or receive each Exchange as it
// happens with Config.OnExchange. The bearer token is never recorded.
//
// # Errors
//
// A non-2xx answer is an *Error with the status and the SCIM error body's
// scimType and detail; a 2xx answer that a provider could not use (no id,
// no Resources array for Entra, invalid JSON) wraps ErrBadResponse. The
// client never panics on what a server sends.
package scimsim
