package store

// Filter is a condition on directory users or groups, built by scimkit from a
// SCIM filter. It is a closed set of node types: And, Or, Not, Compare,
// Field and Some. Implementations translate Compare nodes into their own
// query language (SQL WHERE with bound parameters), answering from indexes
// where the Attr has one, and never load a whole directory for them. Field
// and Some nodes name attributes kept only in the raw SCIM document; they
// may be evaluated in one pass over the resources of the one directory
// queried (see Field). A node a Store does not know makes the query fail
// with ErrInvalid: a filter never matches more than it says.
type Filter interface{ isFilter() }

// And matches when both sides match.
type And struct{ Left, Right Filter }

// Or matches when either side matches.
type Or struct{ Left, Right Filter }

// Not matches when F does not match.
type Not struct{ F Filter }

// MaxFilterNodes and MaxFilterDepth bound the Filters every Store
// accepts: a Filter of at most MaxFilterNodes nodes (each And, Or, Not,
// Compare, Field and Some counts one, whatever the filter of a Some) with
// at most MaxFilterDepth And, Or and Not nodes above any other node is
// never refused for its size. A Store may refuse a larger one with ErrInvalid, so a
// caller that builds a Filter from a list of any length (a PATCH naming
// thousands of group members, say) splits the list into Filters within
// these bounds.
const (
	MaxFilterNodes = 256
	MaxFilterDepth = 32
)

func (And) isFilter()     {}
func (Or) isFilter()      {}
func (Not) isFilter()     {}
func (Compare) isFilter() {}

// Attr is a filterable attribute. The set is what the Store indexes or keeps
// in normalised columns.
type Attr string

const (
	AttrID           Attr = "id"           // users, groups; case-exact
	AttrExternalID   Attr = "externalId"   // users, groups; case-exact
	AttrUserName     Attr = "userName"     // users; case-insensitive
	AttrDisplayName  Attr = "displayName"  // users, groups; case-insensitive
	AttrGivenName    Attr = "givenName"    // users; case-insensitive
	AttrFamilyName   Attr = "familyName"   // users; case-insensitive
	AttrActive       Attr = "active"       // users; boolean
	AttrEmail        Attr = "email"        // users: any of the emails' values; case-insensitive
	AttrCreated      Attr = "created"      // users, groups; time
	AttrLastModified Attr = "lastModified" // users, groups; time
	AttrMember       Attr = "member"       // groups: some member's id compares; case-exact; pr: has a member
	AttrGroup        Attr = "group"        // users: some group the user is a direct member of compares by id; case-exact; pr: in a group
)

// CaseExact reports whether string comparisons on a are case-sensitive.
func (a Attr) CaseExact() bool {
	return a == AttrID || a == AttrExternalID || a == AttrMember || a == AttrGroup
}

// Op is a comparison operator, as in RFC 7644 section 3.4.2.2.
type Op string

const (
	OpEq Op = "eq"
	OpNe Op = "ne"
	OpCo Op = "co"
	OpSw Op = "sw"
	OpEw Op = "ew"
	OpGt Op = "gt"
	OpGe Op = "ge"
	OpLt Op = "lt"
	OpLe Op = "le"
	OpPr Op = "pr"
)

// Compare compares an attribute with a value.
//
// Value is a string for string attributes, a bool for AttrActive (eq and ne
// only), a time.Time for AttrCreated and AttrLastModified, and nil for OpPr.
// Strings are compared case-insensitively unless Attr.CaseExact: userName and
// email values by their MatchKey (canonically equivalent forms are equal),
// the other attributes lower-cased; Attr.CompareKey gives the form compared.
// A string value that is not valid UTF-8 or holds a NUL makes the query fail
// with a *TextError (ValidateFilterText). gt/ge/lt/le on strings compare
// lexicographically (the forms compared), by Unicode code point (byte order of UTF-8, as
// PostgreSQL's COLLATE "C"), never by a locale's collation. For single-valued
// string attributes an absent value is the empty string: ne matches it, pr
// does not. A Compare that does not fit these rules (pr with a value, a
// string for a time attribute...) makes the query fail with ErrInvalid.
//
// For AttrEmail, EmailType restricts the match to emails of that type
// (case-insensitive), as in emails[type eq "work"].value eq "x"; "" matches
// any type. OpPr on AttrEmail is true when the user has at least one email of
// that type.
type Compare struct {
	Attr      Attr
	Op        Op
	Value     any
	EmailType string
}

// SortOrder of a listing.
type SortOrder int

const (
	Ascending SortOrder = iota
	Descending
)

// UserQuery selects directory users of one directory.
type UserQuery struct {
	Filter Filter // nil = all
	// SortBy is one of AttrUserName, AttrExternalID, AttrDisplayName,
	// AttrGivenName, AttrFamilyName, AttrEmail (primary email), AttrCreated,
	// AttrLastModified or AttrID; "" sorts by creation (then id), which is
	// stable across pages.
	SortBy    Attr
	SortOrder SortOrder
	Offset    int // 0-based
	Limit     int // 0 = count only, no rows returned
}

// GroupQuery selects groups of one directory.
type GroupQuery struct {
	Filter    Filter
	SortBy    Attr // AttrDisplayName, AttrExternalID, AttrCreated, AttrLastModified, AttrID or ""
	SortOrder SortOrder
	Offset    int
	Limit     int
}

// OrganizationQuery selects organizations.
type OrganizationQuery struct {
	// Search matches organizations whose name, id or external id contains it,
	// case-insensitively.
	Search string
	// After is the id of the last organization of the previous page; listing
	// is ordered by (CreatedAt, ID).
	After string
	Limit int // <= 0 means 100
}

// EventQuery selects events.
type EventQuery struct {
	After int64 // cursor: events with Cursor > After
	// Before, when above 0, keeps events with Cursor < Before: with
	// Descending, the page just older than a page whose oldest event is
	// Before.
	Before int64
	// Descending lists the newest events first (highest cursor first)
	// instead of the oldest: with neither After nor Before, the newest
	// Limit events.
	Descending bool
	OrgID      string // optional
	// Types keeps events whose type equals one of these or starts with one of
	// these followed by "." (so "directory.user" matches
	// "directory.user.created"). Empty keeps all.
	Types []string
	Limit int // <= 0 means 100
}
