package scimkit

import (
	"strings"
)

// projection is the attributes / excludedAttributes of a request
// (RFC 7644 section 3.9). id and schemas are always returned; password is
// never stored, so never returned.
type projection struct {
	include bool
	items   []attrRef
}

type attrRef struct {
	ext  string // canonical extension URN, "" for core
	name string // lower-case; "" means the whole extension
	sub  string // lower-case; "" means the whole attribute
}

func parseProjection(rs *resourceSchema, attributes, excluded string) *projection {
	list, include := attributes, true
	if strings.TrimSpace(list) == "" {
		list, include = excluded, false
	}
	if strings.TrimSpace(list) == "" {
		return nil
	}
	p := &projection{include: include}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		var ref attrRef
		rest := item
		if uri, r, ok := rs.splitURN(item); ok {
			if !strings.EqualFold(uri, rs.core.ID) {
				ref.ext = uri
			}
			rest = r
		}
		name, sub, _ := strings.Cut(rest, ".")
		ref.name, ref.sub = strings.ToLower(name), strings.ToLower(sub)
		if ref.ext == "" && ref.name == "" {
			continue
		}
		p.items = append(p.items, ref)
	}
	if len(p.items) == 0 && !include {
		return nil
	}
	return p
}

// wants reports whether the core attribute name (lower-case) is returned.
func (p *projection) wants(name string) bool {
	if p == nil {
		return true
	}
	for _, it := range p.items {
		if it.ext == "" && it.name == name {
			if p.include {
				return true
			}
			if it.sub == "" {
				return false
			}
		}
	}
	return !p.include
}

// apply filters m, a rendered resource, in place.
func (p *projection) apply(rs *resourceSchema, m map[string]any) {
	if p == nil {
		return
	}
	if p.include {
		for k, v := range m {
			lk := strings.ToLower(k)
			if lk == "id" || lk == "schemas" {
				continue
			}
			ext := rs.extensionID(k)
			var subs []string
			whole, hit := false, false
			var extNames []attrRef
			for _, it := range p.items {
				switch {
				case ext != "" && it.ext == ext:
					hit = true
					if it.name == "" {
						whole = true
					}
					extNames = append(extNames, it)
				case ext == "" && it.ext == "" && it.name == lk:
					hit = true
					if it.sub == "" {
						whole = true
					} else {
						subs = append(subs, it.sub)
					}
				}
			}
			switch {
			case !hit:
				delete(m, k)
			case whole:
			case ext != "":
				obj, ok := v.(map[string]any)
				if !ok {
					delete(m, k)
					continue
				}
				keep := map[string]any{}
				for ek, ev := range obj {
					for _, it := range extNames {
						if it.name == strings.ToLower(ek) {
							if it.sub == "" {
								keep[ek] = ev
							} else {
								keep[ek] = keepSubs(ev, []string{it.sub})
							}
						}
					}
				}
				m[k] = keep
			default:
				m[k] = keepSubs(v, subs)
			}
		}
		return
	}
	for _, it := range p.items {
		if it.ext == "" && (it.name == "id" || it.name == "schemas") {
			continue
		}
		var c map[string]any
		if it.ext == "" {
			c = m
		} else {
			k := findKey(m, it.ext)
			if k == "" {
				continue
			}
			if it.name == "" {
				delete(m, k)
				continue
			}
			c, _ = m[k].(map[string]any)
			if c == nil {
				continue
			}
		}
		k := findKey(c, it.name)
		if k == "" {
			continue
		}
		if it.sub == "" {
			delete(c, k)
			continue
		}
		dropSub(c[k], it.sub)
	}
}

func keepSubs(v any, subs []string) any {
	filterMap := func(x map[string]any) map[string]any {
		out := map[string]any{}
		for k, sv := range x {
			for _, s := range subs {
				if strings.EqualFold(k, s) {
					out[k] = sv
				}
			}
		}
		return out
	}
	switch x := v.(type) {
	case map[string]any:
		return filterMap(x)
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if em, ok := e.(map[string]any); ok {
				out = append(out, filterMap(em))
			}
		}
		return out
	}
	return v
}

func dropSub(v any, sub string) {
	switch x := v.(type) {
	case map[string]any:
		if k := findKey(x, sub); k != "" {
			delete(x, k)
		}
	case []any:
		for _, e := range x {
			dropSub(e, sub)
		}
	}
}
