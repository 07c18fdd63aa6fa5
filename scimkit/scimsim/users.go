package scimsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// UserSpec is a user as the identity provider holds it. Empty optional
// fields are not managed: they are not sent, and an update does not clear
// them on the server.
type UserSpec struct {
	// UserName is the SCIM userName, usually the email. Required.
	UserName string
	// ExternalID is the provider's own id of the user (Okta: "00u...",
	// Entra: an object id GUID). Optional.
	ExternalID string
	// GivenName and FamilyName fill name.givenName and name.familyName.
	GivenName  string
	FamilyName string
	// DisplayName defaults to "GivenName FamilyName" (or UserName).
	DisplayName string
	// Email is the primary work email. Default: UserName when it contains
	// an "@".
	Email string
	// MobilePhone is sent as phoneNumbers[type eq "mobile"].
	MobilePhone string
	// Title is the job title.
	Title string
	// Department and EmployeeNumber go in the enterprise extension.
	Department     string
	EmployeeNumber string
	// ManagerID is the SCIM id of the user's manager on the server. Entra
	// sends it as a plain string, Okta as {"value": id}.
	ManagerID string
	// Password is sent on create when set (Okta can push one). The server
	// must never store it in clear.
	Password string
	// Inactive creates or updates the user with active=false. The zero
	// value is an active user.
	Inactive bool
	// Extensions are attributes of other schema extensions, such as the
	// application's own ("urn:ietf:params:scim:schemas:extension:acme:2.0:User"),
	// by URN then attribute name, with their JSON values (a string, a
	// number, a boolean, a list of strings). Okta sends each extension as
	// an object of the resource (PUT on update); Entra too on create, and
	// on update one Add operation per changed attribute, by its
	// URN-prefixed path.
	Extensions map[string]map[string]any
}

func (u UserSpec) normalized() (UserSpec, error) {
	if strings.TrimSpace(u.UserName) == "" {
		return u, errors.New("scimsim: UserSpec.UserName is required")
	}
	if u.DisplayName == "" {
		u.DisplayName = strings.TrimSpace(u.GivenName + " " + u.FamilyName)
		if u.DisplayName == "" {
			u.DisplayName = u.UserName
		}
	}
	if u.Email == "" && strings.Contains(u.UserName, "@") {
		u.Email = u.UserName
	}
	return u, nil
}

// patchOp is one PATCH operation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

type patchBody struct {
	Schemas    []string  `json:"schemas"`
	Operations []patchOp `json:"Operations"`
}

func patch(ops ...patchOp) patchBody {
	return patchBody{Schemas: []string{SchemaPatchOp}, Operations: ops}
}

// op spells a PATCH op the dialect's way: Okta "add", Entra "Add".
func (c *Client) op(name string) string {
	if c.cfg.Dialect == Entra {
		return strings.ToUpper(name[:1]) + name[1:]
	}
	return name
}

// boolValue is a boolean the dialect's way: Okta JSON booleans, Entra the
// strings "True" and "False".
func (c *Client) boolValue(b bool) any {
	if c.cfg.Dialect == Entra {
		if b {
			return "True"
		}
		return "False"
	}
	return b
}

// quoteFilter returns v as a SCIM filter string literal.
func quoteFilter(v string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// filterQuery encodes a filter lookup the dialect's way. Okta:
// filter=userName%20eq%20%22x%22&startIndex=1&count=100. Entra:
// filter=userName+eq+%22x%22 (on groups after excludedAttributes=members).
func (c *Client) filterQuery(attr, value string, groups bool) string {
	f := attr + " eq " + quoteFilter(value)
	if c.cfg.Dialect == Okta {
		return "filter=" + strings.ReplaceAll(url.QueryEscape(f), "+", "%20") + "&startIndex=1&count=100"
	}
	q := "filter=" + url.QueryEscape(f)
	if groups {
		q = "excludedAttributes=members&" + q
	}
	return q
}

// TestConnection makes the requests the provider makes when an admin tests
// the connection. Okta: GET /Users?startIndex=1&count=2, then
// GET /Groups?startIndex=1&count=100. Entra: GET /Users?filter=userName eq
// "<random GUID>", which must answer 200 with no match and "Resources": [].
func (c *Client) TestConnection(ctx context.Context) error {
	if c.cfg.Dialect == Okta {
		resp, err := c.do(ctx, request{step: "test connection: list users", method: http.MethodGet, path: "/Users", rawQuery: "startIndex=1&count=2", expect: []int{200}})
		if err != nil {
			return err
		}
		if _, err := decodeList(resp, "test connection", false); err != nil {
			return err
		}
		resp, err = c.do(ctx, request{step: "test connection: list groups", method: http.MethodGet, path: "/Groups", rawQuery: "startIndex=1&count=100", expect: []int{200}})
		if err != nil {
			return err
		}
		_, err = decodeList(resp, "test connection", false)
		return err
	}
	guid, err := newGUID(c.cfg.Rand)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, request{step: "test connection", method: http.MethodGet, path: "/Users", rawQuery: c.filterQuery("userName", guid, false), expect: []int{200}})
	if err != nil {
		return err
	}
	l, err := decodeList(resp, "test connection", true)
	if err != nil {
		return err
	}
	if l.TotalResults != 0 || len(l.Resources) != 0 {
		return fmt.Errorf("%w: test connection: a filter on a random userName matched %d users", ErrBadResponse, l.TotalResults)
	}
	return nil
}

