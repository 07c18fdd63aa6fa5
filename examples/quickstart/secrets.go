package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// secretsWarning is written into every demo secrets file.
const secretsWarning = "DEVELOPMENT ONLY: plaintext demo secrets of the onboardkit quickstart. " +
	"onboardkit itself stores only SHA-256 digests of links and tokens; this file exists so that a " +
	"restarted demo prints the same portal link and SCIM token and keeps the IdP simulator's key. " +
	"Never keep secrets like this in production. Delete this file to rotate them all on the next start."

// demoSecrets is the quickstart's secrets file, beside the database
// (<db>.demo-secrets.json, mode 0600). It holds plaintext secrets: the
// library never writes such a file, and a production host must not either.
type demoSecrets struct {
	// Warning says what the file is; always secretsWarning.
	Warning string `json:"warning"`
	// OrgID is the demo organization the link and token belong to.
	OrgID string `json:"organization_id,omitempty"`
	// PortalLinkToken is the token part of the shareable portal link
	// (<base>/portal/l/<token>).
	PortalLinkToken string `json:"portal_link_token,omitempty"`
	// SCIMToken is the bearer token of the demo directory.
	SCIMToken string `json:"scim_token,omitempty"`
	// IdPKeyPEM and IdPCertificatePEM are the IdP simulator's signing key
	// (PKCS #8) and certificate, so that the SAML connection, which pins
	// the certificate, stays configured and active across restarts.
	IdPKeyPEM         string `json:"idp_key_pem,omitempty"`
	IdPCertificatePEM string `json:"idp_certificate_pem,omitempty"`
}

// secretsPath is where the secrets of the database at dbPath are kept.
func secretsPath(dbPath string) string { return dbPath + ".demo-secrets.json" }

// loadSecrets reads the secrets file; a missing file gives empty secrets.
// warn reports a file readable by other users.
func loadSecrets(path string, warn func(msg string, args ...any)) (*demoSecrets, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &demoSecrets{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the demo secrets %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		warn("quickstart: the demo secrets file is readable by other users; it is rewritten with mode 0600", "path", path, "mode", fi.Mode().Perm().String())
	}
	var s demoSecrets
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading the demo secrets %s (delete it to start afresh): %w", path, err)
	}
	return &s, nil
}

// save writes the secrets atomically with mode 0600.
func (s *demoSecrets) save(path string) error {
	s.Warning = secretsWarning
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the demo secrets: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename, there is nothing to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("writing the demo secrets: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("writing the demo secrets: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the demo secrets: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing the demo secrets: %w", err)
	}
	return nil
}

// idpKeyPair returns the saved IdP simulator key and certificate, or a new
// pair (saved into s by the caller's next save) when there is none or it
// is unusable.
func (s *demoSecrets) idpKeyPair(now time.Time, warn func(msg string, args ...any)) (*rsa.PrivateKey, *x509.Certificate, error) {
	if s.IdPKeyPEM != "" || s.IdPCertificatePEM != "" {
		key, cert, err := parseIdPKeyPair(s.IdPKeyPEM, s.IdPCertificatePEM, now)
		if err == nil {
			return key, cert, nil
		}
		warn("quickstart: the saved IdP simulator key is unusable; generating a new one (the SAML connection will be tested again)", "err", err)
	}
	key, cert, err := newIdPKeyPair(now)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	s.IdPKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	s.IdPCertificatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	return key, cert, nil
}

func parseIdPKeyPair(keyPEM, certPEM string, now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	kb, _ := pem.Decode([]byte(keyPEM))
	if kb == nil || kb.Type != "PRIVATE KEY" {
		return nil, nil, errors.New("no PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("the key is not an RSA key")
	}
	cert, err := parseCertificatePEM(certPEM)
	if err != nil {
		return nil, nil, err
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, errors.New("the certificate is not the key's")
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, nil, errors.New("the certificate is outside its validity")
	}
	return key, cert, nil
}

// newIdPKeyPair makes an RSA-2048 key and a self-signed certificate valid
// for ten years.
func newIdPKeyPair(now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "quickstart IdP simulator"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return key, cert, nil
}

// digest is how onboardkit stores a link or token: its SHA-256.
func digest(secret string) []byte {
	d := sha256.Sum256([]byte(secret))
	return d[:]
}
