package ssokit

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testKey is an RSA key with a self-signed certificate.
type testKey struct {
	Key     *rsa.PrivateKey
	Cert    *x509.Certificate
	KeyPEM  string
	CertPEM string
}

func newTestKey(t testing.TB, cn string, notBefore, notAfter time.Time) *testKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return certFor(t, key, cn, notBefore, notAfter)
}

func certFor(t testing.TB, key *rsa.PrivateKey, cn string, notBefore, notAfter time.Time) *testKey {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	crt, _ := x509.ParseCertificate(der)
	return &testKey{
		Key:     key,
		Cert:    crt,
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}
}

func loadTestKey(t testing.TB, name string) *testKey {
	t.Helper()
	kb, err := os.ReadFile(filepath.Join("testdata", name+"-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := os.ReadFile(filepath.Join("testdata", name+"-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	key, crt, err := parseKeyPair(string(kb), string(cb))
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{Key: key, Cert: crt, KeyPEM: string(kb), CertPEM: string(cb)}
}

// loadRSAKey reads the checked-in private key testdata/<name>-key.pem.
func loadRSAKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+"-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("testdata/%s-key.pem is not PEM", name)
	}
	key, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatalf("testdata/%s-key.pem: %v", name, err)
	}
	return key
}

var (
	keysOnce                 sync.Once
	idpKey, idp2Key, evilKey *testKey
	spKey, expiredKey, idpB  *testKey
)

// keys returns the test keys: the IdP key of the fixtures (checked in under
// testdata, so fixtures stay verifiable), plus keys generated per run.
func keys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		idpKey = loadTestKey(t, "idp")
		nb, na := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
		// The other keys are checked in too (generating five RSA keys took
		// minutes in each worker of an instrumented fuzz binary); their
		// certificates are made here, with the validity each test needs.
		idp2Key = certFor(t, loadRSAKey(t, "idp-rotated"), "idp rotated", nb, na)
		evilKey = certFor(t, loadRSAKey(t, "attacker"), "attacker", nb, na)
		idpB = certFor(t, loadRSAKey(t, "tenant-b-idp"), "tenant B idp", nb, na)
		spKey = certFor(t, loadRSAKey(t, "sp"), "sp", nb, na)
		expiredKey = certFor(t, loadRSAKey(t, "expired-idp"), "expired idp", nb, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	})
}

// TestGenerateTestKey (re)creates the checked-in IdP key with -update when
// it is missing.
func TestGenerateTestKey(t *testing.T) {
	if !*update {
		t.Skip("run with -update to generate testdata keys")
	}
	if _, err := os.Stat(filepath.Join("testdata", "idp-key.pem")); err == nil {
		t.Skip("testdata/idp-key.pem exists")
	}
	k := newTestKey(t, "onboardkit test idp", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := os.WriteFile(filepath.Join("testdata", "idp-key.pem"), []byte(k.KeyPEM), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "idp-cert.pem"), []byte(k.CertPEM), 0o644); err != nil {
		t.Fatal(err)
	}
}
