package scimkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/onboardkit/onboardkit/store"
)

// listParams are the query parameters of a list or search request.
type listParams struct {
	filter             string
	startIndex         string
	count              string
	sortBy             string
	sortOrder          string
	attributes         string
	excludedAttributes string
}

func listParamsFromQuery(r *http.Request) listParams {
	q := r.URL.Query()
	return listParams{
		filter:             q.Get("filter"),
		startIndex:         q.Get("startIndex"),
		count:              q.Get("count"),
		sortBy:             q.Get("sortBy"),
		sortOrder:          q.Get("sortOrder"),
		attributes:         q.Get("attributes"),
		excludedAttributes: q.Get("excludedAttributes"),
	}
}

// searchParams reads a POST .search body (RFC 7644 section 3.4.3).
func (s *Server) searchParams(w http.ResponseWriter, r *http.Request) (listParams, bool) {
	body, ok := s.readBody(w, r)
	if !ok {
		return listParams{}, false
	}
	var req struct {
		Schemas            []string        `json:"schemas"`
		Attributes         []string        `json:"attributes"`
		ExcludedAttributes []string        `json:"excludedAttributes"`
		Filter             string          `json:"filter"`
		SortBy             string          `json:"sortBy"`
		SortOrder          string          `json:"sortOrder"`
		StartIndex         json.RawMessage `json:"startIndex"`
		Count              json.RawMessage `json:"count"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.writeError(w, scimerrors.ScimErrorInvalidSyntax)
		return listParams{}, false
	}
	num := func(raw json.RawMessage) string {
		v := strings.Trim(strings.TrimSpace(string(raw)), `"`)
		if v == "null" {
			return ""
		}
		return v
	}
	return listParams{
		filter:             req.Filter,
		startIndex:         num(req.StartIndex),
		count:              num(req.Count),
		sortBy:             req.SortBy,
		sortOrder:          req.SortOrder,
		attributes:         strings.Join(req.Attributes, ","),
		excludedAttributes: strings.Join(req.ExcludedAttributes, ","),
	}, true
}

// page turns startIndex and count into an offset and a limit: startIndex
// is 1-based (below 1 means 1), count is capped by MaxResults, negative
// means 0, absent means MaxResults.
func (s *Server) page(lp listParams) (offset, limit, start int, err error) {
	start, limit = 1, s.maxRes
	if lp.startIndex != "" {
		n, err := strconv.Atoi(strings.TrimSpace(lp.startIndex))
		if err != nil {
			return 0, 0, 0, &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue, Detail: "startIndex must be an integer."}
		}
		if n > 1 {
			start = n
		}
	}
	if lp.count != "" {
		n, err := strconv.Atoi(strings.TrimSpace(lp.count))
		if errors.Is(err, strconv.ErrRange) {
			// An integer too large for an int asks for as many as
			// possible (or, negative, for none).
			n, err = s.maxRes, nil
			if strings.HasPrefix(strings.TrimSpace(lp.count), "-") {
				n = 0
			}
		}
		if err != nil {
			return 0, 0, 0, &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue, Detail: "count must be an integer."}
		}
		limit = max(0, min(n, s.maxRes))
	}
	return start - 1, limit, start, nil
}

func sortOrder(v string) (store.SortOrder, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "ascending":
		return store.Ascending, nil
	case "descending":
		return store.Descending, nil
	}
	return 0, &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue, Detail: "sortOrder must be ascending or descending."}
}

func sortAttr(v string, users bool) (store.Attr, error) {
	key := strings.ToLower(strings.TrimSpace(v))
	core := strings.ToLower(UserSchemaURI) + ":"
	if !users {
		core = strings.ToLower(GroupSchemaURI) + ":"
	}
	key = strings.TrimPrefix(key, core)
	switch key {
	case "":
		return "", nil
	case "id":
		return store.AttrID, nil
	case "externalid":
		return store.AttrExternalID, nil
	case "displayname":
		return store.AttrDisplayName, nil
	case "meta.created":
		return store.AttrCreated, nil
	case "meta.lastmodified":
		return store.AttrLastModified, nil
	}
	if users {
		switch key {
		case "username":
			return store.AttrUserName, nil
		case "name.givenname":
			return store.AttrGivenName, nil
		case "name.familyname":
			return store.AttrFamilyName, nil
		case "emails", "emails.value":
			return store.AttrEmail, nil
		}
	}
	return "", &scimerrors.ScimError{Status: 400, ScimType: scimerrors.ScimTypeInvalidValue, Detail: "sortBy names an attribute that cannot be sorted on."}
}

func writeListHead(b *bytes.Buffer, total, n, start int) {
	b.WriteString(`{"schemas":["` + listResponseURI + `"],"totalResults":`)
	b.WriteString(strconv.Itoa(total))
	b.WriteString(`,"itemsPerPage":`)
	b.WriteString(strconv.Itoa(n))
	b.WriteString(`,"startIndex":`)
	b.WriteString(strconv.Itoa(start))
	b.WriteString(`,"Resources":[`)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, d *store.Directory, lp listParams) {
	q, start, err := s.userQuery(lp)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	users, total, err := s.st.ListDirectoryUsers(r.Context(), d.ID, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := parseProjection(s.users, lp.attributes, lp.excludedAttributes)
	var b bytes.Buffer
	writeListHead(&b, total, len(users), start)
	for i := range users {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := s.writeUser(&b, d, &users[i], p); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	b.WriteString("]}")
	s.writeJSON(w, http.StatusOK, b.Bytes())
}

func (s *Server) userQuery(lp listParams) (store.UserQuery, int, error) {
	var q store.UserQuery
	off, lim, start, err := s.page(lp)
	if err != nil {
		return q, 0, err
	}
	q.Offset, q.Limit = off, lim
	if strings.TrimSpace(lp.filter) != "" {
		if q.Filter, err = parseUserFilterIn(lp.filter, s.users); err != nil {
			return q, 0, err
		}
	}
	if q.SortBy, err = sortAttr(lp.sortBy, true); err != nil {
		return q, 0, err
	}
	if q.SortOrder, err = sortOrder(lp.sortOrder); err != nil {
		return q, 0, err
	}
	return q, start, nil
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, d *store.Directory, lp listParams) {
	var q store.GroupQuery
	off, lim, start, err := s.page(lp)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q.Offset, q.Limit = off, lim
	if strings.TrimSpace(lp.filter) != "" {
		if q.Filter, err = ParseGroupFilter(lp.filter); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if q.SortBy, err = sortAttr(lp.sortBy, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if q.SortOrder, err = sortOrder(lp.sortOrder); err != nil {
		s.fail(w, r, err)
		return
	}
	groups, total, err := s.st.ListDirectoryGroups(r.Context(), d.ID, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := parseProjection(s.groups, lp.attributes, lp.excludedAttributes)
	withMembers := p.wants("members")
	var b bytes.Buffer
	writeListHead(&b, total, len(groups), start)
	for i := range groups {
		var members []store.Member
		if withMembers {
			if members, err = s.st.ListGroupMembers(r.Context(), d.ID, groups[i].ID); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if i > 0 {
			b.WriteByte(',')
		}
		if err := s.writeGroup(&b, d, &groups[i], members, withMembers, p); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	b.WriteString("]}")
	s.writeJSON(w, http.StatusOK, b.Bytes())
}
