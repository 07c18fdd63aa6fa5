package pgstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/pgstore"
)

// BenchmarkInstances provisions users, each with its event as a SCIM
// create writes it, from 1 and from 4 Stores opened on one database (app
// instances: each its own pool), each Store with one client writing to an
// organization of its own. Compare users/s of instances=4 with
// instances=1. Meanwhile it samples pg_locks every 5ms and reports the
// most transactions seen waiting at once for one row (a tuple or a
// transaction id, as a row lock wait shows) and for the event numbering's
// advisory lock.
func BenchmarkInstances(b *testing.B) {
	testDSN(b)
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			// Every connection of the Stores carries this name, for the
			// sampler to count only their locks.
			app := fmt.Sprintf("okt_bench_%d_%d", n, time.Now().UnixNano())
			dsn := freshSchema(b) + "&application_name=" + app
			stores := make([]*pgstore.Store, n)
			for i := range stores {
				s, err := pgstore.Open(b.Context(), dsn, pgstore.Options{Keyring: testKeyring})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { s.Close() })
				stores[i] = s
				org := fmt.Sprintf("org_%d", i)
				if err := s.CreateOrganization(b.Context(), &store.Organization{ID: org, Name: org, CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
					b.Fatal(err)
				}
				if err := s.CreateDirectory(b.Context(), &store.Directory{ID: "dir_" + org, OrgID: org, State: store.DirectoryActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
					b.Fatal(err)
				}
			}
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx, stop := context.WithCancel(b.Context())
			samples := make(chan lockSample, 1)
			go func() { samples <- sampleLocks(ctx, db, app) }()
			var seq atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for i, s := range stores {
				wg.Go(func() {
					org := fmt.Sprintf("org_%d", i)
					for k := i; k < b.N; k += n {
						id := fmt.Sprintf("usr_%d_%d", i, seq.Add(1))
						now := time.Now()
						err := s.CreateDirectoryUser(context.Background(), &store.DirectoryUser{
							ID: id, DirectoryID: "dir_" + org, UserName: id + "@example.com", Active: true,
							Emails: []store.Email{{Value: id + "@example.com", Primary: true}}, CreatedAt: now, UpdatedAt: now,
						}, store.Event{ID: "evt_" + id, Type: "directory.user.created", OrgID: org, Subject: id, CreatedAt: now})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			stop()
			ls := <-samples
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "users/s")
			b.ReportMetric(float64(ls.maxRowWaiters), "max-row-lock-waiters")
			b.ReportMetric(float64(ls.maxAdvisoryWaiters), "max-advisory-waiters")
			b.Logf("%d pg_locks samples; waits seen: %v", ls.samples, ls.waits)
		})
	}
}

type lockSample struct {
	samples                           int
	maxRowWaiters, maxAdvisoryWaiters int
	waits                             map[string]int // lock type -> samples with a waiter
}

// sampleLocks reads the ungranted locks of the backends of application
// app in pg_locks until ctx ends.
func sampleLocks(ctx context.Context, db *sql.DB, app string) lockSample {
	ls := lockSample{waits: map[string]int{}}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ls
		case <-t.C:
		}
		rows, err := db.QueryContext(ctx, `SELECT locktype, COUNT(*) FROM pg_locks
WHERE NOT granted AND pid IN (SELECT pid FROM pg_stat_activity WHERE application_name = $1)
GROUP BY locktype, database, relation, page, tuple, transactionid, classid, objid, objsubid`, app)
		if err != nil {
			continue
		}
		ls.samples++
		for rows.Next() {
			var typ string
			var n int
			if rows.Scan(&typ, &n) != nil {
				break
			}
			ls.waits[typ]++
			switch typ {
			case "tuple", "transactionid":
				ls.maxRowWaiters = max(ls.maxRowWaiters, n)
			case "advisory":
				ls.maxAdvisoryWaiters = max(ls.maxAdvisoryWaiters, n)
			}
		}
		rows.Close()
	}
}
