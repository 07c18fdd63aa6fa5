package ssokit

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// Event types of a certificate renewal.
const (
	// EventCertificateAdded: AddCertificate made a SAML connection trust one
	// more IdP signing certificate. Data: "certificate_thumbprint"
	// (SHA-256, hex), "subject", "not_after", "trusted" (how many
	// certificates the connection now trusts).
	EventCertificateAdded = "sso.connection.certificate_added"
	// EventCertificateRemoved: RemoveCertificate stopped trusting one. Data
	// as for EventCertificateAdded.
	EventCertificateRemoved = "sso.connection.certificate_removed"
)

// CertificateInfo describes one IdP signing certificate a SAML connection
// trusts.
type CertificateInfo struct {
	// Thumbprint is the certificate's SHA-256 fingerprint in hex, the
	// form the portal shows and RemoveCertificate takes.
	Thumbprint string
	Subject    string
	NotBefore  time.Time
	NotAfter   time.Time
	// FromMetadata reports a certificate read from the connection's IdP
	// metadata: it changes with the metadata (refreshed every hour from
	// a metadata URL) and cannot be removed on its own.
	FromMetadata bool
}

// Expired reports whether the certificate has expired at now.
func (ci CertificateInfo) Expired(now time.Time) bool { return !now.Before(ci.NotAfter) }

// ConnectionCertificates returns the IdP signing certificates a SAML
// connection trusts, those added by hand first, then those of its
// metadata, without repeats; nil for an OIDC connection (its keys come
// from the provider's JWKS and rotate by themselves). Stored metadata
// that no longer parses gives an error beside the certificates read.
func ConnectionCertificates(c *store.Connection) ([]CertificateInfo, error) {
	if c == nil || c.Protocol != store.ProtocolSAML || c.SAML == nil {
		return nil, nil
	}
	var out []CertificateInfo
	seen := map[string]int{} // thumbprint -> index in out
	add := func(crt *x509.Certificate, fromMetadata bool) {
		tp := thumbprint(crt)
		if i, ok := seen[tp]; ok {
			// Added by hand and in the metadata too: the metadata keeps
			// it trusted whatever is removed by hand, so it shows as the
			// metadata's.
			out[i].FromMetadata = out[i].FromMetadata || fromMetadata
			return
		}
		seen[tp] = len(out)
		out = append(out, CertificateInfo{Thumbprint: tp, Subject: crt.Subject.String(),
			NotBefore: crt.NotBefore.UTC(), NotAfter: crt.NotAfter.UTC(), FromMetadata: fromMetadata})
	}
	var firstErr error
	for i, p := range c.SAML.Certificates {
		crt, err := parseCertPEM(p)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("ssokit: certificate %d of %s: %w", i+1, c.ID, err)
			}
			continue
		}
		add(crt, false)
	}
	if c.SAML.MetadataXML != "" {
		// The metadata was checked when it was stored; this reads it back
		// only for its certificates.
		md, err := ParseIdPMetadata([]byte(c.SAML.MetadataXML), c.SAML.IdPEntityID, int64(len(c.SAML.MetadataXML))+1, true)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("ssokit: metadata of %s: %w", c.ID, err)
			}
		} else {
			for _, crt := range md.Certificates {
				add(crt, true)
			}
		}
	}
	return out, firstErr
}

// maxCertificates caps the certificates added by hand to one connection.
const maxCertificates = 8

