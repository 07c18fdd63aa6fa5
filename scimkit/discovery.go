package scimkit

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/elimity-com/scim/schema"

	"github.com/onboardkit/onboardkit/store"
)

// The discovery endpoints describe exactly what this server does: PATCH,
// filtering (with maxResults), sorting and ETags are supported; bulk and
// password change are not.

// discovery refuses a filter on a discovery endpoint with 403, as RFC 7644
// section 4 asks, so that a client cannot take the whole document for the
// part that matches.
func (s *Server) discovery(h dirHandler) dirHandler {
	return func(w http.ResponseWriter, r *http.Request, d *store.Directory) {
		if r.URL.Query().Has("filter") {
			s.writeError(w, scimError(http.StatusForbidden, "", "Discovery endpoints do not support filtering."))
			return
		}
		h(w, r, d)
	}
}

func (s *Server) serveSPC(w http.ResponseWriter, r *http.Request, d *store.Directory) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.methodNotAllowed(w, "GET")
		return
	}
	base := s.dirBase(d)
	doc := map[string]any{
		"schemas":          []string{spcSchemaURI},
		"documentationUri": "",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": s.maxRes},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type":        "oauthbearertoken",
			"name":        "OAuth Bearer Token",
			"description": "Authentication with the directory's bearer token, sent in the Authorization header.",
			"specUri":     "https://www.rfc-editor.org/rfc/rfc6750",
			"primary":     true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     base + "/ServiceProviderConfig",
		},
	}
	s.writeDoc(w, r, http.StatusOK, doc)
}

func (s *Server) resourceTypes(d *store.Directory) []map[string]any {
	base := s.dirBase(d)
	rt := func(rs *resourceSchema, desc string) map[string]any {
		exts := []any{}
		for _, e := range rs.extensions {
			exts = append(exts, map[string]any{"schema": e.ID, "required": false})
		}
		return map[string]any{
			"schemas":          []string{rtSchemaURI},
			"id":               rs.name,
			"name":             rs.name,
			"description":      desc,
			"endpoint":         "/" + rs.endpoint,
			"schema":           rs.core.ID,
			"schemaExtensions": exts,
			"meta": map[string]any{
				"resourceType": "ResourceType",
				"location":     base + "/ResourceTypes/" + rs.name,
			},
		}
	}
	return []map[string]any{rt(s.users, "User Account"), rt(s.groups, "Group")}
}

func (s *Server) serveResourceTypes(w http.ResponseWriter, r *http.Request, d *store.Directory) {
	s.serveDocs(w, r, s.resourceTypes(d), "")
}

func (s *Server) serveResourceType(w http.ResponseWriter, r *http.Request, d *store.Directory) {
	s.serveDocs(w, r, s.resourceTypes(d), "Resource type")
}

func (s *Server) schemas(d *store.Directory) []map[string]any {
	base := s.dirBase(d)
	var out []map[string]any
	add := func(sc schema.Schema) {
		m := sc.ToMap()
		m["meta"] = map[string]any{
			"resourceType": "Schema",
			"location":     base + "/Schemas/" + url.PathEscape(sc.ID),
		}
		out = append(out, m)
	}
	add(schema.CoreUserSchema())
	for _, e := range s.users.extensions {
		add(e)
	}
	add(schema.CoreGroupSchema())
	return out
}

func (s *Server) serveSchemas(w http.ResponseWriter, r *http.Request, d *store.Directory) {
	s.serveDocs(w, r, s.schemas(d), "")
}

func (s *Server) serveSchema(w http.ResponseWriter, r *http.Request, d *store.Directory) {
	s.serveDocs(w, r, s.schemas(d), "Schema")
}

// serveDocs answers a GET or HEAD of a discovery endpoint: the list docs
// when kind is empty, else the one doc whose id is the path's name, or Not
// Found naming the kind.
func (s *Server) serveDocs(w http.ResponseWriter, r *http.Request, docs []map[string]any, kind string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.methodNotAllowed(w, "GET")
		return
	}
	if kind == "" {
		s.writeDocList(w, r, docs)
		return
	}
	for _, doc := range docs {
		if strings.EqualFold(doc["id"].(string), r.PathValue("name")) {
			s.writeDoc(w, r, http.StatusOK, doc)
			return
		}
	}
	s.writeError(w, scimError(http.StatusNotFound, "", kind+" not found."))
}

func (s *Server) writeDocList(w http.ResponseWriter, r *http.Request, docs []map[string]any) {
	s.writeDoc(w, r, http.StatusOK, map[string]any{
		"schemas":      []string{listResponseURI},
		"totalResults": len(docs),
		"itemsPerPage": len(docs),
		"startIndex":   1,
		"Resources":    docs,
	})
}

func (s *Server) writeDoc(w http.ResponseWriter, r *http.Request, status int, doc any) {
	b, err := json.Marshal(doc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, status, b)
}
