package admin_test

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/surfacetest"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

func withKits(c *surfacetest.Config) { c.Kits = true }

// idpCert is a PEM certificate an identity provider could sign with.
func idpCert(t *testing.T, now time.Time) string {
	t.Helper()
	_, cert, err := ssokit.NewSAMLKeyPair(rand.Reader, now, "idp.example.com")
	testkit.Must(t, err)
	return cert
}

// TestAdminConnectionSetup creates and configures a SAML connection
// through the service, as every surface does.
func TestAdminConnectionSetup(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, withKits)
	ctx := context.Background()
	a := h.Admin
	info, err := a.CreateConnection(ctx, h.Org.ID, admin.ConnectionInput{Protocol: store.ProtocolSAML, Provider: "okta", Name: "Okta SSO"}, "operator:jane")
	testkit.Must(t, err)
	c := info.Connection
	if c.State != store.ConnectionDraft || c.Name != "Okta SSO" || c.SAML == nil || c.SAML.SPKeyPEM != "" {
		t.Fatalf("created %+v", c)
	}
	if !strings.HasSuffix(info.ServiceProvider.ACSURL, "/sso/saml/"+c.ID+"/acs") || info.ClockSkew != 3*time.Minute {
		t.Errorf("service provider %+v, skew %s", info.ServiceProvider, info.ClockSkew)
	}
	if ev := h.LastEvent(ssokit.EventConnectionCreated); ev.Actor != "operator:jane" || ev.Subject != c.ID {
		t.Errorf("created event %+v", ev)
	}
	_, err = a.ConfigureSAMLManual(ctx, c.ID, ssokit.SAMLManual{EntityID: "https://idp.example.com", SSOURL: "idp.example.com/sso",
		Certificates: []string{idpCert(t, h.Clock.Now())}}, "operator:jane")
	var ae *admin.AdminError
	if !errors.As(err, &ae) || !errors.Is(err, admin.ErrInvalidInput) || ae.Field != "sso_url" {
		t.Fatalf("SSO URL without a scheme: %v", err)
	}
	info, err = a.ConfigureSAMLManual(ctx, c.ID, ssokit.SAMLManual{EntityID: "https://idp.example.com", SSOURL: "https://idp.example.com/sso",
		Certificates: []string{idpCert(t, h.Clock.Now())}}, "operator:jane")
	testkit.Must(t, err)
	if info.Connection.SAML.IdPEntityID != "https://idp.example.com" {
		t.Errorf("configured %+v", info.Connection.SAML)
	}
	if _, err := a.SetConnectionMapping(ctx, c.ID, map[string]string{"email": "mail"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ConfigureOIDC(ctx, c.ID, ssokit.OIDCSettings{Issuer: "https://idp.example.com", ClientID: "x"}, ""); !errors.Is(err, admin.ErrInvalidInput) {
		t.Errorf("OIDC settings on a SAML connection: %v", err)
	}
	// A draft connection cannot be enabled; it can be deleted.
	if _, err := a.EnableConnection(ctx, c.ID, ""); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("enable draft: %v", err)
	}
	testkit.Must(t, a.DeleteConnection(ctx, c.ID, "operator:jane"))
	if _, err := a.GetConnection(ctx, c.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("deleted connection: %v", err)
	}
	if err := a.DeleteConnection(ctx, c.ID, ""); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := a.CreateConnection(ctx, "org_nope", admin.ConnectionInput{Protocol: store.ProtocolSAML}, ""); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("unknown org: %v", err)
	}
	if _, err := a.CreateConnection(ctx, h.Org.ID, admin.ConnectionInput{Protocol: "ldap"}, ""); !errors.Is(err, admin.ErrInvalidInput) {
		t.Errorf("bad protocol: %v", err)
	}
}

