package domains

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func (e *testEnv) conn(t *testing.T, org, id string, state store.ConnectionState) {
	t.Helper()
	now := e.clock.Now()
	e.clock.Add(time.Second) // distinct CreatedAt for ordering
	err := e.st.CreateConnection(context.Background(), &store.Connection{
		ID: id, OrgID: org, Protocol: store.ProtocolSAML, Provider: "okta", Name: id, State: state,
		SAML:      &store.SAMLConfig{IdPEntityID: "https://idp.example/" + id, SSOURL: "https://idp.example/sso"},
		CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRoute(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	for _, o := range []string{"org_a", "org_b", "org_c"} {
		e.org(t, o)
	}
	verify := func(org, name string) {
		d := e.add(t, org, name)
		if _, err := e.svc.VerifyManually(ctx, d.ID, "operator:ann"); err != nil {
			t.Fatal(err)
		}
	}
	verify("org_a", "victim.com")
	verify("org_a", "xn--bcher-kva.example")
	verify("org_b", "other.com")
	e.add(t, "org_c", "pending.com")
	e.add(t, "org_c", "victim-sub.victim.com") // pending subdomain claim by another org
	e.conn(t, "org_a", "conn_a1", store.ConnectionActive)
	e.conn(t, "org_a", "conn_a2", store.ConnectionDraft)
	e.conn(t, "org_a", "conn_a3", store.ConnectionInactive)
	e.conn(t, "org_a", "conn_a4", store.ConnectionActive)
	e.conn(t, "org_b", "conn_b1", store.ConnectionTested)
	e.conn(t, "org_c", "conn_c1", store.ConnectionActive)

	for _, tc := range []struct {
		email string
		org   string // "" = error
		want  error
	}{
		{"alice@victim.com", "org_a", nil},
		{"Alice@VICTIM.COM", "org_a", nil},
		{"alice@BÜCHER.example", "org_a", nil},
		{"alice@xn--bcher-kva.example", "org_a", nil},
		{"alice@sub.victim.com", "", ErrNoSSO},        // subdomains are not covered
		{"alice@victim-sub.victim.com", "", ErrNoSSO}, // pending claim routes nothing
		{"alice@victim.com.evil.com", "", ErrNoSSO},   // suffix trick
		{"alice@evilvictim.com", "", ErrNoSSO},
		{"alice@other.com", "", ErrNoSSO},   // verified, no active connection
		{"alice@pending.com", "", ErrNoSSO}, // pending domain
		{"alice@gmail.com", "", ErrNoSSO},
		{"a@evil.com@victim.com", "", ErrInvalidEmail},
		{"alice@victim.com.", "", ErrInvalidEmail},
		{"Alice <alice@victim.com>", "", ErrInvalidEmail},
		{"alice_victim.com#EXT#@victim.com", "", ErrInvalidEmail},
		{"alice@vіctim.com", "", ErrInvalidEmail}, // Cyrillic і
		{"alice@victim.com\r\n", "", ErrInvalidEmail},
		{"", "", ErrInvalidEmail},
	} {
		r, err := Route(ctx, e.st, tc.email)
		if tc.org == "" {
			if !errors.Is(err, tc.want) || r != nil {
				t.Errorf("Route(%q) = %+v, %v; want %v", tc.email, r, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("Route(%q): %v", tc.email, err)
			continue
		}
		if r.OrgID != tc.org || r.Domain != r.Email.Domain || len(r.Connections) != 2 ||
			r.Connections[0].ID != "conn_a1" || r.Connections[1].ID != "conn_a4" {
			t.Errorf("Route(%q) = %+v", tc.email, r)
		}
	}

	for _, tc := range []struct{ email, org string }{
		{"Alice@Victim.com", "org_a"},
		{"alice@other.com", "org_b"},
		{"alice@sub.victim.com", ""},
		{"alice@pending.com", ""},
		{"alice@victim.com.evil.com", ""},
	} {
		e2, org, err := EmailOwner(ctx, e.st, tc.email)
		if err != nil || org != tc.org || e2.Domain == "" {
			t.Errorf("EmailOwner(%q) = %+v, %q, %v; want %q", tc.email, e2, org, err, tc.org)
		}
	}
	if _, _, err := EmailOwner(ctx, e.st, "a@evil.com@victim.com"); !errors.Is(err, ErrInvalidEmail) {
		t.Errorf("EmailOwner of a bad address: %v", err)
	}

	// Unverifying a domain stops routing at once.
	d, err := e.st.GetVerifiedDomain(ctx, "victim.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Remove(ctx, d.ID, "operator:ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := Route(ctx, e.st, "alice@victim.com"); !errors.Is(err, ErrNoSSO) {
		t.Errorf("Route after Remove = %v", err)
	}
}
