package mgmtapi_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/mgmtapi"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// The management API, mounted by the host, with a key made once.
func ExampleNew() {
	svc, err := admin.New(admin.Config{Store: memstore.New(), PortalURL: "https://app.example.com/portal"})
	if err != nil {
		log.Fatal(err)
	}
	api, err := mgmtapi.New(mgmtapi.Config{Admin: svc})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/onboardkit/", http.StripPrefix("/api/onboardkit", api))

	key, err := svc.CreateAPIKey(context.Background(), admin.APIKeyInput{Name: "back office"}, "operator:jane")
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