// TestAdminSecurityOptions: weakening options change only through
// SetSecurityOptions, which records them.
func TestAdminSecurityOptions(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, withKits)
	ctx := context.Background()
	a := h.Admin
	info, err := a.CreateConnection(ctx, h.Org.ID, admin.ConnectionInput{Protocol: store.ProtocolSAML}, "")
	testkit.Must(t, err)
	id := info.Connection.ID
	before := h.EventCount()
	info, err = a.SetSecurityOptions(ctx, id, admin.SecurityOptions{InsecureAllowIdPInitiated: true, InsecureClockSkew: 10 * time.Minute}, "operator:jane")
	testkit.Must(t, err)
	if !info.Security.InsecureAllowIdPInitiated || info.ClockSkew != 10*time.Minute {
		t.Fatalf("options %+v, skew %s", info.Security, info.ClockSkew)
	}
	ev := h.LastEvent(ssokit.EventConnectionSecurityWeakened)
	if ev.Actor != "operator:jane" || !strings.Contains(string(ev.Data), "allow_idp_initiated") || !strings.Contains(string(ev.Data), "clock_skew") {
		t.Errorf("weakened event %+v %s", ev, ev.Data)
	}
	if h.EventCount() != before+2 {
		t.Errorf("%d events, want options_updated and security_weakened", h.EventCount()-before)
	}
	// The same options again change nothing.
	_, err = a.SetSecurityOptions(ctx, id, info.Security, "operator:jane")
	testkit.Must(t, err)
	if h.EventCount() != before+2 {
		t.Error("a no-op wrote events")
	}
	if _, err := a.SetSecurityOptions(ctx, id, admin.SecurityOptions{InsecureClockSkew: time.Hour}, ""); !errors.Is(err, admin.ErrInvalidInput) {
		t.Errorf("clock skew of an hour: %v", err)
	}
	oidc, err := a.CreateConnection(ctx, h.Org.ID, admin.ConnectionInput{Protocol: store.ProtocolOIDC}, "")
	testkit.Must(t, err)
	if _, err := a.SetSecurityOptions(ctx, oidc.Connection.ID, admin.SecurityOptions{SignRequests: true}, ""); !errors.Is(err, admin.ErrInvalidInput) {
		t.Errorf("SAML options on OIDC: %v", err)
	}
}

