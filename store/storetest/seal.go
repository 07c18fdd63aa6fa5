package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
)

// SealedStore is a Store opened by the open function of RunSealing, with
// a view of what it keeps at rest.
type SealedStore struct {
	Store store.Store
	// Raw returns everything the Store keeps, as text: every column of
	// every row of every table for a database (byte columns as their
	// bytes, not hex), every field of every record for an in-memory
	// Store. A secret's plaintext must never appear in it.
	Raw func(t *testing.T) string
}

// RunSealing checks that the secrets a Store keeps (connection SP keys
// and client secrets, session ID tokens, Google service-account keys) are
// sealed at rest under the keyring it is opened with, and that the host
// key rotates without downtime. open opens the Store of one subtest with
// the keyring kr, or with none (InsecureUnsealed) when kr is nil; called
// again within the subtest it reopens the same data with the new keyring,
// as a restart with a new configuration does, and need not close the
// Store it returned before (the old one is no longer used).
func RunSealing(t *testing.T, open func(t *testing.T, kr seal.Keyring) SealedStore) {
	t.Run("SecretsSealedAtRest", func(t *testing.T) { sealedAtRest(t, open) })
	t.Run("KeyRotation", func(t *testing.T) { keyRotation(t, open) })
	t.Run("UnsealedRowsGetSealed", func(t *testing.T) { unsealedRowsGetSealed(t, open) })
}

func keyring(t *testing.T, ids ...string) seal.Keyring {
	t.Helper()
	var keys []seal.Key
	for _, id := range ids {
		// Each id names one fixed key in a test, so that the key "a" of a
		// reopened store is the key "a" it was sealed under.
		k := seal.Key{ID: id, Secret: []byte(strings.Repeat(id, seal.KeySize)[:seal.KeySize])}
		keys = append(keys, k)
	}
	kr, err := seal.NewAESKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// secrets are the plaintexts one subtest stores, unique to it.
type secrets struct {
	spKey, clientSecret, idToken, googleKey string
}

func newSecrets(t *testing.T) secrets {
	var b [8]byte
	rand.Read(b[:])
	n := hex.EncodeToString(b[:])
	return secrets{
		spKey:        "-----BEGIN PRIVATE KEY-----plaintext-sp-key-" + n,
		clientSecret: "plaintext-client-secret-" + n,
		idToken:      "eyJplaintext-id-token-" + n,
		googleKey:    `{"type":"service_account","private_key":"plaintext-google-key-` + n + `"}`,
	}
}

func (x secrets) all() []string { return []string{x.spKey, x.clientSecret, x.idToken, x.googleKey} }

// sealedPerStore is how many records storeSecrets writes with a secret:
// two connections, the session and its connection, the Google directory.
const sealedPerStore = 5

// sealedRecords are the ids of the records holding the secrets.
type sealedRecords struct {
	saml, oidc, session, dir string
	sessionDigest            []byte
}

// storeSecrets writes one record of each kind that holds a secret.
func storeSecrets(f *fixture, x secrets) sealedRecords {
	f.Helper()
	org := f.mkOrg()
	samlConn := f.mkConnWith(org.ID, store.ProtocolSAML, func(c *store.Connection) { c.SAML.SPKeyPEM = x.spKey })
	oidcConn := f.mkConnWith(org.ID, store.ProtocolOIDC, func(c *store.Connection) { c.OIDC.ClientSecret = x.clientSecret })
	ses := f.mkUserSession(org.ID, f.id("conn"), "", func(s *store.Session) { s.IDToken = x.idToken })
	dir := f.mkDir(org.ID)
	_, err := f.s.UpdateGoogleDirectory(f.ctx, dir.ID, func(g *store.GoogleDirectory) ([]store.Event, error) {
		g.Key, g.AdminEmail, g.UpdatedAt = []byte(x.googleKey), "admin@example.com", at(time.Minute)
		return nil, nil
	})
	f.ok(err, "UpdateGoogleDirectory")
	return sealedRecords{saml: samlConn.ID, oidc: oidcConn.ID, session: ses.ID, dir: dir.ID, sessionDigest: ses.Digest}
}

// checkSecrets reads every record back through every read method and
// wants the plaintexts.
func checkSecrets(f *fixture, r sealedRecords, x secrets) {
	f.Helper()
	c, err := f.s.GetConnection(f.ctx, r.saml)
	f.ok(err, "GetConnection (SAML)")
	f.equal("SP key read back", c.SAML.SPKeyPEM, x.spKey)
	c, err = f.s.GetConnection(f.ctx, r.oidc)
	f.ok(err, "GetConnection (OIDC)")
	f.equal("client secret read back", c.OIDC.ClientSecret, x.clientSecret)
	list, err := f.s.ListConnections(f.ctx, c.OrgID)
	f.ok(err, "ListConnections")
	for _, lc := range list {
		if lc.SAML != nil && lc.ID == r.saml {
			f.equal("ListConnections SP key", lc.SAML.SPKeyPEM, x.spKey)
		}
		if lc.OIDC != nil && lc.ID == r.oidc {
			f.equal("ListConnections client secret", lc.OIDC.ClientSecret, x.clientSecret)
		}
	}
	byProto, err := f.s.ListConnectionsByProtocol(f.ctx, store.ProtocolOIDC)
	f.ok(err, "ListConnectionsByProtocol")
	for _, lc := range byProto {
		if lc.ID == r.oidc {
			f.equal("ListConnectionsByProtocol client secret", lc.OIDC.ClientSecret, x.clientSecret)
		}
	}
	ses, err := f.s.GetSession(f.ctx, r.sessionDigest, at(time.Minute))
	f.ok(err, "GetSession")
	f.equal("ID token read back", ses.IDToken, x.idToken)
	sessions, err := f.s.ListSessions(f.ctx, store.SessionSelector{ID: r.session})
	f.ok(err, "ListSessions")
	if len(sessions) != 1 || sessions[0].IDToken != x.idToken {
		f.Fatalf("ListSessions: %d sessions, want 1 with the ID token", len(sessions))
	}
	g, err := f.s.GetGoogleDirectory(f.ctx, r.dir)
	f.ok(err, "GetGoogleDirectory")
	f.equal("service-account key read back", string(g.Key), x.googleKey)
	gs, err := f.s.ListGoogleDirectories(f.ctx)
	f.ok(err, "ListGoogleDirectories")
	for _, lg := range gs {
		if lg.DirectoryID == r.dir {
			f.equal("ListGoogleDirectories key", string(lg.Key), x.googleKey)
		}
	}
}

// noPlaintext fails when raw holds any of the secrets.
func noPlaintext(t *testing.T, raw string, what string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(raw, s) {
			t.Fatalf("%s: the raw storage holds the plaintext %q", what, s)
		}
	}
}

