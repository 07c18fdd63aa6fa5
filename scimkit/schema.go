package scimkit

import (
	"strings"

	"github.com/elimity-com/scim/schema"

	"github.com/onboardkit/onboardkit/roles"
)

// Schema URIs used by scimkit.
const (
	UserSchemaURI       = schema.UserSchema
	GroupSchemaURI      = schema.GroupSchema
	EnterpriseSchemaURI = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	patchOpURI       = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	listResponseURI  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	searchRequestURI = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	errorURI         = "urn:ietf:params:scim:api:messages:2.0:Error"
	spcSchemaURI     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	rtSchemaURI      = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchemaURI  = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// attrDef is what scimkit needs to know about one attribute of a schema,
// read from elimity's schema definitions.
type attrDef struct {
	name        string // canonical case
	typ         string // string, boolean, complex, reference, dateTime, ...
	multi       bool
	caseExact   bool
	mutability  string // readWrite, readOnly, immutable, writeOnly
	returned    string // default, always, never, request
	sub         map[string]*attrDef
	subOrder    []*attrDef
	elimity     schema.CoreAttribute
	extensionOf string // schema URI for extension attributes, "" for core
	// matchKey: values compare by store.MatchKey (emails.value; userName
	// is compared by the Stores).
	matchKey bool
}

func (a *attrDef) subAttr(name string) *attrDef {
	if a == nil || a.sub == nil {
		return nil
	}
	return a.sub[strings.ToLower(name)]
}

func newAttrDef(ca schema.CoreAttribute, ext string) *attrDef {
	d := &attrDef{
		name:        ca.Name(),
		typ:         ca.AttributeType(),
		multi:       ca.MultiValued(),
		caseExact:   ca.CaseExact(),
		mutability:  ca.Mutability(),
		returned:    ca.Returned(),
		elimity:     ca,
		extensionOf: ext,
	}
	if subs := ca.SubAttributes(); len(subs) > 0 {
		d.sub = make(map[string]*attrDef, len(subs))
		for _, s := range subs {
			sd := newAttrDef(s, ext)
			sd.matchKey = ext == "" && d.name == "emails" && sd.name == "value"
			d.sub[strings.ToLower(sd.name)] = sd
			d.subOrder = append(d.subOrder, sd)
		}
	}
	return d
}

// resourceSchema is a resource type (User or Group) with its core schema
// (plus externalId, as elimity's server adds it) and its extensions.
type resourceSchema struct {
	name       string // "User"
	endpoint   string // "Users"
	core       schema.Schema
	extensions []schema.Schema
	attrs      map[string]*attrDef            // lower-case core attribute name
	extAttrs   map[string]map[string]*attrDef // lower-case URN -> attrs
	extIDs     map[string]string              // lower-case URN -> URN
	// primaryAttrs are the core multi-valued complex attributes with a
	// primary sub-attribute (emails, phoneNumbers, addresses...).
	primaryAttrs []*attrDef
	// custom declares the host's custom attributes (Users only; nil
	// when none).
	custom *roles.Config
}

func newResourceSchema(name, endpoint string, core schema.Schema, exts ...schema.Schema) *resourceSchema {
	externalID := schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
		CaseExact:  true,
		Mutability: schema.AttributeMutabilityReadWrite(),
		Name:       "externalId",
		Uniqueness: schema.AttributeUniquenessNone(),
	}))
	withCommon := core
	withCommon.Attributes = append(append(schema.Attributes(nil), core.Attributes...), externalID)
	rs := &resourceSchema{
		name:       name,
		endpoint:   endpoint,
		core:       withCommon,
		extensions: exts,
		attrs:      map[string]*attrDef{},
		extAttrs:   map[string]map[string]*attrDef{},
		extIDs:     map[string]string{},
	}
	for _, a := range withCommon.Attributes {
		def := newAttrDef(a, "")
		rs.attrs[strings.ToLower(a.Name())] = def
		if def.multi && def.typ == "complex" && def.subAttr("primary") != nil {
			rs.primaryAttrs = append(rs.primaryAttrs, def)
		}
	}
	for _, e := range exts {
		m := map[string]*attrDef{}
		for _, a := range e.Attributes {
			m[strings.ToLower(a.Name())] = newAttrDef(a, e.ID)
		}
		rs.extAttrs[strings.ToLower(e.ID)] = m
		rs.extIDs[strings.ToLower(e.ID)] = e.ID
	}
	return rs
}

// lookup resolves an attribute name, optionally prefixed by a schema URN
// (the core URN or an extension URN), case-insensitively.
func (rs *resourceSchema) lookup(uri, name string) *attrDef {
	if uri == "" || strings.EqualFold(uri, rs.core.ID) {
		return rs.attrs[strings.ToLower(name)]
	}
	if m, ok := rs.extAttrs[strings.ToLower(uri)]; ok {
		return m[strings.ToLower(name)]
	}
	return nil
}

// extensionID returns the canonical URN of an extension of rs, or "".
func (rs *resourceSchema) extensionID(uri string) string {
	return rs.extIDs[strings.ToLower(uri)]
}

// splitURN splits "urn:...:User:name.givenName" into the schema URN and
// the attribute path after it, when key starts with a URN rs knows.
func (rs *resourceSchema) splitURN(key string) (uri, rest string, ok bool) {
	lk := strings.ToLower(key)
	if strings.HasPrefix(lk, strings.ToLower(rs.core.ID)+":") {
		return rs.core.ID, key[len(rs.core.ID)+1:], true
	}
	for l, id := range rs.extIDs {
		if lk == l {
			return id, "", true
		}
		if strings.HasPrefix(lk, l+":") {
			return id, key[len(id)+1:], true
		}
	}
	return "", "", false
}

// newUserSchema returns the User resource with the enterprise extension
// and, when rc declares one, the host's extension.
func newUserSchema(rc *roles.Config) *resourceSchema {
	exts := []schema.Schema{schema.ExtensionEnterpriseUser()}
	if rc != nil && rc.SCIMExtension != "" {
		exts = append(exts, extensionSchema(rc))
	}
	rs := newResourceSchema("User", "Users", schema.CoreUserSchema(), exts...)
	if rc != nil && len(rc.Fields) > 0 {
		rs.custom = rc
	}
	return rs
}

func newGroupSchema() *resourceSchema {
	return newResourceSchema("Group", "Groups", schema.CoreGroupSchema())
}