// TestAdminIdempotentCreates: a retried or concurrent creation with the same
// key creates one connection, directory or token.
func TestAdminIdempotentCreates(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, withKits)
	ctx := context.Background()
	a := h.Admin
	other := h.CreateOrg("org_other", "Other")

	var wg sync.WaitGroup
	conns := make([]*admin.ConnectionInfo, 8)
	for i := range conns {
		wg.Go(func() {
			info, err := a.CreateConnection(ctx, h.Org.ID, admin.ConnectionInput{Protocol: store.ProtocolOIDC, IdempotencyKey: "k1"}, "")
			if err != nil {
				t.Error(err)
				return
			}
			conns[i] = info
		})
	}
	wg.Wait()
	list, err := a.ListConnections(ctx, h.Org.ID)
	testkit.Must(t, err)
	if len(list) != 1 {
		t.Fatalf("%d connections after 8 calls with one key", len(list))
	}
	replays := 0
	for _, c := range conns {
		if c != nil && c.Connection.ID != list[0].ID {
			t.Errorf("call returned %s, not %s", c.Connection.ID, list[0].ID)
		}
		if c != nil && c.Replayed {
			replays++
		}
	}
	if replays != 7 {
		t.Errorf("%d replays, want 7", replays)
	}
	// The same key in another organization is another connection.
	oc, err := a.CreateConnection(ctx, other.ID, admin.ConnectionInput{Protocol: store.ProtocolOIDC, IdempotencyKey: "k1"}, "")
	testkit.Must(t, err)
	if oc.Replayed || oc.Connection.OrgID != other.ID {
		t.Errorf("other org: %+v", oc)
	}
	if _, err := a.CreateConnection(ctx, h.Org.ID, admin.ConnectionInput{Protocol: store.ProtocolOIDC, IdempotencyKey: "bad\nkey"}, ""); !errors.Is(err, admin.ErrInvalidInput) {
		t.Errorf("control character in key: %v", err)
	}

	nd, err := a.CreateDirectory(ctx, h.Org.ID, admin.DirectoryInput{Provider: "okta", IdempotencyKey: "d1"}, "operator:jane")
	testkit.Must(t, err)
	if !strings.HasPrefix(nd.Token, scimkit.TokenPrefix) || nd.Replayed || nd.Directory.Name != "Okta directory" || nd.Endpoint == "" {
		t.Fatalf("new directory %+v", nd)
	}
	again, err := a.CreateDirectory(ctx, h.Org.ID, admin.DirectoryInput{Provider: "okta", IdempotencyKey: "d1"}, "operator:jane")
	testkit.Must(t, err)
	if !again.Replayed || again.Token != "" || again.Directory.ID != nd.Directory.ID || again.TokenInfo.ID != nd.TokenInfo.ID {
		t.Fatalf("replayed directory %+v", again)
	}
	dirs, err := a.ListDirectories(ctx, h.Org.ID)
	testkit.Must(t, err)
	toks, err := a.ListDirectoryTokens(ctx, nd.Directory.ID)
	testkit.Must(t, err)
	if len(dirs) != 1 || len(toks) != 1 || toks[0].Digest != nil {
		t.Fatalf("%d directories, %d tokens", len(dirs), len(toks))
	}
	if ev := h.LastEvent(scimkit.EventDirectoryCreated); ev.Actor != "operator:jane" {
		t.Errorf("directory.created actor %q", ev.Actor)
	}

	t1, err := a.CreateDirectoryToken(ctx, nd.Directory.ID, admin.TokenInput{IdempotencyKey: "t1"}, "")
	testkit.Must(t, err)
	t2, err := a.CreateDirectoryToken(ctx, nd.Directory.ID, admin.TokenInput{IdempotencyKey: "t1"}, "")
	testkit.Must(t, err)
	if t1.Token == "" || !t2.Replayed || t2.Token != "" || t2.TokenInfo.ID != t1.TokenInfo.ID {
		t.Fatalf("token replay: %+v %+v", t1, t2)
	}
	// Two are active: a third is refused until one is revoked.
	if _, err := a.CreateDirectoryToken(ctx, nd.Directory.ID, admin.TokenInput{}, ""); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("third token: %v", err)
	}
	testkit.Must(t, a.RevokeDirectoryToken(ctx, nd.Directory.ID, nd.TokenInfo.ID, "operator:jane"))
	testkit.Must(t, a.RevokeDirectoryToken(ctx, nd.Directory.ID, nd.TokenInfo.ID, "operator:jane"))
	if ev := h.LastEvent(scimkit.EventTokenRevoked); ev.Actor != "operator:jane" {
		t.Errorf("token.revoked actor %q", ev.Actor)
	}
	if err := a.RevokeDirectoryToken(ctx, nd.Directory.ID, "dtok_nope", ""); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	if _, err := a.CreateDirectoryToken(ctx, nd.Directory.ID, admin.TokenInput{}, ""); err != nil {
		t.Errorf("token after a revocation: %v", err)
	}
	if _, err := a.CreateDirectory(ctx, h.Org.ID, admin.DirectoryInput{Provider: "ldap"}, ""); !errors.Is(err, admin.ErrInvalidInput) {
		t.Errorf("bad provider: %v", err)
	}
	detail, err := a.GetDirectory(ctx, nd.Directory.ID)
	testkit.Must(t, err)
	if len(detail.Tokens) != 3 || detail.Endpoint != nd.Endpoint {
		t.Errorf("detail: %d tokens, endpoint %q", len(detail.Tokens), detail.Endpoint)
	}
}

// TestAdminTestLink: a test link is redeemed once and its outcome read
// back from the events.
func TestAdminTestLink(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, withKits)
	ctx := context.Background()
	a := h.Admin
	info, err := a.CreateConnection(ctx, h.Org.ID, admin.ConnectionInput{Protocol: store.ProtocolSAML}, "")
	testkit.Must(t, err)
	l, err := a.CreateTestLink(ctx, info.Connection.ID, admin.TestLinkOptions{ReturnTo: "/dashboard/x"})
	testkit.Must(t, err)
	if !strings.HasPrefix(l.URL, surfacetest.PortalURL+"/sso/test/"+admin.TestTicketPrefix) || !l.ExpiresAt.After(h.Clock.Now()) {
		t.Fatalf("link %+v", l)
	}
	ticket := l.URL[strings.LastIndex(l.URL, "/")+1:]
	lr, err := a.RedeemTestLink(ctx, ticket)
	testkit.Must(t, err)
	if !lr.Test || lr.ConnectionID != info.Connection.ID || lr.ReturnTo != "/dashboard/x" {
		t.Errorf("redeemed %+v", lr)
	}
	if _, err := a.RedeemTestLink(ctx, ticket); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("second redemption: %v", err)
	}
	l2, err := a.CreateTestLink(ctx, info.Connection.ID, admin.TestLinkOptions{})
	testkit.Must(t, err)
	h.Clock.Add(admin.TestLinkTTL + time.Second)
	if _, err := a.RedeemTestLink(ctx, l2.URL[strings.LastIndex(l2.URL, "/")+1:]); !errors.Is(err, admin.ErrNotFound) || !errors.Is(err, store.ErrExpired) {
		t.Errorf("expired: %v", err)
	}
	res, err := a.TestResult(ctx, info.Connection.ID, l.After)
	if err != nil || res != nil {
		t.Errorf("result before any test: %+v %v", res, err)
	}
}

