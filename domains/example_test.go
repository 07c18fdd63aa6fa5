package domains_test

import (
	"context"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

func ExampleParseEmail() {
	for _, addr := range []string{
		"Alice.Smith@Example.COM",
		"bob@Bücher.example",
		"a@evil.example@victim.example",
		"a@victim.example.",
		"guest_victim.example#EXT#@tenant.onmicrosoft.com",
	} {
		e, err := domains.ParseEmail(addr)
		if err != nil {
			fmt.Println("refused")
			continue
		}
		fmt.Println(e.Local, e.Domain)
	}
	// Output:
	// Alice.Smith example.com
	// bob xn--bcher-kva.example
	// refused
	// refused
	// refused
}

func ExampleRoute() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	now := time.Now()
	_ = st.CreateOrganization(ctx, &store.Organization{ID: "org_acme", Name: "Acme", CreatedAt: now, UpdatedAt: now})
	_ = st.CreateConnection(ctx, &store.Connection{
		ID: "conn_okta", OrgID: "org_acme", Protocol: store.ProtocolSAML, State: store.ConnectionActive,
		SAML: &store.SAMLConfig{IdPEntityID: "http://www.okta.com/exk1", SSOURL: "https://acme.okta.com/app/sso/saml"},
	})

	svc, err := domains.New(domains.Config{Store: st})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := svc.Add(ctx, "org_acme", "Acme.example", store.DomainDNSTXT, "portal:ses_1")
	if err != nil {
		fmt.Println(err)
		return
	}
	name, _ := svc.Record(d)
	fmt.Println("publish a TXT record at", name)

	// Until the domain is verified, nothing routes.
	_, err = domains.Route(ctx, st, "jane@acme.example")
	fmt.Println(err != nil)

	// An operator vouches for the domain (or the record is found by DNS).
	if _, err := svc.VerifyManually(ctx, d.ID, "operator:ann"); err != nil {
		fmt.Println(err)
		return
	}
	r, err := domains.Route(ctx, st, "Jane@ACME.example")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Email, r.OrgID, r.Connections[0].ID)

	// A subdomain is not covered unless added itself.
	_, err = domains.Route(ctx, st, "jane@eu.acme.example")
	fmt.Println(err)
	// Output:
	// publish a TXT record at _onboardkit-verification.acme.example
	// true
	// Jane@acme.example org_acme conn_okta
	// domains: no SSO for this email: domain eu.acme.example is not verified by any organization
}
