package store

import (
	"context"
	"fmt"
	"time"
)

// CleanupLease is the name of the lease Cleanup takes, so that one app
// instance at a time removes expired state.
const CleanupLease = "onboardkit.cleanup"

// DefaultEventRetention is how long events are kept when the host sets no
// retention of its own.
const DefaultEventRetention = 90 * 24 * time.Hour

// CleanupStore is what Cleanup needs from a Store. Every Store is one.
type CleanupStore interface {
	LeaseStore
	DeleteExpired(ctx context.Context, now time.Time) (int, error)
	DeleteEvents(ctx context.Context, before time.Time) (int, error)
}

// Cleanup is the retention work a host must have run periodically:
// ssokit's Run does it every hour. If holder takes (or renews) the lease
// CleanupLease until now+leaseFor, Cleanup removes the expired flow state
// of every kit (DeleteExpired: pending login requests, consumed assertion
// ids, portal sessions and links) and, when eventRetention is positive,
// the events created before now-eventRetention that every durable
// consumer has processed (DeleteEvents). It returns how many rows it
// removed; 0 when another instance holds the lease. The Store removes
// rows in short batches, so that the app's own writes go on meanwhile.
func Cleanup(ctx context.Context, st CleanupStore, holder string, now time.Time, leaseFor, eventRetention time.Duration) (int, error) {
	ok, err := st.AcquireLease(ctx, CleanupLease, holder, now, now.Add(leaseFor))
	if err != nil || !ok {
		return 0, err
	}
	n, err := st.DeleteExpired(ctx, now)
	if err != nil {
		return n, fmt.Errorf("deleting expired flow state: %w", err)
	}
	if eventRetention > 0 {
		m, err := st.DeleteEvents(ctx, now.Add(-eventRetention))
		n += m
		if err != nil {
			return n, fmt.Errorf("deleting old events: %w", err)
		}
	}
	return n, nil
}
