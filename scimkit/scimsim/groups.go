package scimsim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// GroupSpec is a group as the identity provider holds it.
type GroupSpec struct {
	// DisplayName is required.
	DisplayName string
	// ExternalID is the provider's id of the group (Entra sends one).
	ExternalID string
}

// Member is a group member to add: its id on the server and, for Okta's
// "display", a name.
type Member struct {
	ID      string
	Display string
}

// FindGroup looks a group up by displayName the provider's way (Entra adds
// excludedAttributes=members); ErrNotFound when nothing matches.
func (c *Client) FindGroup(ctx context.Context, displayName string) (Resource, error) {
	return c.find(ctx, "/Groups", "displayName", displayName, "look up group "+displayName)
}

// GetGroup reads a group by id. Entra reads it with
// excludedAttributes=members.
func (c *Client) GetGroup(ctx context.Context, id string) (Resource, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	r := request{step: "get group " + id, method: http.MethodGet, path: "/Groups/" + url.PathEscape(id), expect: []int{200}}
	if c.cfg.Dialect == Entra {
		r.rawQuery = "excludedAttributes=members"
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	return decodeResource(resp, "get group")
}

// CreateGroup pushes a group: it looks the displayName up first and
// returns the existing group's id when there is one, else creates it
// without members (both providers add members afterwards with PATCH).
func (c *Client) CreateGroup(ctx context.Context, g GroupSpec) (string, error) {
	id, _, err := c.provisionGroup(ctx, g)
	return id, err
}

func (c *Client) provisionGroup(ctx context.Context, g GroupSpec) (string, bool, error) {
	if strings.TrimSpace(g.DisplayName) == "" {
		return "", false, errors.New("scimsim: GroupSpec.DisplayName is required")
	}
	existing, err := c.FindGroup(ctx, g.DisplayName)
	switch {
	case err == nil:
		return existing.ID(), false, nil
	case !errors.Is(err, ErrNotFound):
		return "", false, err
	}
	var body map[string]any
	if c.cfg.Dialect == Okta {
		body = map[string]any{"schemas": []string{SchemaGroup}, "displayName": g.DisplayName, "members": []any{}}
	} else {
		body = map[string]any{
			"schemas":     []string{SchemaGroup, SchemaEntraGroup},
			"displayName": g.DisplayName,
			"meta":        map[string]any{"resourceType": "Group"},
		}
		if g.ExternalID != "" {
			body["externalId"] = g.ExternalID
		}
	}
	resp, err := c.do(ctx, request{step: "create group " + g.DisplayName, method: http.MethodPost, path: "/Groups", body: body})
	if err != nil {
		return "", false, err
	}
	r, err := decodeResource(resp, "create group")
	if err != nil {
		return "", false, err
	}
	return r.ID(), true, nil
}

// RenameGroup changes a group's displayName. Okta sends a path-less
// replace carrying id and displayName; Entra a Replace of path displayName.
func (c *Client) RenameGroup(ctx context.Context, id, displayName string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if strings.TrimSpace(displayName) == "" {
		return errors.New("scimsim: a group displayName is required")
	}
	var op patchOp
	if c.cfg.Dialect == Okta {
		op = patchOp{Op: "replace", Value: map[string]any{"id": id, "displayName": displayName}}
	} else {
		op = patchOp{Op: "Replace", Path: "displayName", Value: displayName}
	}
	_, err := c.do(ctx, request{step: "rename group " + id, method: http.MethodPatch, path: "/Groups/" + url.PathEscape(id), body: patch(op)})
	return err
}

// AddMembers adds members to a group in one PATCH: Okta
// {"op":"add","path":"members","value":[{"value":id,"display":...}]},
// Entra {"op":"Add","path":"members","value":[{"value":id}]}.
func (c *Client) AddMembers(ctx context.Context, groupID string, members ...Member) error {
	if err := checkID(groupID); err != nil {
		return err
	}
	if len(members) == 0 {
		return nil
	}
	values := make([]map[string]any, 0, len(members))
	for _, m := range members {
		if err := checkID(m.ID); err != nil {
			return err
		}
		v := map[string]any{"value": m.ID}
		if c.cfg.Dialect == Okta && m.Display != "" {
			v["display"] = m.Display
		}
		values = append(values, v)
	}
	_, err := c.do(ctx, request{step: "add members to group " + groupID, method: http.MethodPatch, path: "/Groups/" + url.PathEscape(groupID),
		body: patch(patchOp{Op: c.op("add"), Path: "members", Value: values})})
	return err
}

// RemoveMembers removes members from a group in one PATCH: Okta one
// {"op":"remove","path":"members[value eq \"id\"]"} per member, Entra one
// {"op":"Remove","path":"members","value":[{"value":id},...]}.
func (c *Client) RemoveMembers(ctx context.Context, groupID string, memberIDs ...string) error {
	if err := checkID(groupID); err != nil {
		return err
	}
	if len(memberIDs) == 0 {
		return nil
	}
	var ops []patchOp
	values := make([]map[string]any, 0, len(memberIDs))
	for _, id := range memberIDs {
		if err := checkID(id); err != nil {
			return err
		}
		if c.cfg.Dialect == Okta {
			ops = append(ops, patchOp{Op: "remove", Path: "members[value eq " + quoteFilter(id) + "]"})
		} else {
			values = append(values, map[string]any{"value": id})
		}
	}
	if c.cfg.Dialect == Entra {
		ops = []patchOp{{Op: "Remove", Path: "members", Value: values}}
	}
	_, err := c.do(ctx, request{step: "remove members from group " + groupID, method: http.MethodPatch, path: "/Groups/" + url.PathEscape(groupID), body: patch(ops...)})
	return err
}

// DeleteGroup deletes a group.
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	_, err := c.do(ctx, request{step: "delete group " + id, method: http.MethodDelete, path: "/Groups/" + url.PathEscape(id)})
	return err
}

// SetMembership adds the user userName to the group displayName, creating
// the group when the server has none of that name (a group push), or,
// with member false, removes the user from it: what an IT admin does by
// assigning a person to a group in the provider. It returns the ids of
// the group and the user on the server; ErrNotFound when the server has no
// such user, or no such group to remove the user from.
func (c *Client) SetMembership(ctx context.Context, displayName, userName string, member bool) (groupID, userID string, err error) {
	u, err := c.FindUser(ctx, userName)
	if err != nil {
		return "", "", err
	}
	userID = u.ID()
	if member {
		if groupID, _, err = c.provisionGroup(ctx, GroupSpec{DisplayName: displayName}); err != nil {
			return "", userID, err
		}
		return groupID, userID, c.AddMembers(ctx, groupID, Member{ID: userID, Display: userName})
	}
	g, err := c.FindGroup(ctx, displayName)
	if err != nil {
		return "", userID, err
	}
	return g.ID(), userID, c.RemoveMembers(ctx, g.ID(), userID)
}
