package scimsim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// BenchmarkFullSync provisions 200 users and 5 groups per iteration through
// scimkit on memstore over loopback HTTP, and reports users per second.
func BenchmarkFullSync(b *testing.B) {
	for _, d := range []scimsim.Dialect{scimsim.Okta, scimsim.Entra} {
		for _, conc := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/concurrency=%d", d, conc), func(b *testing.B) {
				ctx := context.Background()
				quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
				st := memstore.New()
				now := time.Now()
				if err := st.CreateOrganization(ctx, &store.Organization{ID: "org_b", Name: "Bench", CreatedAt: now, UpdatedAt: now}); err != nil {
					b.Fatal(err)
				}
				srv, err := scimkit.New(scimkit.Config{Store: st, BaseURL: "https://app.example.com/scim", Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				hs := httptest.NewServer(http.StripPrefix("/scim", srv))
				defer hs.Close()
				const users = 200
				for b.Loop() {
					dir, err := srv.CreateDirectory(ctx, "org_b", scimkit.DirectoryOptions{Provider: string(d), Active: true})
					if err != nil {
						b.Fatal(err)
					}
					token, _, err := srv.CreateToken(ctx, dir.ID, scimkit.TokenOptions{})
					if err != nil {
						b.Fatal(err)
					}
					c, err := scimsim.New(scimsim.Config{BaseURL: hs.URL + "/scim/" + dir.ID, Token: token, Dialect: d, Logger: quiet, MaxLogEntries: 1})
					if err != nil {
						b.Fatal(err)
					}
					rep, err := c.FullSync(ctx, scimsim.SyncSpec{Users: users, Groups: 5, Concurrency: conc})
					if err != nil || rep.UsersCreated != users {
						b.Fatalf("FullSync: %v %+v", err, rep)
					}
				}
				b.ReportMetric(float64(users*b.N)/b.Elapsed().Seconds(), "users/s")
			})
		}
	}
}
