package scimsim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/onboardkit/onboardkit/roles"
)

// ExtensionAttribute is an attribute of a schema extension of the User
// resource, such as one of the application's own extension, that the UI's
// "Create a user" form offers a field for; the value typed in is sent in
// UserSpec.Extensions.
type ExtensionAttribute struct {
	// Schema is the extension's URN. Required.
	Schema string
	// Name is the attribute's name in the extension. Required.
	Name string
	// Label is shown beside the field. Default Name.
	Label string
	// Type is "string" (the default), "boolean", "integer" or
	// "string_list" (typed in separated by commas), as roles.FieldType
	// names them.
	Type string
}

// ExtensionAttributesOf returns the attributes of the application's own
// SCIM extension that rc declares (rc.SCIMExtension, one attribute per
// field of rc.Fields), for UIConfig.ExtensionAttributes; none when rc
// declares no extension.
func ExtensionAttributesOf(rc *roles.Config) []ExtensionAttribute {
	if rc == nil || rc.SCIMExtension == "" {
		return nil
	}
	out := make([]ExtensionAttribute, 0, len(rc.Fields))
	for _, f := range rc.Fields {
		out = append(out, ExtensionAttribute{Schema: rc.SCIMExtension, Name: f.Key, Label: f.Label(), Type: string(f.Type)})
	}
	return out
}

func checkExtensionAttribute(a ExtensionAttribute) error {
	switch {
	case !strings.HasPrefix(strings.ToLower(a.Schema), "urn:"):
		return fmt.Errorf("schema %q is not a URN", a.Schema)
	case a.Name == "" || strings.ContainsAny(a.Name, " .:\"\r\n"):
		return fmt.Errorf("name %q is not an attribute name", a.Name)
	}
	switch roles.FieldType(a.Type) {
	case "", roles.FieldString, roles.FieldBoolean, roles.FieldInteger, roles.FieldStringList:
		return nil
	}
	return fmt.Errorf("unknown type %q", a.Type)
}

// extFieldView is the form field of one extension attribute.
type extFieldView struct {
	ID, Label, Schema, Type, Value string
}

// extFields returns the form fields of the configured extension
// attributes, with the values of values (by field id) typed in.
func (u *simUI) extFields(values func(id string) string) []extFieldView {
	out := make([]extFieldView, len(u.cfg.ExtensionAttributes))
	for i, a := range u.cfg.ExtensionAttributes {
		label := a.Label
		if label == "" {
			label = a.Name
		}
		typ := a.Type
		if typ == "" {
			typ = string(roles.FieldString)
		}
		id := "ext_" + strconv.Itoa(i)
		out[i] = extFieldView{ID: id, Label: label, Schema: a.Schema, Type: typ}
		if values != nil {
			out[i].Value = values(id)
		}
	}
	return out
}

// extensionValues converts the extension values typed in f to the
// attributes of a UserSpec: empty fields are not sent.
func (u *simUI) extensionValues(f formView) (map[string]map[string]any, error) {
	var out map[string]map[string]any
	for i, fv := range f.Ext {
		if fv.Value == "" {
			continue
		}
		a := u.cfg.ExtensionAttributes[i]
		var v any = fv.Value
		switch roles.FieldType(fv.Type) {
		case roles.FieldInteger:
			n, err := strconv.ParseInt(fv.Value, 10, 64)
			if err != nil {
				return nil, formError(fv.Label + " must be a whole number.")
			}
			v = n
		case roles.FieldBoolean:
			switch fv.Value {
			case "true":
				v = true
			case "false":
				v = false
			default:
				return nil, formError(fv.Label + " must be true or false.")
			}
		case roles.FieldStringList:
			var l []string
			for _, s := range strings.Split(fv.Value, ",") {
				if s = strings.TrimSpace(s); s != "" {
					l = append(l, s)
				}
			}
			v = l
		}
		if out == nil {
			out = map[string]map[string]any{}
		}
		if out[a.Schema] == nil {
			out[a.Schema] = map[string]any{}
		}
		out[a.Schema][a.Name] = v
	}
	return out, nil
}
