package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// connConfig is the JSON document of a connection's protocol settings,
// which are read and written whole and never queried.
type connConfig struct {
	SAML             *store.SAMLConfig `json:"saml,omitempty"`
	OIDC             *store.OIDCConfig `json:"oidc,omitempty"`
	AttributeMapping map[string]string `json:"attribute_mapping"`
}

func encodeConnConfig(c *store.Connection) ([]byte, error) {
	cfg := connConfig{OIDC: c.OIDC, AttributeMapping: c.AttributeMapping}
	if c.SAML != nil {
		saml := *c.SAML
		saml.MetadataFetchedAt = norm(saml.MetadataFetchedAt)
		cfg.SAML = &saml
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, invalid("connection: encoding config: %v", err)
	}
	return b, nil
}

const connCols = `id, org_id, protocol, provider, name, state, config, allow_email_outside_domains, tested_at, version, created_at, updated_at`

func scanConn(r interface{ Scan(...any) error }) (store.Connection, error) {
	var c store.Connection
	var cfg []byte
	if err := r.Scan(&c.ID, &c.OrgID, &c.Protocol, &c.Provider, &c.Name, &c.State, bc(&cfg), &c.AllowEmailOutsideDomains,
		tc(&c.TestedAt), &c.Version, tc(&c.CreatedAt), tc(&c.UpdatedAt)); err != nil {
		return c, err
	}
	var doc connConfig
	if err := json.Unmarshal(cfg, &doc); err != nil {
		return c, fmt.Errorf("sqlstore: connection %s: decoding config: %w", c.ID, err)
	}
	c.SAML, c.OIDC, c.AttributeMapping = doc.SAML, doc.OIDC, doc.AttributeMapping
	return c, nil
}

func scanConnRows(r *sql.Rows) (store.Connection, error) { return scanConn(r) }

// clonePtr returns a pointer to a copy of *p, nil for nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// CreateConnection stores c and its events.
func (s *Store) CreateConnection(ctx context.Context, c *store.Connection, events ...Event) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	sealed := *c
	if err := s.sealer.SealConnection(ctx, &sealed, nil); err != nil {
		return err
	}
	cfg, err := encodeConnConfig(&sealed)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(t *tx) error {
		if _, err := t.exec(`INSERT INTO connections (`+connCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.OrgID, string(c.Protocol), c.Provider, c.Name, string(c.State), cfg, c.AllowEmailOutsideDomains,
			s.nt(c.TestedAt), 1, s.t(c.CreatedAt), s.t(c.UpdatedAt)); err != nil {
			return s.wrap(err)
		}
		_, err := t.appendEvents(events)
		return err
	})
	if err != nil {
		return err
	}
	c.Version = 1
	return nil
}

// GetConnection returns the connection with id.
func (s *Store) GetConnection(ctx context.Context, id string) (*store.Connection, error) {
	if id == "" {
		return nil, invalid("connection id is required")
	}
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	c, err := scanConn(r.queryRow(ctx, `SELECT `+connCols+` FROM connections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("connection")
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	if err := s.sealer.OpenConnection(ctx, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func (s *Store) listConns(ctx context.Context, q string, arg string) ([]store.Connection, error) {
	r, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, q, arg)
	out, err := collectRows(rows, err, scanConnRows)
	if err != nil {
		return nil, s.wrap(err)
	}
	for i := range out {
		if err := s.sealer.OpenConnection(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	if out == nil {
		out = []store.Connection{}
	}
	return out, nil
}

// ListConnections returns the organization's connections.
func (s *Store) ListConnections(ctx context.Context, orgID string) ([]store.Connection, error) {
	if orgID == "" {
		return nil, invalid("organization id is required")
	}
	return s.listConns(ctx, `SELECT `+connCols+` FROM connections WHERE org_id = ? ORDER BY created_at, id`, orgID)
}

// ListConnectionsByProtocol returns every connection of protocol p.
func (s *Store) ListConnectionsByProtocol(ctx context.Context, p store.Protocol) ([]store.Connection, error) {
	if !p.Valid() {
		return nil, invalid("unknown protocol %q", p)
	}
	return s.listConns(ctx, `SELECT `+connCols+` FROM connections WHERE protocol = ? ORDER BY id`, string(p))
}

// UpdateConnection changes the connection id with fn.
func (s *Store) UpdateConnection(ctx context.Context, id string, fn func(*store.Connection) ([]Event, error)) (*store.Connection, error) {
	if err := updateArgs("connection", id, fn); err != nil {
		return nil, err
	}
	var out *store.Connection
	err := s.write(ctx, func(t *tx) error {
		cur, err := lockRow(t, "connection", `SELECT `+connCols+` FROM connections WHERE id = ?`, id, scanConn)
		if err != nil {
			return err
		}
		raw := cur
		raw.SAML, raw.OIDC = clonePtr(cur.SAML), clonePtr(cur.OIDC)
		if err := s.sealer.OpenConnection(ctx, &cur); err != nil {
			return err
		}
		c, events, err := edit(cur, fn, func(cur, c *store.Connection) bool {
			return c.ID == cur.ID && c.OrgID == cur.OrgID && c.CreatedAt.Equal(cur.CreatedAt) && c.Version == cur.Version
		}, "connection: ID, OrgID, CreatedAt and Version cannot change")
		if err != nil {
			return err
		}
		sealed := c
		if err := s.sealer.SealConnection(ctx, &sealed, &raw); err != nil {
			return err
		}
		cfg, err := encodeConnConfig(&sealed)
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE connections SET protocol = ?, provider = ?, name = ?, state = ?, config = ?, allow_email_outside_domains = ?, tested_at = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			string(c.Protocol), c.Provider, c.Name, string(c.State), cfg, c.AllowEmailOutsideDomains, s.nt(c.TestedAt), s.t(c.UpdatedAt), id); err != nil {
			return s.wrap(err)
		}
		if _, err := t.appendEvents(events); err != nil {
			return err
		}
		if cur.State == store.ConnectionActive && c.State != store.ConnectionActive {
			if _, err := t.endSessions(store.SessionSelector{ConnectionID: id},
				store.CauseEnd(store.SessionEndedConnectionDeactivated, events, c.UpdatedAt)); err != nil {
				return err
			}
		}
		// Read back what was stored, so that the result is a copy detached
		// from fn's argument and normalised like a Get.
		got, err := scanConn(t.queryRow(`SELECT `+connCols+` FROM connections WHERE id = ?`, id))
		if err != nil {
			return s.wrap(err)
		}
		if err := s.sealer.OpenConnection(ctx, &got); err != nil {
			return err
		}
		out = &got
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteConnection removes the connection.
func (s *Store) DeleteConnection(ctx context.Context, id string, events ...Event) error {
	if id == "" {
		return invalid("connection id is required")
	}
	if err := store.ValidateEvents(events); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		n, err := t.execN(`DELETE FROM connections WHERE id = ?`, id)
		if err != nil || n == 0 {
			// Deleting what is absent changes nothing and tells nothing.
			return s.wrap(err)
		}
		if _, err = t.appendEvents(events); err != nil {
			return err
		}
		_, err = t.endSessions(store.SessionSelector{ConnectionID: id},
			store.CauseEnd(store.SessionEndedConnectionDeleted, events, time.Time{}))
		return err
	})
}