// TestAdminListEventsLatest: after=latest starts at the newest event.
func TestAdminListEventsLatest(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	page, err := h.Admin.ListEvents(ctx, admin.EventQuery{Latest: true})
	testkit.Must(t, err)
	if len(page.Events) != 0 || page.NextCursor != h.EventCount() || page.NextCursor == 0 {
		t.Fatalf("latest page %+v, last cursor %d", page, h.EventCount())
	}
	if _, err := h.Admin.CreateOrganization(ctx, admin.OrganizationInput{Name: "New"}, ""); err != nil {
		t.Fatal(err)
	}
	next, err := h.Admin.ListEvents(ctx, admin.EventQuery{After: page.NextCursor, Types: []string{"organization"}})
	testkit.Must(t, err)
	if len(next.Events) != 1 || next.Events[0].Type != admin.EventOrganizationCreated {
		t.Errorf("after latest: %+v", next.Events)
	}
}

// TestAdminIdempotentOrgLinkKey: an organization, a portal link or an API
// key created twice (or concurrently) with one idempotency key is created
// once; the replay carries no secret.
func TestAdminIdempotentOrgLinkKey(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, withKits)
	ctx := context.Background()
	a := h.Admin

	var wg sync.WaitGroup
	orgs := make([]*store.Organization, 6)
	for i := range orgs {
		wg.Go(func() {
			o, err := a.CreateOrganization(ctx, admin.OrganizationInput{Name: "Globex", ExternalID: "gx", IdempotencyKey: "o1"}, "")
			if err != nil {
				t.Error(err)
				return
			}
			orgs[i] = o
		})
	}
	wg.Wait()
	page, err := a.ListOrganizations(ctx, admin.OrganizationQuery{Search: "Globex"})
	testkit.Must(t, err)
	if len(page.Organizations) != 1 {
		t.Fatalf("%d organizations after 6 calls with one key", len(page.Organizations))
	}
	for _, o := range orgs {
		if o != nil && o.ID != page.Organizations[0].Organization.ID {
			t.Errorf("call returned %s, not %s", o.ID, page.Organizations[0].Organization.ID)
		}
	}
	// Without a key, the taken external id is still a conflict.
	if _, err := a.CreateOrganization(ctx, admin.OrganizationInput{Name: "Globex", ExternalID: "gx"}, ""); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("second organization with the external id: %v", err)
	}

	l1, err := a.GenerateLink(ctx, h.Org.ID, admin.LinkOptions{IdempotencyKey: "l1"}, "")
	testkit.Must(t, err)
	l2, err := a.GenerateLink(ctx, h.Org.ID, admin.LinkOptions{IdempotencyKey: "l1"}, "")
	testkit.Must(t, err)
	if l1.URL == "" || l1.Replayed || !l2.Replayed || l2.URL != "" || l2.ID != l1.ID || !l2.ExpiresAt.Equal(l1.ExpiresAt) {
		t.Fatalf("link replay: %+v %+v", l1, l2)
	}
	// The same key in another organization is another link.
	other := h.CreateOrg("org_other", "Other")
	l3, err := a.GenerateLink(ctx, other.ID, admin.LinkOptions{IdempotencyKey: "l1"}, "")
	testkit.Must(t, err)
	if l3.Replayed || l3.ID == l1.ID {
		t.Fatalf("other organization's link %+v", l3)
	}

	k1, err := a.CreateAPIKey(ctx, admin.APIKeyInput{Name: "ci", IdempotencyKey: "k1"}, "")
	testkit.Must(t, err)
	k2, err := a.CreateAPIKey(ctx, admin.APIKeyInput{Name: "ci", IdempotencyKey: "k1"}, "")
	testkit.Must(t, err)
	if k1.Key == "" || k1.Replayed || !k2.Replayed || k2.Key != "" || k2.APIKey.ID != k1.APIKey.ID || k2.APIKey.Digest != nil {
		t.Fatalf("key replay: %+v %+v", k1, k2)
	}
	keys, err := a.ListAPIKeys(ctx)
	testkit.Must(t, err)
	if n := len(slices.DeleteFunc(keys, func(k store.APIKey) bool { return k.Name != "ci" })); n != 1 {
		t.Fatalf("%d keys named ci", n)
	}
}