// FindUser looks a user up by userName the provider's way; ErrNotFound when
// nothing matches.
func (c *Client) FindUser(ctx context.Context, userName string) (Resource, error) {
	return c.find(ctx, "/Users", "userName", userName, "look up user "+userName)
}

func (c *Client) find(ctx context.Context, path, attr, value, step string) (Resource, error) {
	resp, err := c.do(ctx, request{step: step, method: http.MethodGet, path: path, rawQuery: c.filterQuery(attr, value, path == "/Groups"), expect: []int{200}})
	if err != nil {
		return nil, err
	}
	l, err := decodeList(resp, step, c.cfg.Dialect == Entra)
	if err != nil {
		return nil, err
	}
	switch {
	case len(l.Resources) == 0 && l.TotalResults == 0:
		return nil, ErrNotFound
	case len(l.Resources) != 1:
		return nil, fmt.Errorf("%w: %s: %s eq %q matched %d resources", ErrBadResponse, step, attr, value, l.TotalResults)
	}
	r := l.Resources[0]
	if r.ID() == "" {
		return nil, fmt.Errorf("%w: %s: the matching resource has no id", ErrBadResponse, step)
	}
	return r, nil
}

// GetUser reads a user by id.
func (c *Client) GetUser(ctx context.Context, id string) (Resource, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{step: "get user " + id, method: http.MethodGet, path: "/Users/" + url.PathEscape(id), expect: []int{200}})
	if err != nil {
		return nil, err
	}
	return decodeResource(resp, "get user")
}

func checkID(id string) error {
	if id == "" || strings.ContainsAny(id, "/?#") {
		return fmt.Errorf("scimsim: invalid resource id %q", id)
	}
	return nil
}

// CreateUser provisions u as the provider does when a user is assigned:
// it first looks the userName up; when the server already has the user it
// updates it (Okta with PUT, Entra with PATCH) instead of creating a
// duplicate. It returns the server's id of the user. For Entra a
// ManagerID is sent afterwards, in its own PATCH, as Entra does.
func (c *Client) CreateUser(ctx context.Context, u UserSpec) (string, error) {
	id, _, err := c.provisionUser(ctx, u)
	return id, err
}

func (c *Client) provisionUser(ctx context.Context, u UserSpec) (id string, created bool, err error) {
	u, err = u.normalized()
	if err != nil {
		return "", false, err
	}
	existing, err := c.FindUser(ctx, u.UserName)
	switch {
	case err == nil:
		if err := c.updateUser(ctx, existing, u); err != nil {
			return existing.ID(), false, err
		}
		return existing.ID(), false, nil
	case !errors.Is(err, ErrNotFound):
		return "", false, err
	}
	resp, err := c.do(ctx, request{step: "create user " + u.UserName, method: http.MethodPost, path: "/Users", body: c.userBody(u, "", true)})
	if err != nil {
		return "", false, err
	}
	r, err := decodeResource(resp, "create user")
	if err != nil {
		return "", false, err
	}
	if c.cfg.Dialect == Entra && u.ManagerID != "" {
		// Entra resolves references after both users exist and sends the
		// manager on its own, by path, as a plain string.
		op := patchOp{Op: "Add", Path: SchemaEnterpriseUser + ":manager", Value: u.ManagerID}
		if _, err := c.do(ctx, request{step: "set manager of " + u.UserName, method: http.MethodPatch, path: "/Users/" + url.PathEscape(r.ID()), body: patch(op)}); err != nil {
			return r.ID(), true, err
		}
	}
	return r.ID(), true, nil
}

