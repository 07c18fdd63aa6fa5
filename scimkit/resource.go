package scimkit

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/onboardkit/onboardkit/store"
)

// jsonMediaType reports whether a request Content-Type is
// application/scim+json or application/json, with any parameters
// (charset).
func jsonMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/scim+json" || mt == "application/json")
}

// readResource reads the body of a POST or PUT of a resource of rs, at
// most limit bytes, and validates it: it returns the decoded object (as
// rs.validate normalised it) and the validated resource. On failure it
// has answered.
func (s *Server) readResource(w http.ResponseWriter, r *http.Request, rs *resourceSchema, limit int64) (m, attrs map[string]any, ok bool) {
	body, ok := s.readBodyMax(w, r, limit)
	if !ok {
		return nil, nil, false
	}
	m, err := decodeObject(body)
	if err == nil {
		attrs, err = rs.validate(m)
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	return m, attrs, true
}

// respond answers with a resource that write encodes, its version as the
// ETag and, for 201 Created, loc as its Location.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, status int, version int64, loc string, write func(*bytes.Buffer) error) {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(version))
	if status == http.StatusCreated {
		w.Header().Set("Location", loc)
	}
	s.writeJSON(w, status, b.Bytes())
}

// fresh answers a GET of one resource read with err: the error, or 304
// Not Modified when If-None-Match names its version. It reports whether
// the resource is still to be sent.
func (s *Server) fresh(w http.ResponseWriter, r *http.Request, err error, version func() int64) bool {
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag(version()) {
		w.Header().Set("ETag", etag(version()))
		w.WriteHeader(http.StatusNotModified)
		return false
	}
	return true
}

// decodeObject decodes a JSON object body.
func decodeObject(b []byte) (map[string]any, error) {
	v, err := decodeJSON(b)
	if err != nil {
		return nil, &scimerrors.ScimErrorInvalidSyntax
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &scimerrors.ScimErrorInvalidSyntax
	}
	return m, nil
}

// normalize rewrites what real clients send into what the schema
// expects, per server and without elimity's process-global switch:
// string booleans ("True") become booleans, a string where a complex
// attribute with a value sub-attribute is expected (Entra's manager)
// becomes {"value": s}, a single object where a multi-valued attribute is
// expected becomes a one-element array, nulls are dropped, and extension
// keys get their canonical URN.
func (rs *resourceSchema) normalize(m map[string]any) {
	for k, v := range m {
		if v == nil {
			delete(m, k)
			continue
		}
		lk := strings.ToLower(k)
		if def := rs.attrs[lk]; def != nil {
			m[k] = normValue(def, v)
			continue
		}
		if ext := rs.extensionID(k); ext != "" {
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			defs := rs.extAttrs[strings.ToLower(ext)]
			for ek, ev := range obj {
				if ev == nil {
					delete(obj, ek)
					continue
				}
				if def := defs[strings.ToLower(ek)]; def != nil {
					obj[ek] = normValue(def, ev)
				}
			}
			if k != ext {
				delete(m, k)
				m[ext] = obj
			}
		}
	}
}

func normValue(def *attrDef, v any) any {
	if !def.multi {
		return normSingle(def, v)
	}
	switch l := v.(type) {
	case []any:
		out := l[:0]
		for _, e := range l {
			if e != nil {
				out = append(out, normSingle(def, e))
			}
		}
		return out
	case map[string]any:
		return []any{normSingle(def, l)}
	}
	return v
}

func normSingle(def *attrDef, v any) any {
	switch def.typ {
	case "boolean":
		if b, ok := toBool(v); ok {
			return b
		}
	case "complex":
		switch x := v.(type) {
		case string:
			if def.subAttr("value") != nil {
				return map[string]any{"value": x}
			}
		case map[string]any:
			for k, sv := range x {
				if sv == nil {
					delete(x, k)
					continue
				}
				if sd := def.subAttr(k); sd != nil {
					x[k] = normSingle(sd, sv)
				}
			}
		}
	}
	return v
}

