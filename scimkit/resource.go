package scimkit

import (
	"bytes"
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
	b, _ := json.Marshal(c)
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
	b, err := json.Marshal(attrs)
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
	b, err := json.Marshal(attrs)
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

// writeUser renders u as a SCIM resource into b.
func (s *Server) writeUser(b *bytes.Buffer, d *store.Directory, u *store.DirectoryUser, p *projection) error {
	attrs := bytes.TrimSpace(u.Attributes)
	if p == nil && len(attrs) >= 2 && attrs[0] == '{' && bytes.Contains(attrs, []byte(`"schemas"`)) {
		b.WriteString(`{"id":`)
		writeString(b, u.ID)
		b.WriteByte(',')
		writeMeta(b, "User", u.CreatedAt, u.UpdatedAt, s.userLocation(d, u.ID), u.Version)
		if rest := bytes.TrimSpace(attrs[1:]); len(rest) > 0 && rest[0] != '}' {
			b.WriteByte(',')
		}
		b.Write(attrs[1:])
		return nil
	}
	m, err := decodeAttrs(u.Attributes)
	if err != nil {
		return err
	}
	if _, ok := m["schemas"]; !ok {
		m["schemas"] = []any{UserSchemaURI}
	}
	delete(m, "password")
	m["id"] = u.ID
	m["active"] = u.Active
	m["meta"] = metaMap("User", u.CreatedAt, u.UpdatedAt, s.userLocation(d, u.ID), u.Version)
	p.apply(s.users, m)
	out, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b.Write(out)
	return nil
}

// writeGroup renders g with its members (nil members are omitted).
func (s *Server) writeGroup(b *bytes.Buffer, d *store.Directory, g *store.DirectoryGroup, members []store.Member, withMembers bool, p *projection) error {
	attrs := bytes.TrimSpace(g.Attributes)
	if p == nil && len(attrs) >= 2 && attrs[0] == '{' && bytes.Contains(attrs, []byte(`"schemas"`)) {
		b.WriteString(`{"id":`)
		writeString(b, g.ID)
		b.WriteByte(',')
		writeMeta(b, "Group", g.CreatedAt, g.UpdatedAt, s.groupLocation(d, g.ID), g.Version)
		if withMembers {
			b.WriteString(`,"members":`)
			mb, err := json.Marshal(s.memberList(d, members))
			if err != nil {
				return err
			}
			b.Write(mb)
		}
		if rest := bytes.TrimSpace(attrs[1:]); len(rest) > 0 && rest[0] != '}' {
			b.WriteByte(',')
		}
		b.Write(attrs[1:])
		return nil
	}
	m, err := decodeAttrs(g.Attributes)
	if err != nil {
		return err
	}
	if _, ok := m["schemas"]; !ok {
		m["schemas"] = []any{GroupSchemaURI}
	}
	m["id"] = g.ID
	m["meta"] = metaMap("Group", g.CreatedAt, g.UpdatedAt, s.groupLocation(d, g.ID), g.Version)
	if withMembers {
		list := s.memberList(d, members)
		ml := make([]any, len(list))
		for i := range list {
			ml[i] = map[string]any{"value": list[i].Value, "display": list[i].Display, "type": list[i].Type, "$ref": list[i].Ref}
		}
		m["members"] = ml
	}
	p.apply(s.groups, m)
	out, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b.Write(out)
	return nil
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
