package scimsim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/scimkit/scimsim"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// Mount the directory simulator's UI in a development app, next to
// onboardkit's SCIM server, with the app's directories listed on its page.
func ExampleNewUI() {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := memstore.New()
	now := time.Now()
	_ = st.CreateOrganization(ctx, &store.Organization{ID: "org_1", Name: "Example", CreatedAt: now, UpdatedAt: now})
	scim, _ := scimkit.New(scimkit.Config{Store: st, BaseURL: "http://localhost:8080/scim", Logger: quiet})
	dir, _ := scim.CreateDirectory(ctx, "org_1", scimkit.DirectoryOptions{Provider: "okta", Active: true})
	token, _, _ := scim.CreateToken(ctx, dir.ID, scimkit.TokenOptions{})

	ui, err := scimsim.NewUI(scimsim.UIConfig{
		Development: true, // required: a development tool
		Targets:     []scimsim.Target{{Name: "Example (Okta)", BaseURL: "http://localhost:8080/scim/" + dir.ID, Token: token}},
		Branding:    scimsim.Branding{Name: "Example app (dev)", AccentColor: "#0a7"},
		Logger:      quiet,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", scim))
	mux.Handle("/dev/scim/", http.StripPrefix("/dev/scim", ui))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/scim/", nil))
	page := rec.Body.String()
	fmt.Println(rec.Code, strings.Contains(page, scimsim.UIBanner), strings.Contains(page, "Example (Okta)"), strings.Contains(page, token))

	_, err = scimsim.NewUI(scimsim.UIConfig{})
	fmt.Println(errors.Is(err, scimsim.ErrNotDevelopment))
	// Output:
	// 200 true true false
	// true
}
