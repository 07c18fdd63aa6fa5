package portal

import (
	"time"

	"github.com/onboardkit/onboardkit/internal/web"
)

// stamp is a date the portal shows, with what it is: "Added 3 Dec 2026",
// "Expires 12 Jan 2027", "Last used 3 Dec 2026, 14:05 UTC". The stamp
// component writes the label and a <time> element whose datetime is the
// instant in RFC 3339. Dates of a calendar kind (added, verified,
// expires) show the day; those of something that happened and may happen
// again (last used, last checked, a refusal) also the time of day, in UTC.
type stamp struct {
	// Label says what the date is; "" where the page labels it already (a
	// <dt>, a table's column).
	Label string
	At    time.Time
	// Day shows the date only.
	Day    bool
	TestID string
}

// dayStamp and timeStamp are the stamps of t, labelled.
func dayStamp(label string, t time.Time) stamp  { return stamp{Label: label, At: t, Day: true} }
func timeStamp(label string, t time.Time) stamp { return stamp{Label: label, At: t} }

// Set reports whether the stamp has a date to show.
func (s stamp) Set() bool { return !s.At.IsZero() }

// Text is the date for people: "3 Dec 2026" or "3 Dec 2026, 14:05 UTC".
func (s stamp) Text() string {
	if s.Day {
		return ssoDate(s.At)
	}
	return web.FormatTime(s.At)
}

// Bare is the stamp without its label, for a page that labels it (the
// <dt> of a list of facts).
func (s stamp) Bare() stamp {
	s.Label = ""
	return s
}

// Datetime is the machine-readable instant of the <time> element.
func (s stamp) Datetime() string { return s.At.UTC().Format(time.RFC3339) }

// String is the stamp as plain text, label included.
func (s stamp) String() string {
	if !s.Set() {
		return ""
	}
	if s.Label == "" {
		return s.Text()
	}
	return s.Label + " " + s.Text()
}
