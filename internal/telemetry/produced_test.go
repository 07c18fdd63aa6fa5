package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/internal/telemetry"
	"github.com/onboardkit/onboardkit/internal/telemetry/telemetrytest"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/ssokit/session"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
	"github.com/onboardkit/onboardkit/store/seal"
)

// TestEventsProducedByEveryKit has each kit write an event through a Store
// that counts onboardkit.events.produced, and checks the event is counted
// once, by its type: the counter and the outbox agree type by type.
func TestEventsProducedByEveryKit(t *testing.T) {
	const org = "org_telemetry"
	tests := []struct {
		kit  string
		want string // an event type the write produces
		// write produces events through st, on which org exists.
		write func(t *testing.T, st store.Store)
	}{
		{"admin", admin.EventOrganizationUpdated, func(t *testing.T, st store.Store) {
			a, err := admin.New(admin.Config{Store: st, PortalURL: "https://app.example.com/portal"})
			must(t, err)
			name := "Renamed"
			_, err = a.UpdateOrganization(t.Context(), org, admin.OrganizationUpdate{Name: &name}, "operator:1")
			must(t, err)
		}},
		{"domains", domains.EventCreated, func(t *testing.T, st store.Store) {
			d, err := domains.New(domains.Config{Store: st})
			must(t, err)
			_, err = d.Add(t.Context(), org, "example.com", store.DomainDNSTXT, "operator:1")
			must(t, err)
		}},
		{"gworkspace", scimkit.EventDirectoryCreated, func(t *testing.T, st store.Store) {
			g, err := gworkspace.New(gworkspace.Config{Store: st})
			must(t, err)
			_, err = g.CreateDirectory(t.Context(), org, gworkspace.DirectoryOptions{Name: "Google"})
			must(t, err)
		}},
		{"ssokit", ssokit.EventConnectionCreated, func(t *testing.T, st store.Store) {
			s, err := ssokit.New(ssokit.Config{Store: st, BaseURL: "https://app.example.com/sso",
				OnLogin: func(http.ResponseWriter, *http.Request, *ssokit.Profile) {}})
			must(t, err)
			_, err = s.CreateConnection(t.Context(), org, ssokit.NewConnection{Protocol: store.ProtocolOIDC}, "operator:1")
			must(t, err)
		}},
		{"ssokit/session", "session.started", func(t *testing.T, st store.Store) {
			m, err := session.New(session.Config{Store: st, LoginURL: "/sso/start"})
			must(t, err)
			must(t, st.CreateConnection(t.Context(), &store.Connection{ID: "conn_1", OrgID: org, Protocol: store.ProtocolOIDC,
				State: store.ConnectionActive, OIDC: &store.OIDCConfig{Issuer: "https://idp.example.com", ClientID: "c", Scopes: []string{"openid"}},
				CreatedAt: testTime, UpdatedAt: testTime}))
			r := httptest.NewRequest(http.MethodGet, "https://app.example.com/sso/acs", nil)
			_, err = m.Start(httptest.NewRecorder(), r, &ssokit.Profile{ID: "prof_1", OrgID: org, ConnectionID: "conn_1",
				Protocol: store.ProtocolOIDC, Subject: "sub-1", Email: "jane@example.com"})
			must(t, err)
		}},
		{"scimkit", scimkit.EventUserCreated, func(t *testing.T, st store.Store) {
			s, err := scimkit.New(scimkit.Config{Store: st, BaseURL: "https://app.example.com/scim"})
			must(t, err)
			d, err := s.CreateDirectory(t.Context(), org, scimkit.DirectoryOptions{Provider: "okta", Name: "Okta", Active: true})
			must(t, err)
			token, _, err := s.CreateToken(t.Context(), d.ID, scimkit.TokenOptions{})
			must(t, err)
			body, _ := json.Marshal(map[string]any{
				"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
				"userName": "jane@example.com",
			})
			r := httptest.NewRequest(http.MethodPost, "/"+d.ID+"/Users", bytes.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+token)
			r.Header.Set("Content-Type", "application/scim+json")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != http.StatusCreated {
				t.Fatalf("SCIM create: %d %s", w.Code, w.Body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kit, func(t *testing.T) {
			rec := telemetrytest.New(t)
			st, err := memstore.NewOptions(memstore.Options{Keyring: seal.NewEphemeralKeyring(), MeterProvider: rec.MeterProvider})
			must(t, err)
			// The organization is written without events: the counter
			// holds only what the kit produced.
			must(t, st.CreateOrganization(t.Context(), &store.Organization{ID: org, Name: "Acme",
				CreatedAt: testTime, UpdatedAt: testTime}))
			tt.write(t, st)

			outbox := map[string]int64{}
			evs, err := st.ListEvents(context.Background(), store.EventQuery{Limit: 1000})
			must(t, err)
			for _, e := range evs {
				outbox[e.Type]++
			}
			if outbox[tt.want] == 0 {
				t.Fatalf("no %s event in the outbox: %v", tt.want, outbox)
			}
			var total int64
			for typ, n := range outbox {
				if got := rec.Sum(t, telemetry.MetricEventsProduced, telemetry.EventType.String(typ)); got != n {
					t.Errorf("%s: counted %d, outbox holds %d", typ, got, n)
				}
				total += n
			}
			if got := rec.Sum(t, telemetry.MetricEventsProduced); got != total {
				t.Errorf("counted %d events in all, outbox holds %d", got, total)
			}
			rec.NoLeak(t, "jane@example.com", "jane")
		})
	}
}

// testTime is when the test's organization was created.
var testTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
