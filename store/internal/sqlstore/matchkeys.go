package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// goSteps are the migrations written in Go, keyed by the name of their
// file without its number ("match_keys.sql"), so that each dialect's file
// of that name runs the step after its statements, in the migration's
// transaction. A step is needed where SQL cannot compute a value the same
// way as Go: neither SQLite nor PostgreSQL has Unicode normalization and
// full case folding that match golang.org/x/text.
var goSteps = map[string]func(ctx context.Context, tx *sql.Tx, d *Dialect) error{
	"match_keys.sql":     recomputeMatchKeys,
	"scale_reads.sql":    trigramIndexes,
	"sealed_secrets.sql": moveIDTokens,
}

// goStep returns the Go step of the migration file name, or nil.
func goStep(name string) func(ctx context.Context, tx *sql.Tx, d *Dialect) error {
	_, rest, _ := strings.Cut(name, "_")
	return goSteps[rest]
}

// DuplicateKeySep separates, in the user_name_lower of a user whose
// userName became equal to another user's under store.MatchKey when the
// keys were recomputed, the key from the user's id: such a user keeps a
// key of its own (key + "\x1f" + id), which no userName a Store accepts
// can have, since a control character is refused.
const DuplicateKeySep = "\x1f"

// matchKeyBatch is how many users recomputeMatchKeys reads at a time.
const matchKeyBatch = 1000

// recomputeMatchKeys rewrites the keys of directory users computed by the
// first schema (strings.ToLower) as store.MatchKey: user_name_lower,
// primary_email_lower and the values of directory_user_emails. Only the
// rows whose key changes are written.
//
// Two users of one directory whose userNames were distinct lower-cased but
// are equal under MatchKey (one sent composed, the other decomposed, say)
// cannot both have the key. A user whose key does not change keeps it;
// otherwise the user created first gets it. The other users are kept, with
// the key followed by DuplicateKeySep and their id: they can still be read,
// listed, filtered by id and deleted, and a change of their userName gives
// them a proper key again, while a userName eq filter and uniqueness see
// only the first user. Nothing is lost and the migration does not fail; an
// operator finds them by the separator in user_name_lower.
func recomputeMatchKeys(ctx context.Context, tx *sql.Tx, d *Dialect) error {
	type change struct {
		id, dir, key string
		created      time.Time
	}
	var names []change
	after := ""
	for {
		rows, err := tx.QueryContext(ctx, rebind(d, `SELECT id, directory_id, user_name, user_name_lower, primary_email_lower, emails, created_at
FROM directory_users WHERE id > ? ORDER BY id LIMIT ?`), after, matchKeyBatch)
		if err != nil {
			return err
		}
		type row struct {
			id, dir, name, nameKey, primaryKey string
			emails                             []byte
			created                            time.Time
		}
		batch, err := collectRows(rows, nil, func(r *sql.Rows) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.dir, &x.name, &x.nameKey, &x.primaryKey, bc(&x.emails), tc(&x.created))
			return x, err
		})
		if err != nil {
			return err
		}
		for _, x := range batch {
			var u store.DirectoryUser
			if len(x.emails) > 0 {
				if err := json.Unmarshal(x.emails, &u.Emails); err != nil {
					return fmt.Errorf("user %s: decoding emails: %w", x.id, err)
				}
			}
			if err := rekeyEmails(ctx, tx, d, x.dir, x.id, u.Emails); err != nil {
				return fmt.Errorf("user %s: %w", x.id, err)
			}
			if k := primaryEmailLower(&u); k != x.primaryKey {
				if _, err := tx.ExecContext(ctx, rebind(d, `UPDATE directory_users SET primary_email_lower = ? WHERE id = ?`), k, x.id); err != nil {
					return fmt.Errorf("user %s: %w", x.id, err)
				}
			}
			if k := store.MatchKey(x.name); k != x.nameKey {
				names = append(names, change{id: x.id, dir: x.dir, key: k, created: x.created})
			}
		}
		if len(batch) < matchKeyBatch {
			break
		}
		after = batch[len(batch)-1].id
	}
	// Free the old keys of the users whose key changes, then give each its
	// new key, the earliest created first.
	for _, c := range names {
		if _, err := tx.ExecContext(ctx, rebind(d, `UPDATE directory_users SET user_name_lower = ? WHERE id = ?`), DuplicateKeySep+c.id, c.id); err != nil {
			return fmt.Errorf("user %s: %w", c.id, err)
		}
	}
	slices.SortFunc(names, func(a, b change) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	for _, c := range names {
		var n int
		if err := tx.QueryRowContext(ctx, rebind(d, `SELECT COUNT(*) FROM directory_users WHERE directory_id = ? AND user_name_lower = ?`), c.dir, c.key).Scan(&n); err != nil {
			return fmt.Errorf("user %s: %w", c.id, err)
		}
		key := c.key
		if n > 0 {
			key += DuplicateKeySep + c.id
		}
		if _, err := tx.ExecContext(ctx, rebind(d, `UPDATE directory_users SET user_name_lower = ? WHERE id = ?`), key, c.id); err != nil {
			return fmt.Errorf("user %s: %w", c.id, err)
		}
	}
	return nil
}

// rekeyEmails replaces the email rows of a user written with lower-cased
// values by rows keyed with store.MatchKey, if any differ.
func rekeyEmails(ctx context.Context, tx *sql.Tx, d *Dialect, dir, id string, emails []store.Email) error {
	same := true
	for _, e := range emails {
		same = same && store.MatchKey(e.Value) == strings.ToLower(e.Value)
	}
	if same {
		return nil
	}
	for _, e := range emails {
		if _, err := tx.ExecContext(ctx, rebind(d, `DELETE FROM directory_user_emails WHERE directory_id = ? AND value_lower = ? AND user_id = ?`), dir, strings.ToLower(e.Value), id); err != nil {
			return err
		}
	}
	for _, e := range emails {
		if _, err := tx.ExecContext(ctx, rebind(d, `INSERT INTO directory_user_emails (directory_id, value_lower, user_id, type_lower) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			dir, store.MatchKey(e.Value), id, strings.ToLower(e.Type)); err != nil {
			return err
		}
	}
	return nil
}
