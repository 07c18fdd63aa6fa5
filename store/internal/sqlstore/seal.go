package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/seal"
)

// NewSealer returns the Sealer of a store named name (for the error)
// opened with keyring kr: a store without a keyring refuses to start
// unless insecure is set.
func NewSealer(name string, kr seal.Keyring, insecure bool) (*seal.Sealer, error) {
	if kr == nil && !insecure {
		return nil, fmt.Errorf("%s: Options.Keyring is required to seal secrets at rest (see store/seal), or set Options.InsecureUnsealed", name)
	}
	return seal.New(kr), nil
}

// resealBatch is how many rows ResealSecrets reads at a time.
const resealBatch = 200

// resealTable describes the sealed column of one table for ResealSecrets.
type resealTable struct {
	kind   string
	page   string // id and value of up to resealBatch rows with an id after ?
	update string // sets the value (1st argument) of the row with id (2nd) still holding the old value (3rd)
	text   bool   // the column is text, not bytes
	// reseal returns the value sealed under the primary key and whether it
	// changed.
	reseal func(ctx context.Context, id string, v []byte) ([]byte, bool, error)
}

func (s *Store) resealTables() []resealTable {
	return []resealTable{{
		kind:   "connection",
		page:   `SELECT id, config FROM connections WHERE id > ? ORDER BY id LIMIT ` + fmt.Sprint(resealBatch),
		update: `UPDATE connections SET config = ? WHERE id = ? AND config = ?`,
		reseal: func(ctx context.Context, id string, v []byte) ([]byte, bool, error) {
			var doc connConfig
			if err := json.Unmarshal(v, &doc); err != nil {
				return nil, false, err
			}
			c := store.Connection{ID: id, SAML: doc.SAML, OIDC: doc.OIDC}
			ch, err := s.sealer.ResealConnection(ctx, &c)
			if !ch || err != nil {
				return nil, false, err
			}
			doc.SAML, doc.OIDC = c.SAML, c.OIDC
			b, err := json.Marshal(doc)
			return b, err == nil, err
		},
	}, {
		kind:   "session",
		page:   `SELECT id, id_token FROM user_sessions WHERE id > ? AND id_token <> '' ORDER BY id LIMIT ` + fmt.Sprint(resealBatch),
		update: `UPDATE user_sessions SET id_token = ? WHERE id = ? AND id_token = ?`,
		text:   true,
		reseal: s.resealValue("session", seal.FieldIDToken),
	}, {
		kind:   "google directory",
		page:   `SELECT directory_id, sealed_key FROM google_directories WHERE directory_id > ? AND sealed_key IS NOT NULL ORDER BY directory_id LIMIT ` + fmt.Sprint(resealBatch),
		update: `UPDATE google_directories SET sealed_key = ? WHERE directory_id = ? AND sealed_key = ?`,
		reseal: s.resealValue("google_directory", seal.FieldServiceAccountKey),
	}}
}

// resealValue reseals a column holding one sealed value.
func (s *Store) resealValue(kind, field string) func(ctx context.Context, id string, v []byte) ([]byte, bool, error) {
	return func(ctx context.Context, id string, v []byte) ([]byte, bool, error) {
		out, ch, err := s.sealer.Reseal(ctx, string(v), seal.AD(kind, id, field))
		return []byte(out), ch, err
	}
}

// ResealSecrets seals again under the primary key every secret sealed
// under another key or not sealed. Values are sealed outside any
// transaction (a KMS call holds no lock) and each row is written only if
// it still holds the value read, so a concurrent update wins and keeps
// its own, freshly sealed, value.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	if s.sealer.Insecure() {
		return 0, nil
	}
	n := 0
	var errs []error
	for _, tb := range s.resealTables() {
		after := ""
		for {
			type row struct {
				id string
				v  []byte
			}
			r, err := s.read(ctx)
			if err != nil {
				return n, err
			}
			rows, err := r.query(ctx, tb.page, after)
			page, err := collectRows(rows, err, func(r *sql.Rows) (row, error) {
				var x row
				return x, r.Scan(&x.id, bc(&x.v))
			})
			if err != nil {
				return n, s.wrap(err)
			}
			for _, x := range page {
				v, ch, err := tb.reseal(ctx, x.id, x.v)
				if err != nil {
					if ctx.Err() != nil {
						return n, ctx.Err()
					}
					errs = append(errs, fmt.Errorf("sqlstore: resealing %s %s: %w", tb.kind, x.id, err))
					continue
				}
				if !ch {
					continue
				}
				var nv, ov any = v, x.v
				if tb.text {
					nv, ov = string(v), string(x.v)
				}
				m, err := s.writeOne(ctx, tb.update, nv, x.id, ov)
				if err != nil {
					return n, err
				}
				n += int(m)
			}
			if len(page) < resealBatch {
				break
			}
			after = page[len(page)-1].id
		}
	}
	return n, errors.Join(errs...)
}

// moveIDTokens moves the OIDC ID token that sessions created before
// migration 0010 kept in their profile JSON (as "IDToken") into the
// id_token column, where ResealSecrets seals it.
func moveIDTokens(ctx context.Context, tx *sql.Tx, d *Dialect) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, profile FROM user_sessions WHERE profile IS NOT NULL`)
	type row struct {
		id      string
		profile []byte
	}
	all, err := collectRows(rows, err, func(r *sql.Rows) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.profile)
	})
	if err != nil {
		return err
	}
	for _, x := range all {
		var doc map[string]json.RawMessage
		if json.Unmarshal(x.profile, &doc) != nil {
			continue // opaque to the Store: left as it is
		}
		raw, ok := doc["IDToken"]
		if !ok {
			continue
		}
		var tok string
		if json.Unmarshal(raw, &tok) != nil {
			continue
		}
		delete(doc, "IDToken")
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, rebind(d, `UPDATE user_sessions SET profile = ?, id_token = ? WHERE id = ?`), b, tok, x.id); err != nil {
			return err
		}
	}
	return nil
}

// Dump returns every value of every row of the tables listTables names
// (a query returning table names), as text: byte columns as their bytes,
// so that a test can look for a plaintext in what the database keeps.
func Dump(ctx context.Context, s *Store, listTables string) (string, error) {
	db := s.w.db
	rows, err := db.QueryContext(ctx, listTables)
	tables, err := collectRows(rows, err, func(r *sql.Rows) (string, error) {
		var n string
		return n, r.Scan(&n)
	})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, tb := range tables {
		rows, err := db.QueryContext(ctx, `SELECT * FROM `+tb)
		if err != nil {
			return "", err
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", err
			}
			b.WriteString(tb)
			for _, v := range vals {
				b.WriteByte('\t')
				if bs, ok := v.([]byte); ok {
					b.Write(bs)
				} else {
					fmt.Fprint(&b, v)
				}
			}
			b.WriteByte('\n')
		}
		if err := rows.Close(); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}
