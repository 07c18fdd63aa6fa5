package scimsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// recorded is a request as the fake server received it.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// fakeSCIM is a small in-memory SCIM server for wire-format tests. It
// records every request, keeps users and groups as JSON objects, applies
// the PATCH forms both dialects send, and answers plausibly.
type fakeSCIM struct {
	t     *testing.T
	token string

	mu       sync.Mutex
	reqs     []recorded
	users    map[string]map[string]any
	groups   map[string]map[string]any
	order    []string // user ids in creation order
	gorder   []string
	next     int
	override func(w http.ResponseWriter, r *http.Request) bool // answers instead when it returns true
}

func newFake(t *testing.T) (*fakeSCIM, *httptest.Server) {
	f := &fakeSCIM{t: t, token: "tok_secret_123", users: map[string]map[string]any{}, groups: map[string]map[string]any{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeSCIM) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func (f *fakeSCIM) reset() {
	f.mu.Lock()
	f.reqs = nil
	f.mu.Unlock()
}

func (f *fakeSCIM) write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSCIM) scimError(w http.ResponseWriter, status int, scimType, detail string) {
	f.write(w, status, map[string]any{"schemas": []string{SchemaError}, "status": strconv.Itoa(status), "scimType": scimType, "detail": detail})
}

var simpleFilter = regexp.MustCompile(`^(\w+) eq "((?:[^"\\]|\\.)*)"$`)

func (f *fakeSCIM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
	if f.override != nil && f.override(w, r) {
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.scimError(w, 401, "", "Authentication failed")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var coll map[string]map[string]any
	var order *[]string
	switch parts[0] {
	case "Users":
		coll, order = f.users, &f.order
	case "Groups":
		coll, order = f.groups, &f.gorder
	default:
		f.scimError(w, 404, "", "no such endpoint")
		return
	}
	if len(parts) == 1 {
		switch r.Method {
		case http.MethodGet:
			f.list(w, r, coll, *order)
		case http.MethodPost:
			var res map[string]any
			if err := json.Unmarshal(body, &res); err != nil {
				f.scimError(w, 400, "invalidSyntax", "bad JSON")
				return
			}
			key := "userName"
			if parts[0] == "Groups" {
				key = "displayName"
			}
			for _, id := range *order {
				if strings.EqualFold(fmt.Sprint(coll[id][key]), fmt.Sprint(res[key])) {
					f.scimError(w, 409, "uniqueness", key+" already exists")
					return
				}
			}
			f.next++
			id := fmt.Sprintf("%s-%d", strings.ToLower(parts[0][:1]), f.next)
			res["id"] = id
			delete(res, "password")
			coll[id] = res
			*order = append(*order, id)
			w.Header().Set("Location", "http://scim.test/"+parts[0]+"/"+id)
			f.write(w, 201, res)
		default:
			f.scimError(w, 405, "", "method not allowed")
		}
		return
	}
	id := parts[1]
	res, ok := coll[id]
	if !ok {
		f.scimError(w, 404, "", "Resource "+id+" not found")
		return
	}
	switch r.Method {
	case http.MethodGet:
		out := res
		if r.URL.Query().Get("excludedAttributes") == "members" {
			out = map[string]any{}
			for k, v := range res {
				if k != "members" {
					out[k] = v
				}
			}
		}
		f.write(w, 200, out)
	case http.MethodPut:
		var nr map[string]any
		if err := json.Unmarshal(body, &nr); err != nil {
			f.scimError(w, 400, "invalidSyntax", "bad JSON")
			return
		}
		nr["id"] = id
		delete(nr, "password")
		coll[id] = nr
		f.write(w, 200, nr)
	case http.MethodPatch:
		var p struct {
			Operations []struct {
				Op    string
				Path  string
				Value any
			}
		}
		if err := json.Unmarshal(body, &p); err != nil {
			f.scimError(w, 400, "invalidSyntax", "bad JSON")
			return
		}
		for _, op := range p.Operations {
			if err := applyOp(res, strings.ToLower(op.Op), op.Path, op.Value); err != nil {
				f.scimError(w, 400, "invalidPath", err.Error())
				return
			}
		}
		if parts[0] == "Groups" {
			w.WriteHeader(204)
			return
		}
		f.write(w, 200, res)
	case http.MethodDelete:
		delete(coll, id)
		*order = slices.DeleteFunc(*order, func(s string) bool { return s == id })
		w.WriteHeader(204)
	}
}

func (f *fakeSCIM) list(w http.ResponseWriter, r *http.Request, coll map[string]map[string]any, order []string) {
	q := r.URL.Query()
	var match []map[string]any
	var attr, val string
	if fl := q.Get("filter"); fl != "" {
		m := simpleFilter.FindStringSubmatch(fl)
		if m == nil {
			f.scimError(w, 400, "invalidFilter", "unsupported filter")
			return
		}
		attr = m[1]
		json.Unmarshal([]byte(`"`+m[2]+`"`), &val)
	}
	for _, id := range order {
		res := coll[id]
		if attr != "" && !strings.EqualFold(fmt.Sprint(res[attr]), val) {
			continue
		}
		match = append(match, res)
	}
	total := len(match)
	if c := q.Get("count"); c != "" {
		n, _ := strconv.Atoi(c)
		match = match[:min(n, len(match))]
	}
	if match == nil {
		match = []map[string]any{}
	}
	f.write(w, 200, map[string]any{"schemas": []string{SchemaListResponse}, "totalResults": total, "startIndex": 1, "itemsPerPage": len(match), "Resources": match})
}

var valueFilterPath = regexp.MustCompile(`^(\w+)\[(\w+) eq "([^"]*)"\](?:\.(\w+))?$`)

// applyOp applies one PATCH operation, the way a lenient server does.
func applyOp(res map[string]any, op, path string, value any) error {
	if path == "" {
		m, ok := value.(map[string]any)
		if !ok {
			return fmt.Errorf("path-less %s needs an object", op)
		}
		for k, v := range m {
			if err := applyOp(res, op, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	if path == "active" {
		if s, ok := value.(string); ok {
			value = strings.EqualFold(s, "true")
		}
	}
	if m := valueFilterPath.FindStringSubmatch(path); m != nil {
		list, _ := res[m[1]].([]any)
		idx := -1
		for i, e := range list {
			if em, ok := e.(map[string]any); ok && fmt.Sprint(em[m[2]]) == m[3] {
				idx = i
			}
		}
		switch {
		case op == "remove" && idx >= 0:
			res[m[1]] = slices.Delete(list, idx, idx+1)
		case op == "remove":
		case idx >= 0:
			list[idx].(map[string]any)[m[4]] = value
		default:
			res[m[1]] = append(list, map[string]any{m[2]: m[3], m[4]: value})
		}
		return nil
	}
	if path == "members" {
		list, _ := res["members"].([]any)
		vals, _ := value.([]any)
		switch op {
		case "add":
			res["members"] = append(list, vals...)
		case "remove":
			if vals == nil {
				delete(res, "members")
				return nil
			}
			res["members"] = slices.DeleteFunc(list, func(e any) bool {
				for _, v := range vals {
					if e.(map[string]any)["value"] == v.(map[string]any)["value"] {
						return true
					}
				}
				return false
			})
		default:
			res["members"] = vals
		}
		return nil
	}
	if rest, ok := strings.CutPrefix(path, SchemaEnterpriseUser+":"); ok {
		ext, _ := res[SchemaEnterpriseUser].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			res[SchemaEnterpriseUser] = ext
		}
		ext[rest] = value
		return nil
	}
	if a, b, ok := strings.Cut(path, "."); ok {
		sub, _ := res[a].(map[string]any)
		if sub == nil {
			sub = map[string]any{}
			res[a] = sub
		}
		sub[b] = value
		return nil
	}
	if path == "id" {
		return nil
	}
	if op == "remove" {
		delete(res, path)
		return nil
	}
	res[path] = value
	return nil
}