func sealedAtRest(t *testing.T, open func(*testing.T, seal.Keyring) SealedStore) {
	ss := open(t, keyring(t, "a"))
	f := newFixture(t, ss.Store)
	x := newSecrets(t)
	r := storeSecrets(f, x)
	checkSecrets(f, r, x)
	raw := ss.Raw(t)
	noPlaintext(t, raw, "after the writes", x.all()...)
	if n := strings.Count(raw, "sealed:v1:a:"); n < 4 {
		t.Fatalf("the raw storage holds %d values sealed under key a, want at least 4", n)
	}

	// An update that leaves a secret alone keeps it; one that changes it
	// seals the new value.
	c, err := f.s.UpdateConnection(f.ctx, r.saml, func(c *store.Connection) ([]store.Event, error) {
		if c.SAML.SPKeyPEM != x.spKey {
			return nil, errors.New("fn saw a sealed SP key")
		}
		c.Name = "renamed"
		return nil, nil
	})
	f.ok(err, "UpdateConnection")
	f.equal("SP key after an update", c.SAML.SPKeyPEM, x.spKey)
	newSecret := "plaintext-new-client-secret-" + r.oidc
	c, err = f.s.UpdateConnection(f.ctx, r.oidc, func(c *store.Connection) ([]store.Event, error) {
		c.OIDC.ClientSecret = newSecret
		return nil, nil
	})
	f.ok(err, "UpdateConnection")
	f.equal("new client secret", c.OIDC.ClientSecret, newSecret)
	g, err := f.s.UpdateGoogleDirectory(f.ctx, r.dir, func(g *store.GoogleDirectory) ([]store.Event, error) {
		if string(g.Key) != x.googleKey {
			return nil, errors.New("fn saw a sealed key")
		}
		g.LastError = "changed"
		return nil, nil
	})
	f.ok(err, "UpdateGoogleDirectory")
	f.equal("key after an update", string(g.Key), x.googleKey)
	noPlaintext(t, ss.Raw(t), "after the updates", append(x.all(), newSecret)...)

	// Nothing left to reseal under the primary key.
	n, err := f.s.ResealSecrets(f.ctx)
	f.ok(err, "ResealSecrets")
	f.equal("records resealed with nothing to do", n, 0)
}