// validate normalises m and checks it against the schema with elimity's
// validator, which also drops read-only and unknown attributes. It
// returns the sanitised resource with "schemas" recomputed.
func (rs *resourceSchema) validate(m map[string]any) (map[string]any, error) {
	rs.normalize(m)
	if err := rs.checkExtensionValues(m); err != nil {
		return nil, err
	}
	rs.onePrimary(m, nil)
	m["schemas"] = []any{rs.core.ID}
	out, serr := rs.core.Validate(m)
	if serr != nil {
		return nil, serr
	}
	schemas := []any{rs.core.ID}
	for _, ext := range rs.extensions {
		v, ok := m[ext.ID]
		if !ok || v == nil {
			continue
		}
		ev, serr := ext.ValidateExtension(v)
		if serr != nil {
			return nil, serr
		}
		prune(ev)
		if len(ev) > 0 {
			out[ext.ID] = ev
			schemas = append(schemas, ext.ID)
		}
	}
	prune(out)
	delete(out, "password") // never kept, never returned
	out["schemas"] = schemas
	if err := checkResourceText(out); err != nil {
		return nil, err
	}
	return out, nil
}

// onePrimary keeps at most one value marked primary in each multi-valued
// attribute of m that has a primary sub-attribute (RFC 7643 2.4): the
// last one that was not primary in before (a value a PATCH operation just
// marked primary wins), or else the last one; the others get
// primary:false. before holds the primary values before the operation
// (see primaries), nil for a whole resource.
func (rs *resourceSchema) onePrimary(m map[string]any, before map[string]map[string]bool) {
	for _, def := range rs.primaryAttrs {
		k := findKey(m, def.name)
		if k == "" {
			continue
		}
		list, ok := m[k].([]any)
		if !ok {
			continue
		}
		lastAny, lastNew, n := -1, -1, 0
		for i, e := range list {
			em, ok := e.(map[string]any)
			if !ok {
				continue
			}
			if p, _ := toBool(em[findKey(em, "primary")]); !p {
				continue
			}
			n++
			lastAny = i
			if !before[def.name][primaryKey(em)] {
				lastNew = i
			}
		}
		keep := lastAny
		if lastNew >= 0 {
			keep = lastNew
		}
		if n < 2 {
			continue
		}
		for i, e := range list {
			em, ok := e.(map[string]any)
			if !ok || i == keep {
				continue
			}
			if pk := findKey(em, "primary"); pk != "" {
				if p, _ := toBool(em[pk]); p {
					em[pk] = false
				}
			}
		}
	}
}

// primaries returns, per multi-valued attribute with a primary
// sub-attribute, the values of m currently marked primary.
func (rs *resourceSchema) primaries(m map[string]any) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, def := range rs.primaryAttrs {
		for _, e := range asList(m[findKey(m, def.name)]) {
			em, ok := e.(map[string]any)
			if !ok {
				continue
			}
			if p, _ := toBool(em[findKey(em, "primary")]); p {
				if out[def.name] == nil {
					out[def.name] = map[string]bool{}
				}
				out[def.name][primaryKey(em)] = true
			}
		}
	}
	return out
}

// primaryKey identifies a value of a multi-valued attribute by its
// sub-attributes other than primary.
func primaryKey(em map[string]any) string {
	c := make(map[string]any, len(em))
	for k, v := range em {
		if !strings.EqualFold(k, "primary") {
			c[strings.ToLower(k)] = v
		}
	}
	b, _ := marshalValue(c)
	return string(b)
}

// prune removes nil values, empty lists and empty objects.
func prune(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case []any:
			out := x[:0]
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					prune(em)
					if len(em) == 0 {
						continue
					}
				}
				if e != nil {
					out = append(out, e)
				}
			}
			if len(out) == 0 {
				delete(m, k)
			} else {
				m[k] = out
			}
		case map[string]any:
			prune(x)
			if len(x) == 0 {
				delete(m, k)
			}
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// applyUserAttrs sets u's normalised fields and Attributes from a
// validated resource. active defaults to true only when create is set; on
// PUT and PATCH a resource without active keeps u's previous value, so an
// IdP that omits or removes active never reactivates a deactivated user.
func applyUserAttrs(attrs map[string]any, u *store.DirectoryUser, create bool) error {
	u.UserName = str(attrs["userName"])
	if strings.TrimSpace(u.UserName) == "" {
		return &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue, Detail: "userName is required."}
	}
	u.ExternalID = str(attrs["externalId"])
	u.DisplayName = str(attrs["displayName"])
	u.GivenName, u.FamilyName = "", ""
	if n, ok := attrs["name"].(map[string]any); ok {
		u.GivenName = str(n["givenName"])
		u.FamilyName = str(n["familyName"])
	}
	if b, ok := attrs["active"].(bool); ok {
		u.Active = b
	} else if create {
		u.Active = true
	}
	attrs["active"] = u.Active
	u.Emails = nil
	for _, e := range asList(attrs["emails"]) {
		m, ok := e.(map[string]any)
		if !ok || str(m["value"]) == "" {
			continue
		}
		p, _ := m["primary"].(bool)
		u.Emails = append(u.Emails, store.Email{Value: str(m["value"]), Type: str(m["type"]), Primary: p})
	}
	b, err := marshalValue(attrs)
	if err != nil {
		return err
	}
	u.Attributes = b
	return nil
}

