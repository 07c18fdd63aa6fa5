package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// CertificateRenewer renews the IdP signing certificates of SAML
// connections: add the new certificate (both are trusted), then remove
// the old one. *ssokit.SSO is one; when Config.Connections implements it,
// the service offers the renewal. Implementations write their own events
// and return *ssokit.ConfigError for input their rules refuse.
type CertificateRenewer interface {
	AddCertificate(ctx context.Context, orgID, connectionID, certificate, actor string) (*store.Connection, error)
	RemoveCertificate(ctx context.Context, orgID, connectionID, thumbprint, actor string) (*store.Connection, error)
}

var _ CertificateRenewer = (*ssokit.SSO)(nil)

// ConnectionCertificates returns the IdP signing certificates the
// connection id trusts, with their expiry (nil for OIDC connections,
// whose keys rotate by themselves). ErrNotFound for an unknown id.
func (a *Admin) ConnectionCertificates(ctx context.Context, id string) ([]ssokit.CertificateInfo, error) {
	c, err := a.getConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	certs, err := ssokit.ConnectionCertificates(c)
	if err != nil {
		a.log.WarnContext(ctx, "admin: reading a connection's certificates", "connection_id", id, "err", err)
	}
	return certs, nil
}

// AddConnectionCertificate makes the SAML connection id trust one more
// IdP signing certificate (PEM), beside the ones it trusts: the first step
// of a renewal. ErrInvalidInput (field "certificate") for a certificate the
// SSO kit refuses; ErrNotConfigured when Config.Connections cannot renew.
func (a *Admin) AddConnectionCertificate(ctx context.Context, id, certificate, actor string) (*store.Connection, error) {
	return a.renewCertificate(ctx, id, func(r CertificateRenewer, orgID string) (*store.Connection, error) {
		return r.AddCertificate(ctx, orgID, id, certificate, actor)
	})
}

// RemoveConnectionCertificate stops the SAML connection id trusting the
// certificate with this SHA-256 thumbprint (hex): the last step of a
// renewal. The connection's only certificate, or one of its metadata, is
// refused with ErrInvalidInput.
func (a *Admin) RemoveConnectionCertificate(ctx context.Context, id, thumbprint, actor string) (*store.Connection, error) {
	return a.renewCertificate(ctx, id, func(r CertificateRenewer, orgID string) (*store.Connection, error) {
		return r.RemoveCertificate(ctx, orgID, id, thumbprint, actor)
	})
}

func (a *Admin) renewCertificate(ctx context.Context, id string, change func(CertificateRenewer, string) (*store.Connection, error)) (*store.Connection, error) {
	r, ok := a.cfg.Connections.(CertificateRenewer)
	if !ok {
		return nil, notConfigured("renewing certificates (Config.Connections)")
	}
	cur, err := a.getConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := change(r, cur.OrgID)
	var ce *ssokit.ConfigError
	switch {
	case errors.As(err, &ce):
		return nil, &AdminError{Kind: ErrInvalidInput, Field: ce.Field, Message: ce.Problem, Err: err}
	case errors.Is(err, ssokit.ErrConnectionNotFound), errors.Is(err, store.ErrNotFound):
		return nil, notFound("connection", id)
	case err != nil:
		return nil, fmt.Errorf("admin: renewing a certificate: %w", err)
	}
	out := *c
	redactConnection(&out)
	return &out, nil
}

func (a *Admin) getConnection(ctx context.Context, id string) (*store.Connection, error) {
	if strings.TrimSpace(id) == "" {
		return nil, invalidInput("id", "connection id is required")
	}
	c, err := a.st.GetConnection(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("connection", id)
	}
	if err != nil {
		return nil, fmt.Errorf("admin: loading connection: %w", err)
	}
	return c, nil
}