// userBody is the POST (or, for Okta, PUT) representation of u.
func (c *Client) userBody(u UserSpec, id string, create bool) map[string]any {
	enterprise := map[string]any{}
	if u.Department != "" {
		enterprise["department"] = u.Department
	}
	if u.EmployeeNumber != "" {
		enterprise["employeeNumber"] = u.EmployeeNumber
	}
	schemas := []string{SchemaUser}
	body := map[string]any{
		"userName":    u.UserName,
		"displayName": u.DisplayName,
		"active":      !u.Inactive,
	}
	name := map[string]any{}
	if u.GivenName != "" {
		name["givenName"] = u.GivenName
	}
	if u.FamilyName != "" {
		name["familyName"] = u.FamilyName
	}
	if u.Email != "" {
		body["emails"] = []map[string]any{{"primary": true, "value": u.Email, "type": "work"}}
	}
	if u.ExternalID != "" {
		body["externalId"] = u.ExternalID
	}
	if u.Title != "" {
		body["title"] = u.Title
	}
	if u.MobilePhone != "" {
		body["phoneNumbers"] = []map[string]any{{"type": "mobile", "value": u.MobilePhone}}
	}
	switch c.cfg.Dialect {
	case Okta:
		// Okta's shape: locale, an empty groups array, the password when
		// pushed; the manager as {"value": id}; PUT repeats the id.
		body["locale"] = "en-US"
		body["groups"] = []any{}
		if id != "" {
			body["id"] = id
		}
		if create && u.Password != "" {
			body["password"] = u.Password
		}
		if u.ManagerID != "" {
			enterprise["manager"] = map[string]any{"value": u.ManagerID}
		}
	case Entra:
		// Entra's shape: meta.resourceType, name.formatted, an empty roles
		// array; the manager comes later in a PATCH.
		body["meta"] = map[string]any{"resourceType": "User"}
		body["roles"] = []any{}
		if len(name) > 0 {
			name["formatted"] = strings.TrimSpace(u.GivenName + " " + u.FamilyName)
		}
		if create && u.Password != "" {
			body["password"] = u.Password
		}
	}
	if len(name) > 0 {
		body["name"] = name
	}
	if len(enterprise) > 0 {
		schemas = append(schemas, SchemaEnterpriseUser)
		body[SchemaEnterpriseUser] = enterprise
	}
	for _, urn := range sortedURNs(u.Extensions) {
		if len(u.Extensions[urn]) > 0 {
			schemas = append(schemas, urn)
			body[urn] = u.Extensions[urn]
		}
	}
	body["schemas"] = schemas
	return body
}

// UpdateUser brings the server's user id in line with u, the provider's
// way. Okta reads the user and replaces it with PUT. Entra reads it and
// sends one PATCH with only what differs: value-filtered paths for the
// work email and mobile phone, a path-less Replace with dotted keys for
// the name, a path-less Add with enterprise URN keys for department and
// employee number, the manager as a plain string under its URN key, and
// active as "True"/"False"; nothing when nothing differs.
func (c *Client) UpdateUser(ctx context.Context, id string, u UserSpec) error {
	u, err := u.normalized()
	if err != nil {
		return err
	}
	cur, err := c.GetUser(ctx, id)
	if err != nil {
		return err
	}
	return c.updateUser(ctx, cur, u)
}

func (c *Client) updateUser(ctx context.Context, cur Resource, u UserSpec) error {
	id := cur.ID()
	if c.cfg.Dialect == Okta {
		_, err := c.do(ctx, request{step: "update user " + u.UserName, method: http.MethodPut, path: "/Users/" + url.PathEscape(id), body: c.userBody(u, id, false)})
		return err
	}
	ops := entraDiff(cur, u)
	if len(ops) == 0 {
		return nil
	}
	_, err := c.do(ctx, request{step: "update user " + u.UserName, method: http.MethodPatch, path: "/Users/" + url.PathEscape(id), body: patch(ops...)})
	return err
}