// applyGroupAttrs sets g's fields from a validated resource and returns
// the member ids it lists (and whether it has a members attribute).
func applyGroupAttrs(attrs map[string]any, g *store.DirectoryGroup) ([]string, bool, error) {
	g.DisplayName = str(attrs["displayName"])
	if strings.TrimSpace(g.DisplayName) == "" {
		return nil, false, &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue, Detail: "displayName is required."}
	}
	g.ExternalID = str(attrs["externalId"])
	mv, has := attrs["members"]
	delete(attrs, "members")
	ids, err := memberIDs(mv)
	if err != nil {
		return nil, false, err
	}
	b, err := marshalValue(attrs)
	if err != nil {
		return nil, false, err
	}
	g.Attributes = b
	return ids, has, nil
}

// memberIDs reads member ids from [{"value": id, ...}] (or bare ids).
func memberIDs(v any) ([]string, error) {
	var ids []string
	for _, e := range asList(v) {
		switch x := e.(type) {
		case map[string]any:
			id := str(x[findKey(x, "value")])
			if id == "" {
				return nil, &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue, Detail: "Every member needs a value."}
			}
			ids = append(ids, id)
		case string:
			if x == "" {
				return nil, &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue, Detail: "Every member needs a value."}
			}
			ids = append(ids, x)
		case nil:
		default:
			return nil, &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue, Detail: "Malformed member."}
		}
	}
	return ids, nil
}

// decodeAttrs decodes a stored resource.
func decodeAttrs(b []byte) (map[string]any, error) {
	if len(b) == 0 {
		return map[string]any{}, nil
	}
	v, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return map[string]any{}, nil
	}
	return m, nil
}

func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func writeMeta(b *bytes.Buffer, resourceType string, created, modified time.Time, loc string, version int64) {
	b.WriteString(`"meta":{"resourceType":"`)
	b.WriteString(resourceType)
	b.WriteString(`","created":"`)
	b.WriteString(fmtTime(created))
	b.WriteString(`","lastModified":"`)
	b.WriteString(fmtTime(modified))
	b.WriteString(`","location":`)
	writeString(b, loc)
	b.WriteString(`,"version":`)
	writeString(b, etag(version))
	b.WriteByte('}')
}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

func metaMap(resourceType string, created, modified time.Time, loc string, version int64) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      fmtTime(created),
		"lastModified": fmtTime(modified),
		"location":     loc,
		"version":      etag(version),
	}
}

func (s *Server) userLocation(d *store.Directory, id string) string {
	return s.dirBase(d) + "/Users/" + url.PathEscape(id)
}

func (s *Server) groupLocation(d *store.Directory, id string) string {
	return s.dirBase(d) + "/Groups/" + url.PathEscape(id)
}

// stored is a resource as the Store keeps it, for writeResource.
type stored struct {
	rs                *resourceSchema
	typ, schema       string // resourceType, and the core schema URN
	id, loc           string
	created, modified time.Time
	version           int64
	attrs             []byte // the resource as provisioned
}

