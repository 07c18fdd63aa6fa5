package portal_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// The Go admin API: what the dashboard and the management API call.
func ExampleAdmin() {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p, err := portal.New(portal.Config{
		Store:   memstore.New(),
		BaseURL: "https://app.example.com/portal",
		Now:     func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	admin := p.Admin()

	org, err := admin.CreateOrganization(ctx, portal.OrganizationInput{Name: "MegaCorp", ExternalID: "cus_42"}, "operator:jane")
	if err != nil {
		log.Fatal(err)
	}
	link, err := admin.GenerateLink(ctx, org.ID, portal.LinkRequest{Features: []store.Feature{store.FeatureSSO}}, "operator:jane")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(link.URL, "https://app.example.com/portal/l/okp_"), link.ExpiresAt)

	color := "#0f766e"
	if _, err := admin.UpdateBranding(ctx, "", portal.BrandingUpdate{AccentColor: &color}, "operator:jane"); err != nil {
		log.Fatal(err)
	}
	bad := "teal"
	_, err = admin.UpdateBranding(ctx, "", portal.BrandingUpdate{AccentColor: &bad}, "operator:jane")
	fmt.Println(err)

	page, err := admin.ListEvents(ctx, portal.EventQuery{OrgID: org.ID})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range page.Events {
		fmt.Println(e.Cursor, e.Type, e.Actor)
	}
	// Output:
	// true 2026-03-09 09:00:00 +0000 UTC
	// portal: accent colour must be #RRGGBB, such as #3452c7
	// 1 organization.created operator:jane
	// 2 portal.link.created operator:jane
}

// The management API, mounted by the host, with a key made once.
func ExamplePortal_ManagementAPI() {
	p, err := portal.New(portal.Config{Store: memstore.New(), BaseURL: "https://app.example.com/portal"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/onboardkit/", http.StripPrefix("/api/onboardkit", p.ManagementAPI()))

	key, err := p.Admin().CreateAPIKey(context.Background(), "back office", "operator:jane")
	if err != nil {
		log.Fatal(err)
	}
	// key.Key is shown once: store it in the client's secrets.
	r := httptest.NewRequest(http.MethodPost, "/api/onboardkit/organizations", bytes.NewBufferString(`{"name": "MegaCorp", "external_id": "cus_42"}`))
	r.Header.Set("Authorization", "Bearer "+key.Key)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))

	r = httptest.NewRequest(http.MethodGet, "/api/onboardkit/organizations", nil)
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	// Output:
	// 201 application/json
	// 401 {"error":{"code":"unauthorized","message":"a valid API key is required: send Authorization: Bearer <key>"}}
}