// TestAdminEventsNewestFirst: NewestFirst pages go from the newest event
// down, each page's NextCursor the Before of the next, filters applied.
func TestAdminEventsNewestFirst(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	a := h.Admin
	for range 5 {
		h.Link(h.Org.ID, admin.LinkOptions{}, "")
	}
	last, err := h.Store.LastEventCursor(ctx)
	testkit.Must(t, err)
	var got []int64
	before := int64(0)
	for {
		page, err := a.ListEvents(ctx, admin.EventQuery{NewestFirst: true, Before: before, Types: []string{"portal.link"}, OrgID: h.Org.ID, Limit: 2})
		testkit.Must(t, err)
		for _, e := range page.Events {
			got = append(got, e.Cursor)
		}
		if !page.HasMore {
			break
		}
		before = page.NextCursor
	}
	if len(got) != 5 || got[0] != last {
		t.Fatalf("newest first %v, newest %d", got, last)
	}
	for i := 1; i < len(got); i++ {
		if got[i] >= got[i-1] {
			t.Fatalf("not newest first: %v", got)
		}
	}
	if _, err := a.ListEvents(ctx, admin.EventQuery{NewestFirst: true, Types: []string{"Bad Type"}}); !errors.Is(err, admin.ErrInvalidInput) {
		t.Errorf("a bad type: %v", err)
	}
	if _, err := a.ListEvents(ctx, admin.EventQuery{NewestFirst: true, Before: -1}); !errors.Is(err, admin.ErrInvalidInput) {
		t.Errorf("a negative cursor: %v", err)
	}
}

// TestAdminIdempotentDomainAdd: concurrent adds with one key add one
// domain; another key is a second add, refused while the domain is there
// and accepted at once after its removal.
func TestAdminIdempotentDomainAdd(t *testing.T) {
	t.Parallel()
	h := surfacetest.New(t, nil)
	ctx := context.Background()
	a := h.Admin
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			di, err := a.AddDomain(ctx, h.Org.ID, admin.DomainInput{Name: "Acme.example", IdempotencyKey: "k1"}, "")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = di.Domain.ID
		})
	}
	wg.Wait()
	doms, err := a.ListDomains(ctx, h.Org.ID)
	testkit.Must(t, err)
	if len(doms) != 1 {
		t.Fatalf("%d domains after 8 adds with one key", len(doms))
	}
	for _, id := range ids {
		if id != doms[0].Domain.ID {
			t.Errorf("an add returned %q, not %q", id, doms[0].Domain.ID)
		}
	}
	if _, err := a.AddDomain(ctx, h.Org.ID, admin.DomainInput{Name: "acme.example", IdempotencyKey: "k2"}, ""); !errors.Is(err, admin.ErrConflict) || !errors.Is(err, domains.ErrAlreadyAdded) {
		t.Fatalf("a second add under another key: %v", err)
	}
	testkit.Must(t, a.RemoveDomain(ctx, doms[0].Domain.ID, ""))
	again, err := a.AddDomain(ctx, h.Org.ID, admin.DomainInput{Name: "acme.example", IdempotencyKey: "k3"}, "")
	testkit.Must(t, err)
	if again.Domain.ID == doms[0].Domain.ID || again.Domain.State != store.DomainPending {
		t.Errorf("re-added domain %+v", again.Domain)
	}
	if _, err := a.AddDomain(ctx, h.Org.ID, admin.DomainInput{Name: "b.example", IdempotencyKey: "bad\nkey"}, ""); !errors.Is(err, admin.ErrInvalidInput) {
		t.Errorf("control character in key: %v", err)
	}
}