// entraDiff returns Entra's operations to turn cur into u.
func entraDiff(cur Resource, u UserSpec) []patchOp {
	var ops []patchOp
	setPath := func(path, have, want string) {
		if want == "" || want == have {
			return
		}
		op := "Replace"
		if have == "" {
			op = "Add"
		}
		ops = append(ops, patchOp{Op: op, Path: path, Value: want})
	}
	setPath("userName", cur.String("userName"), u.UserName)
	setPath("displayName", cur.String("displayName"), u.DisplayName)
	setPath("title", cur.String("title"), u.Title)
	setPath(`emails[type eq "work"].value`, typedValue(cur, "emails", "work"), u.Email)
	setPath(`phoneNumbers[type eq "mobile"].value`, typedValue(cur, "phoneNumbers", "mobile"), u.MobilePhone)

	names := map[string]any{}
	if u.GivenName != "" && u.GivenName != cur.String("name.givenName") {
		names["name.givenName"] = u.GivenName
	}
	if u.FamilyName != "" && u.FamilyName != cur.String("name.familyName") {
		names["name.familyName"] = u.FamilyName
	}
	if len(names) > 0 {
		if f := strings.TrimSpace(u.GivenName + " " + u.FamilyName); f != "" {
			names["name.formatted"] = f
		}
		ops = append(ops, patchOp{Op: "Replace", Value: names})
	}

	ext, _ := cur.lookup(SchemaEnterpriseUser).(map[string]any)
	extRes := Resource(ext)
	urn := map[string]any{}
	if u.Department != "" && u.Department != extRes.String("department") {
		urn[SchemaEnterpriseUser+":department"] = u.Department
	}
	if u.EmployeeNumber != "" && u.EmployeeNumber != extRes.String("employeeNumber") {
		urn[SchemaEnterpriseUser+":employeeNumber"] = u.EmployeeNumber
	}
	if len(urn) > 0 {
		ops = append(ops, patchOp{Op: "Add", Value: urn})
	}
	for _, urn := range sortedURNs(u.Extensions) {
		have, _ := cur.lookup(urn).(map[string]any)
		attrs := u.Extensions[urn]
		names := make([]string, 0, len(attrs))
		for k := range attrs {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			if !sameJSON(have[k], attrs[k]) {
				ops = append(ops, patchOp{Op: "Add", Path: urn + ":" + k, Value: attrs[k]})
			}
		}
	}
	if u.ManagerID != "" && u.ManagerID != managerID(extRes) {
		ops = append(ops, patchOp{Op: "Replace", Value: map[string]any{SchemaEnterpriseUser + ":manager": u.ManagerID}})
	}
	if active, ok := cur.Active(); !ok || active == u.Inactive {
		v := "True"
		if u.Inactive {
			v = "False"
		}
		ops = append(ops, patchOp{Op: "Replace", Path: "active", Value: v})
	}
	return ops
}

// typedValue returns the value of the element of a multi-valued attribute
// whose type is typ.
func typedValue(r Resource, attr, typ string) string {
	list, _ := r.lookup(attr).([]any)
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if t, _ := Resource(m).lookup("type").(string); strings.EqualFold(t, typ) {
			v, _ := Resource(m).lookup("value").(string)
			return v
		}
	}
	return ""
}

func managerID(ext Resource) string {
	switch m := ext.lookup("manager").(type) {
	case string:
		return m
	case map[string]any:
		v, _ := Resource(m).lookup("value").(string)
		return v
	}
	return ""
}

// DeactivateUser deactivates a user the provider's way. Okta:
// {"op":"replace","value":{"active":false}} without path. Entra:
// {"op":"Replace","path":"active","value":"False"}.
func (c *Client) DeactivateUser(ctx context.Context, id string) error {
	return c.setActive(ctx, id, false)
}

// ReactivateUser is the reverse of DeactivateUser.
func (c *Client) ReactivateUser(ctx context.Context, id string) error {
	return c.setActive(ctx, id, true)
}

func (c *Client) setActive(ctx context.Context, id string, active bool) error {
	if err := checkID(id); err != nil {
		return err
	}
	var op patchOp
	if c.cfg.Dialect == Okta {
		op = patchOp{Op: "replace", Value: map[string]any{"active": active}}
	} else {
		op = patchOp{Op: "Replace", Path: "active", Value: c.boolValue(active)}
	}
	step := "deactivate user " + id
	if active {
		step = "reactivate user " + id
	}
	_, err := c.do(ctx, request{step: step, method: http.MethodPatch, path: "/Users/" + url.PathEscape(id), body: patch(op)})
	return err
}

// DeleteUser deletes a user (Entra, after a soft delete or when the user
// is deleted in the directory). Okta never deletes users: ErrUnsupported.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	if c.cfg.Dialect == Okta {
		return fmt.Errorf("%w: Okta deactivates users and never deletes them", ErrUnsupported)
	}
	if err := checkID(id); err != nil {
		return err
	}
	_, err := c.do(ctx, request{step: "delete user " + id, method: http.MethodDelete, path: "/Users/" + url.PathEscape(id)})
	return err
}

func sortedURNs(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sameJSON reports whether a and b encode to the same JSON (a number read
// back from the server equals the int sent).
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
