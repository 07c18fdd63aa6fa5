// Package gworkspace syncs Google Workspace directories into the Store.
// Google Workspace does not send SCIM to custom applications, so instead
// of waiting for pushes this package reads users, groups and memberships
// through the Admin SDK Directory API and turns what changed into the same
// Store writes and events as scimkit: directory.user.created, .updated,
// .deactivated (a suspended or archived user), .reactivated and .deleted,
// directory.group.*, and one directory.membership.added or .removed per
// member. The host, the roles computed in the Store's directory writes and
// session revocation see a Google directory exactly as a SCIM one.
//
// # Setup
//
// A Google directory is a store.Directory with Provider "google". The
// customer's IT admin creates a service account in a Google Cloud project,
// enables the Admin SDK API there, downloads a JSON key, and in the Google
// Admin console (Security, API controls, Domain-wide delegation) grants the
// service account's client id exactly the read-only Scopes. They then give
// onboardkit the key and the email of an administrator to impersonate:
//
//	gws, err := gworkspace.New(gworkspace.Config{Store: st})
//	err = gws.Configure(ctx, dirID, gworkspace.Settings{AdminEmail: "admin@example.com"})
//	_, err = gws.PutKey(ctx, dirID, keyJSON)
//	_, err = gws.Test(ctx, dirID) // lists one user, or names the precise failure
//	go gws.Run(ctx)               // syncs every active Google directory when due
//
// Test and a failed sync report an *APIError whose Cause tells delegation
// missing (unauthorized_client for every scope), a scope missing (Detail
// lists which), invalid_grant (key revoked, admin not a user), admin not an
// administrator (403 notAuthorized), the API disabled (403
// accessNotConfigured) or an unknown customer; Message is the sentence for
// the IT admin.
//
// # Sync
//
// Run polls the Store every Config.PollInterval and syncs each active
// directory that is due: never synced, asked for with SyncNow, left
// unfinished by an instance that stopped, or Interval (default 15 minutes,
// at least one minute) past its last sync. SyncDirectory syncs one at once.
// A sync lists users (500 a page), then groups and each group's members
// (200 a page, Config.Concurrency groups at a time), compares each with
// what the Store holds (the etag first, then the fields) and writes only
// what differs, then deletes what Google no longer lists. A sync with
// nothing to change makes no directory write and appends no event.
//
// Calls answered 429 or 5xx are retried after the Retry-After Google gives
// or an exponential backoff, at most Config.MaxRetries times. A page token
// that Google no longer accepts restarts that listing.
//
// One instance syncs a directory at a time: a sync holds the Store lease
// "gworkspace/<directory id>", renewed after every page; another instance
// gets ErrBusy. After every page that wrote (and every ten that did not)
// the sync stores a checkpoint: the next page token and the Google ids
// listed so far. A sync that was stopped resumes from it; since every
// write is a comparison with the Store, pages read again write nothing, so
// nothing is lost and no event is appended twice.
//
// # Security model
//
// The service-account key can act as any user of the customer's domain
// within the delegated scopes, so it is a secret that must be read back:
// PutKey parses it and stores it, and the Store seals it at rest like every
// secret it keeps (AES-256-GCM under a data key wrapped by the host's
// keyring, the directory id as associated data; see store/seal); no method
// of this package returns it, and Status names only the service account. The
// scopes are read-only; onboardkit never writes to the customer's
// directory.
//
// Package gworkspace/gwsim simulates the token endpoint and the Directory
// API for tests and local development.
package gworkspace
