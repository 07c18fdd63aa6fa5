package dashboard

import (
	"time"

	"github.com/onboardkit/onboardkit/internal/web"
)

// stamp is a moment a page prints: as people read it, and as the
// datetime of its <time> element (RFC 3339, UTC). Every printed time is
// in a <time> element after a word that says what it is ("Created",
// "Occurred", "expires").
type stamp struct {
	Text string // "" for no time
	ISO  string
}

func stampOf(t time.Time) stamp {
	if t.IsZero() {
		return stamp{}
	}
	return stamp{Text: web.FormatTime(t), ISO: t.UTC().Format(time.RFC3339)}
}
