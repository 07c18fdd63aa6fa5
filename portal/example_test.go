package portal_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// A host mounts the portal and, on every render of its settings page,
// generates an embedded link through the admin service.
func ExampleNew() {
	ctx := context.Background()
	st := memstore.New()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	err := st.CreateOrganization(ctx, &store.Organization{ID: "org_megacorp", Name: "MegaCorp", CreatedAt: now, UpdatedAt: now})
	if err != nil {
		log.Fatal(err)
	}

	svc, err := admin.New(admin.Config{
		Store:     st,
		PortalURL: "https://app.example.com/portal",
		Now:       func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	p, err := portal.New(portal.Config{
		Store:          st,
		Admin:          svc,
		FrameAncestors: []string{"https://app.example.com"},
		Now:            func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/portal/", http.StripPrefix("/portal", p))

	// A link to embed: generate one on every render of the page with the
	// iframe.
	link, err := svc.GenerateLink(ctx, "org_megacorp", admin.LinkOptions{
		Features: []store.Feature{store.FeatureSSO, store.FeatureDirSync},
		Embedded: true,
	}, "host:settings-page")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(link.URL, "https://app.example.com/portal/l/okp_"))
	fmt.Println(link.ExpiresAt)

	// A shareable link, to send by email: valid 7 days, revocable.
	shared, err := svc.GenerateLink(ctx, "org_megacorp", admin.LinkOptions{}, "operator:jane")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(shared.ExpiresAt)

	// In the host's template:
	// <iframe src="{{.URL}}" width="100%" height="600" frameborder="0" allow="clipboard-write"></iframe>
	_ = mux
	// Output:
	// true
	// 2026-03-02 09:01:00 +0000 UTC
	// 2026-03-09 09:00:00 +0000 UTC
}
