package scimkit

import (
	"github.com/onboardkit/onboardkit/store"
)

// fitStore makes a translated filter one that every Store accepts
// (store.MaxFilterNodes, store.MaxFilterDepth), or refuses it with a
// *FilterError: the IdP then gets 400 invalidFilter from every Store
// alike, rather than a refusal from some Stores only. A chain of one
// operator ("a or b or c ...") nests one level per term as parsed; when
// that is too deep it is rebuilt as a balanced tree, which means the same.
func fitStore(raw string, f store.Filter) (store.Filter, error) {
	nodes, depth := storeFilterSize(f)
	if depth > store.MaxFilterDepth {
		f = balanceChains(f)
		nodes, depth = storeFilterSize(f)
	}
	if nodes > store.MaxFilterNodes {
		return nil, filterErr(raw[:min(len(raw), 64)], "more than %d conditions and operators", store.MaxFilterNodes)
	}
	if depth > store.MaxFilterDepth {
		return nil, filterErr(raw[:min(len(raw), 64)], "nested more than %d deep", store.MaxFilterDepth)
	}
	return f, nil
}

// storeFilterSize returns the number of nodes of f and the number of And, Or
// and Not nodes above its deepest Compare.
func storeFilterSize(f store.Filter) (nodes, depth int) {
	switch n := f.(type) {
	case store.And:
		ln, ld := storeFilterSize(n.Left)
		rn, rd := storeFilterSize(n.Right)
		return ln + rn + 1, max(ld, rd) + 1
	case store.Or:
		ln, ld := storeFilterSize(n.Left)
		rn, rd := storeFilterSize(n.Right)
		return ln + rn + 1, max(ld, rd) + 1
	case store.Not:
		in, d := storeFilterSize(n.F)
		return in + 1, d + 1
	}
	return 1, 0
}

// balanceChains rebuilds every chain of And (or of Or) in f as a balanced
// tree of the same operands in the same order.
func balanceChains(f store.Filter) store.Filter {
	switch n := f.(type) {
	case store.And:
		var ops []store.Filter
		for _, o := range chainOperands(f, nil) {
			ops = append(ops, balanceChains(o))
		}
		return balancedJoin(ops, func(l, r store.Filter) store.Filter { return store.And{Left: l, Right: r} })
	case store.Or:
		var ops []store.Filter
		for _, o := range chainOperands(f, nil) {
			ops = append(ops, balanceChains(o))
		}
		return balancedJoin(ops, func(l, r store.Filter) store.Filter { return store.Or{Left: l, Right: r} })
	case store.Not:
		return store.Not{F: balanceChains(n.F)}
	}
	return f
}

// chainOperands appends to ops the operands of the chain of f's operator
// (And or Or) that f heads, left to right.
func chainOperands(f store.Filter, ops []store.Filter) []store.Filter {
	switch n := f.(type) {
	case store.And:
		for _, c := range []store.Filter{n.Left, n.Right} {
			if _, same := c.(store.And); same {
				ops = chainOperands(c, ops)
			} else {
				ops = append(ops, c)
			}
		}
	case store.Or:
		for _, c := range []store.Filter{n.Left, n.Right} {
			if _, same := c.(store.Or); same {
				ops = chainOperands(c, ops)
			} else {
				ops = append(ops, c)
			}
		}
	}
	return ops
}

func balancedJoin(fs []store.Filter, join func(l, r store.Filter) store.Filter) store.Filter {
	if len(fs) == 1 {
		return fs[0]
	}
	mid := len(fs) / 2
	return join(balancedJoin(fs[:mid], join), balancedJoin(fs[mid:], join))
}
