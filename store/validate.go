package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The Validate methods check what every Store requires before writing. Store
// implementations (ours and users') call them first; each error wraps
// ErrInvalid.

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func required(what string, fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if strings.TrimSpace(fields[i+1]) == "" {
			return invalid("%s: %s is required", what, fields[i])
		}
	}
	return nil
}

// lines checks the text fields given as name, value pairs with
// ValidateLine; the error names the field as what followed by its name.
func lines(what string, fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if err := ValidateLine(what+" "+fields[i], fields[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks an organization before it is written.
func (o *Organization) Validate() error {
	if o == nil {
		return invalid("nil organization")
	}
	if err := required("organization", "id", o.ID, "name", o.Name); err != nil {
		return err
	}
	return lines("organization", "id", o.ID, "name", o.Name, "external id", o.ExternalID)
}

// Validate checks a domain before it is written.
func (d *Domain) Validate() error {
	if d == nil {
		return invalid("nil domain")
	}
	if err := required("domain", "id", d.ID, "org id", d.OrgID, "name", d.Name); err != nil {
		return err
	}
	if err := lines("domain", "name", d.Name); err != nil {
		return err
	}
	if !d.State.Valid() {
		return invalid("domain: unknown state %q", d.State)
	}
	if !d.Method.Valid() {
		return invalid("domain: unknown method %q", d.Method)
	}
	if d.CheckFailures < 0 {
		return invalid("domain: negative check failure count %d", d.CheckFailures)
	}
	return nil
}

// Validate checks a login completion before CompleteLogin writes it.
func (c *LoginCompletion) Validate() error {
	switch {
	case c == nil:
		return invalid("nil login completion")
	case c.ConnectionID == "":
		return invalid("login completion: connection id is required")
	case c.Now.IsZero():
		return invalid("login completion: now is required")
	case c.AssertionID != "" && c.AssertionExpiresAt.IsZero():
		return invalid("login completion: an assertion id needs its expiry")
	case c.Email != "" && c.OrgID == "":
		return invalid("login completion: an email needs its organization id")
	case c.ConnectionVersion < 0:
		return invalid("login completion: negative connection version %d", c.ConnectionVersion)
	}
	return nil
}

// Validate checks a connection before it is written.
func (c *Connection) Validate() error {
	if c == nil {
		return invalid("nil connection")
	}
	if err := required("connection", "id", c.ID, "org id", c.OrgID); err != nil {
		return err
	}
	if err := lines("connection", "name", c.Name, "provider", string(c.Provider)); err != nil {
		return err
	}
	if !c.State.Valid() {
		return invalid("connection: unknown state %q", c.State)
	}
	switch c.Protocol {
	case ProtocolSAML:
		if c.SAML == nil || c.OIDC != nil {
			return invalid("connection: a SAML connection needs SAML config and no OIDC config")
		}
	case ProtocolOIDC:
		if c.OIDC == nil || c.SAML != nil {
			return invalid("connection: an OIDC connection needs OIDC config and no SAML config")
		}
	default:
		return invalid("connection: unknown protocol %q", c.Protocol)
	}
	return nil
}

// Validate checks a features list; NormalizeFeatures sorts and dedupes it.
func (fs Features) Validate() error {
	for _, f := range fs {
		if !f.Valid() {
			return invalid("unknown feature %q", f)
		}
	}
	return nil
}

// Normalize returns fs sorted and without duplicates.
func (fs Features) Normalize() Features {
	out := slices.Clone(fs)
	slices.Sort(out)
	return slices.Compact(out)
}

// Validate checks a portal link before it is written.
func (l *PortalLink) Validate() error {
	if l == nil {
		return invalid("nil portal link")
	}
	if err := required("portal link", "id", l.ID, "org id", l.OrgID); err != nil {
		return err
	}
	if !l.Kind.Valid() {
		return invalid("portal link: unknown kind %q", l.Kind)
	}
	if len(l.Digest) != 32 {
		return invalid("portal link: digest must be 32 bytes")
	}
	if l.ExpiresAt.IsZero() {
		return invalid("portal link: expiry is required")
	}
	return l.Features.Validate()
}

// Validate checks a portal session before RedeemPortalLink stores it. OrgID,
// LinkID and Features come from the link and are not checked here.
func (s *PortalSession) Validate() error {
	if s == nil {
		return invalid("nil portal session")
	}
	if err := required("portal session", "id", s.ID); err != nil {
		return err
	}
	if len(s.Digest) != 32 {
		return invalid("portal session: digest must be 32 bytes")
	}
	if s.ExpiresAt.IsZero() {
		return invalid("portal session: expiry is required")
	}
	return nil
}

// Validate checks a directory before it is written.
func (d *Directory) Validate() error {
	if d == nil {
		return invalid("nil directory")
	}
	if err := required("directory", "id", d.ID, "org id", d.OrgID); err != nil {
		return err
	}
	if err := lines("directory", "name", d.Name, "provider", d.Provider); err != nil {
		return err
	}
	if !d.State.Valid() {
		return invalid("directory: unknown state %q", d.State)
	}
	return nil
}

// Validate checks a directory token before it is written.
func (t *DirectoryToken) Validate() error {
	if t == nil {
		return invalid("nil directory token")
	}
	if err := required("directory token", "id", t.ID, "directory id", t.DirectoryID); err != nil {
		return err
	}
	if len(t.Digest) != 32 {
		return invalid("directory token: digest must be 32 bytes")
	}
	return nil
}

// Validate checks a directory user before it is written.
func (u *DirectoryUser) Validate() error {
	if u == nil {
		return invalid("nil directory user")
	}
	if err := required("directory user", "id", u.ID, "directory id", u.DirectoryID, "userName", u.UserName); err != nil {
		return err
	}
	if err := lines("directory user", "userName", u.UserName, "externalId", u.ExternalID, "displayName", u.DisplayName,
		"givenName", u.GivenName, "familyName", u.FamilyName); err != nil {
		return err
	}
	for i, e := range u.Emails {
		f := fmt.Sprintf("emails[%d]", i)
		if err := lines("directory user", f+".value", e.Value, f+".type", e.Type); err != nil {
			return err
		}
	}
	if err := u.Custom.Validate(); err != nil {
		return err
	}
	return ValidateJSONText("directory user attributes", u.Attributes)
}

// Validate checks a directory group before it is written.
func (g *DirectoryGroup) Validate() error {
	if g == nil {
		return invalid("nil directory group")
	}
	if err := required("directory group", "id", g.ID, "directory id", g.DirectoryID, "displayName", g.DisplayName); err != nil {
		return err
	}
	if err := lines("directory group", "displayName", g.DisplayName, "externalId", g.ExternalID); err != nil {
		return err
	}
	return ValidateJSONText("directory group attributes", g.Attributes)
}

// Validate checks a membership change.
func (op MemberOp) Validate() error {
	if op.Kind < MembersAdd || op.Kind > MembersReplace {
		return invalid("unknown member operation %d", op.Kind)
	}
	for _, id := range op.IDs {
		if id == "" {
			return invalid("empty member id")
		}
		if err := ValidateLine("member id", id); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks an event before it is appended.
func (e *Event) Validate() error {
	if e == nil {
		return invalid("nil event")
	}
	if err := required("event", "id", e.ID, "type", e.Type); err != nil {
		return err
	}
	if e.CreatedAt.IsZero() {
		return invalid("event: time is required")
	}
	if len(e.Data) > 0 && !json.Valid(e.Data) {
		return invalid("event: data is not valid JSON")
	}
	return nil
}

// ValidateEvents validates each event.
func ValidateEvents(events []Event) error {
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return err
		}
	}
	return nil
}

// MatchesTypes reports whether the event type t is selected by types, as
// EventQuery.Types describes.
func MatchesTypes(t string, types []string) bool {
	if len(types) == 0 {
		return true
	}
	for _, p := range types {
		if t == p || strings.HasPrefix(t, p+".") {
			return true
		}
	}
	return false
}

// Validate checks a login request before it is written.
func (r *LoginRequest) Validate() error {
	if r == nil {
		return invalid("nil login request")
	}
	if err := required("login request", "id", r.ID, "connection id", r.ConnectionID); err != nil {
		return err
	}
	if !r.Protocol.Valid() {
		return invalid("login request: unknown protocol %q", r.Protocol)
	}
	if r.ExpiresAt.IsZero() {
		return invalid("login request: expiry is required")
	}
	return nil
}

// Validate checks branding before it is written.
func (b *Branding) Validate() error {
	if b == nil {
		return invalid("nil branding")
	}
	if b.AccentColor != "" && !ValidColor(b.AccentColor) {
		return invalid("branding: accent colour must be #RRGGBB, got %q", b.AccentColor)
	}
	for _, a := range []*Asset{b.Logo, b.Favicon} {
		if a != nil && (a.ContentType == "" || len(a.Data) == 0) {
			return invalid("branding: an asset needs a content type and data")
		}
	}
	return nil
}

// ValidColor reports whether s is a colour of the form #RRGGBB.
func ValidColor(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Validate checks an API key before it is written.
func (k *APIKey) Validate() error {
	if k == nil {
		return invalid("nil API key")
	}
	if err := required("API key", "id", k.ID, "name", k.Name); err != nil {
		return err
	}
	if err := lines("API key", "name", k.Name); err != nil {
		return err
	}
	if len(k.Digest) != 32 {
		return invalid("API key: digest must be 32 bytes")
	}
	return nil
}

// ValidateLease checks the arguments of AcquireLease.
func ValidateLease(name, holder string, now, until time.Time) error {
	if err := required("lease", "name", name, "holder", holder); err != nil {
		return err
	}
	if !until.After(now) {
		return invalid("lease: until must be after now")
	}
	return nil
}

// ValidateAttempt checks the arguments of RateStore.CountAttempt.
func ValidateAttempt(key string, start, end time.Time) error {
	if err := required("attempt counter", "key", key); err != nil {
		return err
	}
	if len(key) > MaxRateKeyLength {
		return invalid("attempt counter: key longer than %d bytes", MaxRateKeyLength)
	}
	if start.IsZero() || !end.After(start) {
		return invalid("attempt counter: the window must have a start before its end")
	}
	return nil
}

// UTC returns t in UTC, keeping the zero time zero.
func UTC(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// ValidateSetupOrganizations checks the ids of an OrganizationSetups call:
// at most MaxSetupOrganizations, none empty.
func ValidateSetupOrganizations(orgIDs []string) error {
	if len(orgIDs) > MaxSetupOrganizations {
		return fmt.Errorf("%w: at most %d organizations at once, got %d", ErrInvalid, MaxSetupOrganizations, len(orgIDs))
	}
	for _, id := range orgIDs {
		if id == "" {
			return fmt.Errorf("%w: organization id is required", ErrInvalid)
		}
	}
	return nil
}

// AddCount adds n to m[state], making m if it is nil, and returns m: how
// Stores fill an OrganizationSetup.
func AddCount[S ~string](m map[S]int, state S, n int) map[S]int {
	if m == nil {
		m = map[S]int{}
	}
	m[state] += n
	return m
}
