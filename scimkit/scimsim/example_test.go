package scimsim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// Rehearse an Okta rollout against onboardkit's own SCIM server.
func ExampleClient_FullSync() {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := memstore.New()
	now := time.Now()
	_ = st.CreateOrganization(ctx, &store.Organization{ID: "org_1", Name: "Example", CreatedAt: now, UpdatedAt: now})
	scim, _ := scimkit.New(scimkit.Config{Store: st, BaseURL: "https://app.example.com/scim", Logger: quiet})
	hs := httptest.NewServer(http.StripPrefix("/scim", scim))
	defer hs.Close()
	dir, _ := scim.CreateDirectory(ctx, "org_1", scimkit.DirectoryOptions{Provider: "okta", Active: true})
	token, _, _ := scim.CreateToken(ctx, dir.ID, scimkit.TokenOptions{})

	c, err := scimsim.New(scimsim.Config{BaseURL: hs.URL + "/scim/" + dir.ID, Token: token, Dialect: scimsim.Okta, Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := c.FullSync(ctx, scimsim.SyncSpec{Users: 12, Groups: 2, Domain: "example.com", Seed: 1, Deactivations: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("users created %d, groups created %d, members added %d, deactivated %d\n",
		rep.UsersCreated, rep.GroupsCreated, rep.MembersAdded, rep.UsersDeactivated)
	first := c.Log()[0]
	fmt.Println(first.Method, first.Path, first.Status)
	// Output:
	// users created 12, groups created 2, members added 14, deactivated 2
	// GET /Users?startIndex=1&count=2 200
}
