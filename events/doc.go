// Package events delivers onboardkit's event outbox to the host application.
//
// Every kit writes a store.Event in the same Store operation as the change it
// describes (a SCIM user created, a connection activated, a portal link
// redeemed), so the outbox never misses a change and never reports one that
// was rolled back. The Store numbers events with a gap-free, increasing
// cursor. This package reads the outbox three ways.
//
// # 1. In-process subscriber
//
// A Subscriber calls a Handler for every event, in cursor order, with
// at-least-once delivery:
//
//	sub, err := events.NewSubscriber(events.SubscriberConfig{
//		Store: st,
//		Name:  "crm-sync", // durable: the stored cursor and the lease are keyed by it
//		Types: []string{"directory.user"},
//		Handler: func(ctx context.Context, e store.Event) error {
//			return crm.Apply(ctx, e.ID, e.Type, e.Data) // idempotent by e.ID
//		},
//	})
//	if err != nil { ... }
//	go sub.Run(ctx)
//
// How it works: Run takes a lease named after the consumer, so among several
// app instances sharing one Store only one delivers at a time; the others
// stand by and take over when it stops (at once when it stops cleanly, after
// LeaseDuration when it crashed). The holder renews the lease while it works
// and stops when it loses it. It reads the events after the consumer's
// durable cursor, calls Handler for each, and advances the cursor only after
// Handler returned nil. A failing event is retried with exponential backoff
// and jitter; it is never skipped and nothing after it is delivered before
// it. After a restart, delivery resumes from the durable cursor, so the
// event that was being handled when the process died is delivered again:
// handlers must be idempotent. Call Notify after appending events to wake an
// idle subscriber before its next poll.
//
// # Retention
//
// The outbox is not kept for ever: ssokit's Run (store.Cleanup) removes
// events older than its EventRetention, by default 90 days, but never an
// event that a durable consumer has not processed. A Subscriber records its
// cursor in the Store (under its Name) when it first runs, before its first
// delivery, and every consumer with a recorded cursor holds retention back
// until it has passed the events; forget a consumer that was retired for
// good with Store.DeleteConsumerCursor, else it keeps every event after its
// cursor. Pull API clients keep
// their own cursor, so they must read within the retention period; after
// a gap, Pull starts at the oldest event left.
//
// # How cursors are numbered
//
// A reader must never see a gap that later fills: had it seen cursor 8
// while 7 was still uncommitted, it would move past 7 and miss it. Cursors
// are therefore given in commit order, and only to committed events.
//
// On SQLite the one writer does it inside its transaction: MAX(cursor) + 1.
//
// On PostgreSQL a write inserts its events with no cursor, only a seq from
// a database sequence (which takes no lock any other writer waits on), and
// commits; writes of different organizations, on any number of app
// instances, commit in parallel, each with one commit as before. Readers
// number the events: before it reads, the Store's ListEvents (and
// LastEventCursor, and retention) runs a numbering round when some
// committed event has no cursor yet (a probe of an index holding only
// those): a short transaction that takes an advisory lock (rounds run one
// at a time), then, in one statement whose snapshot is taken after the
// lock was granted, gives every committed event without a cursor the
// cursors after MAX(cursor), in seq order. A round serves every write
// since the last one. An event is invisible until numbered, and every
// later round gives higher cursors: no gap ever fills. Writes that depend
// on each other (one waited for a row the other locked, or started after
// it returned) keep their order, since the later one's events get higher
// seqs and are numbered in the same round or a later one. Retention always
// keeps the newest event, so MAX(cursor) never goes back and no cursor is
// given twice. AppendEvents, which returns the cursors, numbers at once.
//
// Delivery is unchanged: readers go by cursor, at least once, in order.
//
// # 2. Pull API
//
// NewPullHandler returns an http.Handler that pages through the outbox:
//
//	GET /events?after=0&limit=100&types=directory.user,connection&org_id=org_123
//
//	{"events": [{"id": "evt_...", "type": "directory.user.created", "cursor": 1, ...}],
//	 "next_cursor": 1, "has_more": false}
//
// The client keeps next_cursor and passes it as after on its next call;
// after=latest starts from now: no events, and the cursor to poll from. The
// management API's GET /events takes the same parameters. A
// malformed parameter answers 400 with {"error": "..."}. The handler does no
// authentication: the outbox holds every organization's directory data, so
// mount it behind the host's own auth, and fix org_id from the caller's identity
// when a caller may see only its organization:
//
//	pull, err := events.NewPullHandler(events.PullConfig{Store: st})
//	mux.Handle("GET /api/onboardkit/events", requireAPIKey(pull))
//
// Pull is the same read as a Go function, for hosts with their own API layer.
//
// # 3. Signed webhooks
//
// A WebhookSender posts each event to a URL with the Standard Webhooks
// signature scheme (https://www.standardwebhooks.com), on top of a Subscriber
// (so: at-least-once, in order, retried with backoff; any non-2xx answer, a
// redirect or a timeout is a failure):
//
//	secret, err := events.NewWebhookSecret(nil) // "whsec_..."; show it once to the receiver
//	wh, err := events.NewWebhookSender(events.WebhookConfig{
//		Store:  st,
//		Name:   "webhook:crm",
//		URL:    "https://crm.example.com/hooks/onboardkit",
//		Secret: secret,
//	})
//	go wh.Run(ctx)
//
// Each request is a POST with Content-Type application/json, the event as
// body (the Envelope shape: id, type, cursor, org_id, subject, actor, data,
// created_at) and three headers: webhook-id (the event id, the same on every
// retry), webhook-timestamp (Unix seconds of this attempt) and
// webhook-signature ("v1," + base64 of HMAC-SHA256 keyed by the secret's
// bytes over id + "." + timestamp + "." + body). Receivers check them with
// Verify, or with any Standard Webhooks library:
//
//	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
//	if err := events.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
//		http.Error(w, "invalid signature", http.StatusUnauthorized)
//		return
//	}
//
// The sender refuses URLs on loopback, private, link-local and other internal
// addresses, both as written and after DNS resolution, so that whoever
// configures a webhook cannot reach the host's internal network through it;
// InsecureAllowPrivateTargets lifts this for development.
package events
