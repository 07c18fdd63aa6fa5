package seal

import (
	"context"

	"github.com/onboardkit/onboardkit/store"
)

// The associated data of a sealed value is "<kind>/<record id>/<field>",
// with these fields.
const (
	FieldSPKey             = "saml.sp_key"         // Connection.SAML.SPKeyPEM
	FieldClientSecret      = "oidc.client_secret"  // Connection.OIDC.ClientSecret
	FieldIDToken           = "id_token"            // Session.IDToken
	FieldServiceAccountKey = "service_account_key" // GoogleDirectory.Key
)

// AD returns the associated data of the field of a record.
func AD(kind, id, field string) string { return kind + "/" + id + "/" + field }

// field is one secret of a record: its associated data and where it is.
type field struct {
	ad string
	p  *string
}

// connFields lists c's secrets. With own set, c's SAML and OIDC are first
// replaced by copies, so that writing the fields changes no one else's.
func connFields(c *store.Connection, own bool) []field {
	var fs []field
	if c.SAML != nil {
		if own {
			saml := *c.SAML
			c.SAML = &saml
		}
		fs = append(fs, field{AD("connection", c.ID, FieldSPKey), &c.SAML.SPKeyPEM})
	}
	if c.OIDC != nil {
		if own {
			oidc := *c.OIDC
			c.OIDC = &oidc
		}
		fs = append(fs, field{AD("connection", c.ID, FieldClientSecret), &c.OIDC.ClientSecret})
	}
	return fs
}

func sessionFields(ses *store.Session) []field {
	return []field{{AD("session", ses.ID, FieldIDToken), &ses.IDToken}}
}

func (s *Sealer) sealFields(ctx context.Context, fs, prev []field) error {
	for _, f := range fs {
		old := ""
		for _, pf := range prev {
			if pf.ad == f.ad {
				old = *pf.p
			}
		}
		v, err := s.keep(ctx, *f.p, f.ad, old)
		if err != nil {
			return err
		}
		*f.p = v
	}
	return nil
}

func (s *Sealer) openFields(ctx context.Context, fs []field) error {
	for _, f := range fs {
		v, err := s.Open(ctx, *f.p, f.ad)
		if err != nil {
			return err
		}
		*f.p = v
	}
	return nil
}

func (s *Sealer) currentFields(fs []field) bool {
	for _, f := range fs {
		if !s.Current(*f.p) {
			return false
		}
	}
	return true
}

// SealConnection replaces the secrets of c (the SP private key, the OIDC
// client secret) by their sealed form. c's SAML and OIDC are replaced by
// copies first, so c must be the caller's own copy of the Connection value
// but may share its configs with others. prev, when not nil, is the stored
// (sealed) form of the same connection: an unchanged secret keeps its
// sealed value.
func (s *Sealer) SealConnection(ctx context.Context, c, prev *store.Connection) error {
	var pf []field
	if prev != nil {
		pf = connFields(prev, false)
	}
	return s.sealFields(ctx, connFields(c, true), pf)
}

// OpenConnection opens the secrets of c, a copy the caller owns entirely
// (configs included), in place.
func (s *Sealer) OpenConnection(ctx context.Context, c *store.Connection) error {
	return s.openFields(ctx, connFields(c, false))
}

// ConnectionCurrent reports whether every secret of the stored connection
// c is sealed under the primary key.
func (s *Sealer) ConnectionCurrent(c *store.Connection) bool {
	return s.currentFields(connFields(c, false))
}

// SealSession replaces ses.IDToken by its sealed form.
func (s *Sealer) SealSession(ctx context.Context, ses *store.Session) error {
	return s.sealFields(ctx, sessionFields(ses), nil)
}

// OpenSession opens ses.IDToken in place.
func (s *Sealer) OpenSession(ctx context.Context, ses *store.Session) error {
	return s.openFields(ctx, sessionFields(ses))
}

// SessionCurrent reports whether the stored session's ID token is sealed
// under the primary key.
func (s *Sealer) SessionCurrent(ses *store.Session) bool { return s.currentFields(sessionFields(ses)) }

// SealGoogle replaces g.Key by its sealed form. prev, when not nil, is the
// stored form: an unchanged key keeps its sealed value.
func (s *Sealer) SealGoogle(ctx context.Context, g, prev *store.GoogleDirectory) error {
	ad := AD("google_directory", g.DirectoryID, FieldServiceAccountKey)
	old := ""
	if prev != nil {
		old = string(prev.Key)
	}
	v, err := s.keep(ctx, string(g.Key), ad, old)
	if err != nil {
		return err
	}
	g.Key = bytesOrNil(v)
	return nil
}

// OpenGoogle opens g.Key in place.
func (s *Sealer) OpenGoogle(ctx context.Context, g *store.GoogleDirectory) error {
	v, err := s.Open(ctx, string(g.Key), AD("google_directory", g.DirectoryID, FieldServiceAccountKey))
	if err != nil {
		return err
	}
	g.Key = bytesOrNil(v)
	return nil
}

// GoogleCurrent reports whether the stored key is sealed under the primary
// key.
func (s *Sealer) GoogleCurrent(g *store.GoogleDirectory) bool { return s.Current(string(g.Key)) }

func bytesOrNil(v string) []byte {
	if v == "" {
		return nil
	}
	return []byte(v)
}

// resealFields reseals each field in place and reports whether any
// changed.
func (s *Sealer) resealFields(ctx context.Context, fs []field) (bool, error) {
	changed := false
	for _, f := range fs {
		v, ch, err := s.Reseal(ctx, *f.p, f.ad)
		if err != nil {
			return false, err
		}
		*f.p, changed = v, changed || ch
	}
	return changed, nil
}

// ResealConnection reseals the secrets of the stored connection c under
// the primary key, in place (c's SAML and OIDC are replaced by copies),
// and reports whether any changed.
func (s *Sealer) ResealConnection(ctx context.Context, c *store.Connection) (bool, error) {
	return s.resealFields(ctx, connFields(c, true))
}

// ResealSession reseals the stored session's ID token in place.
func (s *Sealer) ResealSession(ctx context.Context, ses *store.Session) (bool, error) {
	return s.resealFields(ctx, sessionFields(ses))
}

// ResealGoogle reseals the stored service-account key in place.
func (s *Sealer) ResealGoogle(ctx context.Context, g *store.GoogleDirectory) (bool, error) {
	v, ch, err := s.Reseal(ctx, string(g.Key), AD("google_directory", g.DirectoryID, FieldServiceAccountKey))
	if err == nil {
		g.Key = bytesOrNil(v)
	}
	return ch, err
}