func keyRotation(t *testing.T, open func(*testing.T, seal.Keyring) SealedStore) {
	x := newSecrets(t)
	f := newFixture(t, open(t, keyring(t, "a")).Store)
	r := storeSecrets(f, x)

	// The host configures [b, a]: what a sealed still opens, while new
	// values are sealed under b.
	ss := open(t, keyring(t, "b", "a"))
	f.s = ss.Store
	checkSecrets(f, r, x)
	y := newSecrets(t)
	r2 := storeSecrets(f, y)
	checkSecrets(f, r2, y)
	raw := ss.Raw(t)
	if !strings.Contains(raw, "sealed:v1:a:") || !strings.Contains(raw, "sealed:v1:b:") {
		t.Fatal("before the re-seal the raw storage should hold values under both keys")
	}

	n, err := f.s.ResealSecrets(f.ctx)
	f.ok(err, "ResealSecrets")
	f.equal("records resealed", n, sealedPerStore)
	n, err = f.s.ResealSecrets(f.ctx)
	f.ok(err, "ResealSecrets again")
	f.equal("records resealed the second time", n, 0)
	raw = ss.Raw(t)
	if strings.Contains(raw, "sealed:v1:a:") {
		t.Fatal("after the re-seal the raw storage still holds values sealed under key a")
	}
	noPlaintext(t, raw, "after the re-seal", append(x.all(), y.all()...)...)
	checkSecrets(f, r, x)

	// a is dropped: everything still opens.
	f.s = open(t, keyring(t, "b")).Store
	checkSecrets(f, r, x)
	checkSecrets(f, r2, y)

	// A keyring without b opens none of it, and says why.
	f.s = open(t, keyring(t, "c")).Store
	_, err = f.s.GetConnection(f.ctx, r.oidc)
	f.is(err, seal.ErrUnknownKey, "GetConnection without the key")
	_, err = f.s.GetGoogleDirectory(f.ctx, r.dir)
	f.is(err, seal.ErrUnknownKey, "GetGoogleDirectory without the key")
	_, err = f.s.ResealSecrets(f.ctx)
	f.is(err, seal.ErrUnknownKey, "ResealSecrets without the key")
}

func unsealedRowsGetSealed(t *testing.T, open func(*testing.T, seal.Keyring) SealedStore) {
	// Rows written without a keyring (or before sealing existed) hold
	// plaintext; a keyring opens them as they are and ResealSecrets seals
	// them.
	x := newSecrets(t)
	ss := open(t, nil)
	f := newFixture(t, ss.Store)
	r := storeSecrets(f, x)
	raw := ss.Raw(t)
	for _, s := range x.all() {
		if !strings.Contains(raw, s) {
			t.Fatalf("InsecureUnsealed: the raw storage lacks the plaintext %q", s)
		}
	}
	ss = open(t, keyring(t, "a"))
	f.s = ss.Store
	checkSecrets(f, r, x)
	n, err := f.s.ResealSecrets(f.ctx)
	f.ok(err, "ResealSecrets")
	f.equal("records sealed", n, sealedPerStore)
	noPlaintext(t, ss.Raw(t), "after the re-seal", x.all()...)
	checkSecrets(f, r, x)

	// A store without a keyring does not open what another sealed.
	f.s = open(t, nil).Store
	_, err = f.s.GetConnection(f.ctx, r.saml)
	f.is(err, seal.ErrNoKeyring, "GetConnection without a keyring")
}

// BenchSealing measures a warm connection read (GetConnection of a SAML
// connection with its SP key and an OIDC connection with its client
// secret) on a Store without a keyring ("unsealed", the baseline) and on
// one that seals ("sealed"): the opened values are cached, so the two
// should be within noise. open returns an empty Store with the keyring
// kr, or without one (InsecureUnsealed) when kr is nil.
func BenchSealing(b *testing.B, open func(b *testing.B, kr seal.Keyring) store.Store) {
	for _, mode := range []string{"unsealed", "sealed"} {
		b.Run(mode, func(b *testing.B) {
			var kr seal.Keyring
			if mode == "sealed" {
				kr = seal.NewEphemeralKeyring()
			}
			s := open(b, kr)
			ctx := b.Context()
			org := &store.Organization{ID: "org_bench", Name: "Bench", CreatedAt: t0, UpdatedAt: t0}
			if err := s.CreateOrganization(ctx, org); err != nil {
				b.Fatal(err)
			}
			ids := []string{"conn_saml", "conn_oidc"}
			for i, id := range ids {
				c := &store.Connection{ID: id, OrgID: org.ID, Protocol: store.ProtocolSAML, State: store.ConnectionActive, CreatedAt: t0, UpdatedAt: t0}
				if i == 0 {
					c.SAML = samlConfig()
					c.SAML.SPKeyPEM = strings.Repeat("k", 1700) // an RSA-2048 PKCS#8 PEM
				} else {
					c.Protocol, c.OIDC = store.ProtocolOIDC, oidcConfig()
				}
				if err := s.CreateConnection(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.GetConnection(ctx, ids[i%2]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
