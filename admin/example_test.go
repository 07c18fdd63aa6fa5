package admin_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// The service: what the portal, the dashboard and the management API call,
// and what a host calls from its own code.
func ExampleAdmin() {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	svc, err := admin.New(admin.Config{
		Store:     memstore.New(),
		PortalURL: "https://app.example.com/portal",
		Now:       func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}

	org, err := svc.CreateOrganization(ctx, admin.OrganizationInput{Name: "MegaCorp", ExternalID: "cus_42"}, "operator:jane")
	if err != nil {
		log.Fatal(err)
	}
	link, err := svc.GenerateLink(ctx, org.ID, admin.LinkOptions{Features: []store.Feature{store.FeatureSSO}}, "operator:jane")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(link.URL, "https://app.example.com/portal/l/okp_"), link.ExpiresAt)

	color := "#0f766e"
	if _, err := svc.UpdateBranding(ctx, "", admin.BrandingUpdate{AccentColor: &color}, "operator:jane"); err != nil {
		log.Fatal(err)
	}
	bad := "teal"
	_, err = svc.UpdateBranding(ctx, "", admin.BrandingUpdate{AccentColor: &bad}, "operator:jane")
	fmt.Println(err)

	page, err := svc.ListEvents(ctx, admin.EventQuery{OrgID: org.ID})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range page.Events {
		fmt.Println(e.Cursor, e.Type, e.Actor)
	}
	// Output:
	// true 2026-03-09 09:00:00 +0000 UTC
	// admin: accent colour must be #RRGGBB, such as #3452c7
	// 1 organization.created operator:jane
	// 2 portal.link.created operator:jane
}
