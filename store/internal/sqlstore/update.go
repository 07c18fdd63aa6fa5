package sqlstore

import (
	"database/sql"
	"errors"

	"github.com/onboardkit/onboardkit/store"
)

// The steps every Update method takes: check its arguments, read the row
// locked until the write ends, let the caller's function change a copy,
// check the copy, then write it (each method its own way).

// updateArgs checks an Update method's arguments: the id of what, and fn.
func updateArgs[T any](what, id string, fn func(*T) ([]Event, error)) error {
	if id == "" {
		return invalid("%s id is required", what)
	}
	if fn == nil {
		return invalid("update function is required")
	}
	return nil
}

// lockRow reads the row of what that q selects by id, locked until t
// ends (Dialect.ForUpdate); ErrNotFound names what when there is none.
func lockRow[T any](t *tx, what, q, id string, scan func(interface{ Scan(...any) error }) (T, error)) (T, error) {
	v, err := scan(t.queryRow(q+t.s.d.ForUpdate, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound(what)
	}
	if err != nil {
		return v, t.s.wrap(err)
	}
	return v, nil
}

// edit runs fn on a copy of cur and checks what it made: kept reports
// whether the fields that cannot change kept their values (else the error
// is fixed, ErrInvalid), then the copy and fn's events are validated.
func edit[T any, P interface {
	*T
	Validate() error
}](cur T, fn func(*T) ([]Event, error), kept func(cur, next *T) bool, fixed string) (T, []Event, error) {
	next := cur
	events, err := fn(&next)
	if err != nil {
		return next, nil, err
	}
	if !kept(&cur, &next) {
		return next, nil, invalid("%s", fixed)
	}
	if err := P(&next).Validate(); err != nil {
		return next, nil, err
	}
	if err := store.ValidateEvents(events); err != nil {
		return next, nil, err
	}
	return next, events, nil
}
