package ssokit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

func TestStartLoginChooseConnectionError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	for _, c := range []store.Connection{
		{ID: "conn_b2", Name: "Backup", State: store.ConnectionActive, CreatedAt: testNow.Add(-time.Hour)},
		{ID: "conn_b3", Name: "Switched off", State: store.ConnectionInactive, CreatedAt: testNow.Add(-time.Hour)},
		{ID: "conn_b4", Name: "Draft", State: store.ConnectionDraft, CreatedAt: testNow.Add(-time.Hour)},
	} {
		c.OrgID, c.Protocol, c.Provider = testOrgB, store.ProtocolSAML, "generic"
		c.SAML = &store.SAMLConfig{IdPEntityID: "x-" + c.ID, SSOURL: "https://idp-b2.example.org/sso", Certificates: []string{idpB.CertPEM}}
		c.UpdatedAt = c.CreatedAt
		if err := e.st.CreateConnection(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name      string
		opts      StartOptions
		wantOrg   string   // "" when no *ChooseConnectionError is expected
		wantConns []string // ids offered, sorted
		wantErr   error
	}{
		{name: "by organization", opts: StartOptions{OrgID: testOrgB}, wantOrg: testOrgB, wantConns: []string{"conn_b2", connSAMLB}},
		{name: "by email", opts: StartOptions{Email: "jane@orgb.example"}, wantOrg: testOrgB, wantConns: []string{"conn_b2", connSAMLB}},
		{name: "by email, upper case domain", opts: StartOptions{Email: "jane@ORGB.example"}, wantOrg: testOrgB, wantConns: []string{"conn_b2", connSAMLB}},
		{name: "single connection starts", opts: StartOptions{OrgID: testOrg}},
		{name: "single connection by email starts", opts: StartOptions{Email: "jane@" + testDomain}},
		{name: "chosen connection starts", opts: StartOptions{OrgID: testOrgB, ConnectionID: "conn_b2"}},
		{name: "unknown domain", opts: StartOptions{Email: "jane@unknown.example"}, wantErr: ErrNoSSO},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptestRecorder()
			err := e.sso.StartLogin(w, newGet("/"), tc.opts)
			var choose *ChooseConnectionError
			gotChoose := errors.As(err, &choose)
			if gotChoose != (tc.wantOrg != "") || errors.Is(err, ErrChooseConnection) != (tc.wantOrg != "") {
				t.Fatalf("err %v: As %v, want a *ChooseConnectionError: %v", err, gotChoose, tc.wantOrg != "")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if tc.wantOrg == "" {
				if tc.wantErr == nil && err != nil {
					t.Fatalf("StartLogin: %v", err)
				}
				return
			}
			if choose.OrgID != tc.wantOrg {
				t.Errorf("OrgID %q, want %q", choose.OrgID, tc.wantOrg)
			}
			var ids []string
			for _, c := range choose.Connections {
				if c.State != store.ConnectionActive || c.OrgID != tc.wantOrg {
					t.Errorf("offered %s in state %s of %s", c.ID, c.State, c.OrgID)
				}
				ids = append(ids, c.ID)
			}
			slices.Sort(ids)
			if !slices.Equal(ids, tc.wantConns) {
				t.Errorf("connections %v, want %v", ids, tc.wantConns)
			}
			if !strings.Contains(err.Error(), tc.wantOrg) {
				t.Errorf("message %q lacks the organization", err)
			}
			if w.Body.Len() != 0 || len(w.Header()) != 0 || w.Code != 200 {
				t.Errorf("StartLogin wrote a response: %d %v %q", w.Code, w.Header(), w.Body)
			}
			// Wrapped by the host, it still matches both ways.
			wrapped := fmt.Errorf("login: %w", err)
			var again *ChooseConnectionError
			if !errors.Is(wrapped, ErrChooseConnection) || !errors.As(wrapped, &again) || again != choose {
				t.Errorf("wrapped error lost its identity: %v", wrapped)
			}
			// Starting again with an offered connection proceeds to the IdP.
			next := tc.opts
			next.ConnectionID = choose.Connections[0].ID
			w = httptestRecorder()
			if err := e.sso.StartLogin(w, newGet("/"), next); err != nil {
				t.Fatalf("StartLogin with the chosen connection: %v", err)
			}
		})
	}
	// The HTTP start endpoint offers exactly the active connections.
	w := e.browser().get("/start?email=jane@orgb.example")
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "connection=conn_b2") || !strings.Contains(body, "connection="+connSAMLB) ||
		strings.Contains(body, "conn_b3") || strings.Contains(body, "conn_b4") {
		t.Fatalf("chooser %d: %s", w.Code, body)
	}
	if !errors.Is(&ChooseConnectionError{}, ErrChooseConnection) || errors.Is(&ChooseConnectionError{}, ErrNoSSO) {
		t.Fatal("Is matches the wrong sentinel")
	}
}
