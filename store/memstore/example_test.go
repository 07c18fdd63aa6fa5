package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// A change and its event are one write; the event gets the next cursor of
// the outbox.
func Example() {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	st := memstore.New()
	defer st.Close()

	err := st.CreateOrganization(ctx,
		&store.Organization{ID: "org_1", Name: "Acme", ExternalID: "cust-42", CreatedAt: now, UpdatedAt: now},
		store.Event{ID: "evt_1", Type: "organization.created", OrgID: "org_1", Subject: "org_1", Actor: "system", CreatedAt: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	o, err := st.GetOrganizationByExternalID(ctx, "cust-42")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(o.ID, o.Name)

	err = st.CreateOrganization(ctx, &store.Organization{ID: "org_2", Name: "Copy", ExternalID: "cust-42", CreatedAt: now})
	fmt.Println(err)

	events, err := st.ListEvents(ctx, store.EventQuery{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range events {
		fmt.Println(e.Cursor, e.Type)
	}
	// Output:
	// org_1 Acme
	// store: already exists: organization external id "cust-42"
	// 1 organization.created
}
