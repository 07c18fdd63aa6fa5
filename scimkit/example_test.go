package scimkit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

func Example() {
	ctx := context.Background()
	st := memstore.New()
	_ = st.CreateOrganization(ctx, &store.Organization{ID: "org_1", Name: "Acme"})

	scim, err := scimkit.New(scimkit.Config{Store: st, BaseURL: "https://app.example.com/scim"})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", scim))

	// The portal creates a directory and a token, shown to the IT admin once.
	d, _ := scim.CreateDirectory(ctx, "org_1", scimkit.DirectoryOptions{Provider: "okta", Active: true})
	token, _, _ := scim.CreateToken(ctx, d.ID, scimkit.TokenOptions{})
	endpoint := scim.EndpointURL(d.ID)
	fmt.Println(strings.HasPrefix(endpoint, "https://app.example.com/scim/dir_"))

	// The IdP provisions a user.
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","active":true}`
	req := httptest.NewRequest("POST", "/scim/"+d.ID+"/Users", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.HasPrefix(rec.Header().Get("Location"), endpoint+"/Users/usr_"))

	state, _, _ := scimkit.UserStatus(ctx, st, "org_1", "BJensen@example.com")
	fmt.Println(state)
	// Output:
	// true
	// 201 true
	// active
}