// writeResource renders r into b with its id and meta. Without a
// projection the stored JSON is copied, after what raw writes (members
// ending with a comma); with one it is decoded, set adds to it what raw
// would have written, and p selects the attributes.
func (s *Server) writeResource(b *bytes.Buffer, r stored, p *projection, raw func(*bytes.Buffer) error, set func(map[string]any)) error {
	attrs := bytes.TrimSpace(r.attrs)
	if p == nil && len(attrs) >= 2 && attrs[0] == '{' && bytes.Contains(attrs, []byte(`"schemas"`)) {
		b.WriteString(`{"id":`)
		writeString(b, r.id)
		b.WriteByte(',')
		writeMeta(b, r.typ, r.created, r.modified, r.loc, r.version)
		b.WriteByte(',')
		if err := raw(b); err != nil {
			return err
		}
		if rest := bytes.TrimSpace(attrs[1:]); len(rest) == 0 || rest[0] == '}' {
			b.Truncate(b.Len() - 1) // the last member's comma
		}
		b.Write(attrs[1:])
		return nil
	}
	m, err := decodeAttrs(r.attrs)
	if err != nil {
		return err
	}
	if _, ok := m["schemas"]; !ok {
		m["schemas"] = []any{r.schema}
	}
	m["id"] = r.id
	m["meta"] = metaMap(r.typ, r.created, r.modified, r.loc, r.version)
	set(m)
	p.apply(r.rs, m)
	out, err := marshalValue(m)
	if err != nil {
		return err
	}
	b.Write(out)
	return nil
}

// writeUser renders u as a SCIM resource into b.
func (s *Server) writeUser(b *bytes.Buffer, d *store.Directory, u *store.DirectoryUser, p *projection) error {
	r := stored{s.users, "User", UserSchemaURI, u.ID, s.userLocation(d, u.ID), u.CreatedAt, u.UpdatedAt, u.Version, u.Attributes}
	return s.writeResource(b, r, p, func(*bytes.Buffer) error { return nil }, func(m map[string]any) {
		delete(m, "password")
		m["active"] = u.Active
	})
}

// writeGroup renders g with its members (nil members are omitted).
func (s *Server) writeGroup(b *bytes.Buffer, d *store.Directory, g *store.DirectoryGroup, members []store.Member, withMembers bool, p *projection) error {
	r := stored{s.groups, "Group", GroupSchemaURI, g.ID, s.groupLocation(d, g.ID), g.CreatedAt, g.UpdatedAt, g.Version, g.Attributes}
	return s.writeResource(b, r, p, func(b *bytes.Buffer) error {
		if !withMembers {
			return nil
		}
		b.WriteString(`"members":`)
		mb, err := json.Marshal(s.memberList(d, members))
		if err != nil {
			return err
		}
		b.Write(mb)
		b.WriteByte(',')
		return nil
	}, func(m map[string]any) {
		if !withMembers {
			return
		}
		list := s.memberList(d, members)
		ml := make([]any, len(list))
		for i := range list {
			ml[i] = map[string]any{"value": list[i].Value, "display": list[i].Display, "type": list[i].Type, "$ref": list[i].Ref}
		}
		m["members"] = ml
	})
}

type memberJSON struct {
	Value   string `json:"value"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type"`
	Ref     string `json:"$ref"`
}

func (s *Server) memberList(d *store.Directory, members []store.Member) []memberJSON {
	out := make([]memberJSON, 0, len(members))
	for _, m := range members {
		mj := memberJSON{Value: m.ID, Display: m.Display, Type: string(m.Type)}
		if m.Type == store.MemberGroup {
			mj.Ref = s.groupLocation(d, m.ID)
		} else {
			mj.Type = string(store.MemberUser)
			mj.Ref = s.userLocation(d, m.ID)
		}
		out = append(out, mj)
	}
	return out
}

// checkIfMatch compares an If-Match header with the resource version.
// matching reads resource id of d with get and checks the request's
// If-Match against its version.
func matching[T any](r *http.Request, get func(ctx context.Context, directoryID, id string) (*T, error), d *store.Directory, id string, version func(*T) int64) (*T, error) {
	cur, err := get(r.Context(), d.ID, id)
	if err != nil {
		return nil, err
	}
	if err := checkIfMatch(r, version(cur)); err != nil {
		return nil, err
	}
	return cur, nil
}

func checkIfMatch(r *http.Request, version int64) error {
	im := strings.TrimSpace(r.Header.Get("If-Match"))
	if im == "" || im == "*" {
		return nil
	}
	want := strconv.FormatInt(version, 10)
	for _, t := range strings.Split(im, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if strings.Trim(t, `"`) == want {
			return nil
		}
	}
	return &scimerrors.ScimError{Status: http.StatusPreconditionFailed, Detail: "The resource has changed (If-Match)."}
}