// AddCertificate makes the SAML connection trust one more IdP signing
// certificate (PEM, or bare base64 DER), beside those it trusts already:
// the first step of a renewal, during which responses signed by the old
// or the new certificate are both accepted. The connection keeps its
// state (it trusts what it trusted before, and more, on the IT admin's
// word), and the change and its sso.connection.certificate_added event are
// one Store write. An expired, unparsable or already trusted certificate
// is a *ConfigError on field "certificate".
func (s *SSO) AddCertificate(ctx context.Context, orgID, connectionID, certificate, actor string) (*store.Connection, error) {
	certificate = strings.TrimSpace(certificate)
	if certificate == "" {
		return nil, configErr("certificate", "paste the new signing certificate", nil)
	}
	if len(certificate) > 64<<10 {
		return nil, configErr("certificate", "the certificate is too long (at most 64 KB)", nil)
	}
	crt, err := parseCertPEM(certificate)
	if err != nil {
		return nil, configErr("certificate", "this is not a PEM or base64 X.509 certificate", err)
	}
	if !s.now().Before(crt.NotAfter) {
		return nil, configErr("certificate", fmt.Sprintf("this certificate expired on %s; download the current one", crt.NotAfter.UTC().Format("2 Jan 2006")), nil)
	}
	tp := thumbprint(crt)
	return s.update(ctx, orgID, connectionID, func(c *store.Connection) ([]store.Event, error) {
		if c.Protocol != store.ProtocolSAML || c.SAML == nil {
			return nil, configErr("protocol", "this is not a SAML connection", nil)
		}
		have, _ := ConnectionCertificates(c)
		if slices.ContainsFunc(have, func(ci CertificateInfo) bool { return ci.Thumbprint == tp }) {
			return nil, configErr("certificate", "this connection already trusts this certificate", nil)
		}
		if len(c.SAML.Certificates) >= maxCertificates {
			return nil, configErr("certificate", fmt.Sprintf("a connection trusts at most %d certificates added by hand; remove an old one first", maxCertificates), nil)
		}
		c.SAML.Certificates = append(slices.Clone(c.SAML.Certificates), certPEM(crt))
		return s.certificateEvent(c, EventCertificateAdded, crt, actor, len(have)+1)
	})
}

// RemoveCertificate stops the SAML connection trusting the certificate
// whose SHA-256 thumbprint (hex, as in CertificateInfo) is given: the last
// step of a renewal. It refuses, with a *ConfigError on field
// "certificate", to remove the connection's only certificate or one that
// comes from its metadata. The change and its
// sso.connection.certificate_removed event are one Store write; from then
// on a response signed by that certificate is refused.
func (s *SSO) RemoveCertificate(ctx context.Context, orgID, connectionID, thumb, actor string) (*store.Connection, error) {
	thumb = strings.ToLower(strings.TrimSpace(thumb))
	return s.update(ctx, orgID, connectionID, func(c *store.Connection) ([]store.Event, error) {
		if c.Protocol != store.ProtocolSAML || c.SAML == nil {
			return nil, configErr("protocol", "this is not a SAML connection", nil)
		}
		have, _ := ConnectionCertificates(c)
		i := slices.IndexFunc(have, func(ci CertificateInfo) bool { return ci.Thumbprint == thumb })
		switch {
		case i < 0:
			return nil, configErr("certificate", "this connection does not trust that certificate", nil)
		case have[i].FromMetadata:
			return nil, configErr("certificate", "this certificate comes from your identity provider's metadata; upload fresh metadata to drop it", nil)
		case len(have) == 1:
			return nil, configErr("certificate", "this is the connection's only certificate; add the new one first", nil)
		}
		var crt *x509.Certificate
		kept := make([]string, 0, len(c.SAML.Certificates))
		for _, p := range c.SAML.Certificates {
			if x, err := parseCertPEM(p); err == nil && thumbprint(x) == thumb {
				crt = x
				continue
			}
			kept = append(kept, p)
		}
		c.SAML.Certificates = kept
		return s.certificateEvent(c, EventCertificateRemoved, crt, actor, len(have)-1)
	})
}

func (s *SSO) certificateEvent(c *store.Connection, typ string, crt *x509.Certificate, actor string, trusted int) ([]store.Event, error) {
	c.UpdatedAt = s.now().UTC()
	ev, err := s.event(typ, c.OrgID, c.ID, actorOr(actor), map[string]any{
		"certificate_thumbprint": thumbprint(crt), "subject": crt.Subject.String(),
		"not_after": crt.NotAfter.UTC(), "trusted": trusted,
	})
	if err != nil {
		return nil, err
	}
	return []store.Event{ev}, nil
}
