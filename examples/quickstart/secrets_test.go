package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store/memstore"
)

func TestDemoSecretsReuseAndRotation(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "demo.db.demo-secrets.json")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := newApp(appConfig{Store: memstore.New(), BaseURL: "http://127.0.0.1:9", Logger: logger, SecretsPath: path})
	if err != nil {
		t.Fatal(err)
	}
	org, err := a.demoOrganization(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := a.demoDirectory(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name       string
		before     func(t *testing.T) // changes the Store before the restart
		wantReused bool
	}{
		{"first start issues", nil, false},
		{"restart reuses", nil, true},
		{"revoked elsewhere rotates", func(t *testing.T) {
			toks, err := a.scim.ListTokens(ctx, dir.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range toks {
				if tk.ActiveAt(time.Now()) {
					if err := a.scim.RevokeToken(ctx, dir.ID, tk.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
			l, err := a.store.GetPortalLinkByDigest(ctx, digest(a.secrets.PortalLinkToken))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.admin.RevokeLink(ctx, l.ID, "operator:test"); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"restart after rotation reuses", nil, true},
	}
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before(t)
			}
			prevToken, prevLink := a.secrets.SCIMToken, a.secrets.PortalLinkToken
			token, err := a.demoSCIMToken(ctx, dir.ID)
			if err != nil {
				t.Fatal(err)
			}
			link, expires, err := a.demoPortalLink(ctx, org.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (token == prevToken) != tc.wantReused || (link == prevLink) != tc.wantReused {
				t.Fatalf("token reused %v, link reused %v, want %v", token == prevToken, link == prevLink, tc.wantReused)
			}
			if !expires.After(time.Now()) || !strings.HasPrefix(link, "okp_") {
				t.Fatalf("link %q expires %v", link, expires)
			}
			// Only the new secrets are valid: exactly one active token and
			// one usable demo link.
			toks, err := a.scim.ListTokens(ctx, dir.ID)
			if err != nil {
				t.Fatal(err)
			}
			active := 0
			for _, tk := range toks {
				if tk.ActiveAt(time.Now()) {
					active++
				}
			}
			links, err := a.admin.ListLinks(ctx, org.ID)
			if err != nil {
				t.Fatal(err)
			}
			usable := 0
			for _, l := range links {
				if l.RevokedAt.IsZero() && time.Now().Before(l.ExpiresAt) {
					usable++
				}
			}
			if active != 1 || usable != 1 {
				t.Fatalf("%d active tokens, %d usable links, want 1 and 1", active, usable)
			}
			a.secrets.SCIMToken, a.secrets.PortalLinkToken = token, link
			if err := a.secrets.save(path); err != nil {
				t.Fatal(err)
			}
		})
	}

	// The file is private, marked, and holds what a restart needs.
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file %v: %v", fi, err)
	}
	s, err := loadSecrets(path, logger.Warn)
	if err != nil {
		t.Fatal(err)
	}
	if s.Warning != secretsWarning || s.SCIMToken != a.secrets.SCIMToken || s.PortalLinkToken != a.secrets.PortalLinkToken {
		t.Fatalf("loaded %+v", s)
	}
	key1, cert1, err := s.idpKeyPair(time.Now(), logger.Warn)
	if err != nil {
		t.Fatal(err)
	}
	if !cert1.Equal(a.idp.Certificate()) {
		t.Fatal("the simulator does not sign with the saved key")
	}
	key2, cert2, err := s.idpKeyPair(time.Now(), logger.Warn)
	if err != nil || !key1.Equal(key2) || !cert1.Equal(cert2) {
		t.Fatalf("the saved IdP key pair was not reused: %v", err)
	}
	// An unusable saved key pair is replaced, never used.
	s.IdPKeyPEM = strings.Replace(s.IdPKeyPEM, "PRIVATE KEY", "JUNK", 2)
	key3, _, err := s.idpKeyPair(time.Now(), logger.Warn)
	if err != nil || key3.Equal(key1) {
		t.Fatalf("a broken saved key was reused: %v", err)
	}
	// A corrupt file is an error, not a silent rotation.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSecrets(path, logger.Warn); err == nil {
		t.Fatal("a corrupt secrets file was accepted")
	}
	// A missing file means new secrets.
	if s, err := loadSecrets(filepath.Join(t.TempDir(), "none.json"), logger.Warn); err != nil || s.SCIMToken != "" {
		t.Fatalf("missing file: %+v, %v", s, err)
	}
}
