package scimkit

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentUpdates sends parallel PATCHes touching different
// attributes of one user, and parallel member additions to one group:
// no update is lost.
func TestConcurrentUpdates(t *testing.T) { forEachStore(t, testConcurrentUpdates) }

func testConcurrentUpdates(t *testing.T, mk envMaker) {
	e := mk(t, nil)
	uid := e.must(201, e.do("POST", "/Users", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com"}`)).str("id")
	gid := e.must(201, e.do("POST", "/Groups", e.token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"}`)).str("id")
	const n = 8
	ids := make([]string, n)
	for i := range n {
		ids[i] = e.must(201, e.do("POST", "/Users", e.token, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"m%d@example.com"}`, i))).str("id")
	}
	var wg sync.WaitGroup
	errs := make(chan string, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r := e.do("PATCH", "/Users/"+uid, e.token, patchHead+fmt.Sprintf(`[{"op":"add","path":"phoneNumbers[type eq \"t%d\"].value","value":"%d"}]}`, i, i))
			if r.status != 200 {
				errs <- string(r.raw)
			}
		}()
		go func() {
			defer wg.Done()
			r := e.do("PATCH", "/Groups/"+gid, e.token, patchHead+`[{"op":"add","path":"members","value":[{"value":"`+ids[i]+`"}]}]}`)
			if r.status != 204 {
				errs <- string(r.raw)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Errorf("request failed: %s", msg)
	}
	m, err := decodeAttrs(e.user(uid).Attributes)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(asList(m["phoneNumbers"])); got != n {
		t.Fatalf("%d phone numbers, want %d: an update was lost", got, n)
	}
	if got := len(e.members(gid)); got != n {
		t.Fatalf("%d members, want %d", got, n)
	}
	evs, _ := e.events(0)
	added := 0
	for _, ev := range evs {
		if ev.Type == EventMembershipAdded {
			added++
		}
	}
	if added != n {
		t.Fatalf("%d membership.added events, want %d", added, n)
	}
	_ = context.Background()
}
