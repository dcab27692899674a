package mango

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Collection is an in-memory copy of one namespace's documents together with
// its indexes, each kept sorted by its key so that a query restricting an
// index's first field reads only the matching range instead of every
// document. It gives the same results as [Execute] over the same documents
// and indexes.
//
// Put and Delete are cheap; the sorted structures absorb pending changes on
// the next Find, in time linear in the collection size. A Collection is safe
// for concurrent use; a Find sees the documents as they were when it began.
type Collection struct {
	mu      sync.RWMutex
	docs    map[string]*row       // current documents by key
	all     *collIndex            // _all_docs: every document by key
	indexes map[string]*collIndex // by "ddoc/name"
	pending map[string]struct{}   // keys changed since the sorted structures were updated
}

// collIndex is one index: rows sorted by (key, id).
type collIndex struct {
	def  *Index // nil for _all_docs
	cols [][]string
	rows []*row
}

// NewCollection returns an empty collection.
func NewCollection() *Collection {
	return &Collection{
		docs:    map[string]*row{},
		all:     &collIndex{},
		indexes: map[string]*collIndex{},
		pending: map[string]struct{}{},
	}
}

// Put inserts or replaces the document stored under key; value is not
// retained. A value that is not a JSON object is not a document (see
// [Doc]): Put then removes whatever key held, as Delete does.
func (c *Collection) Put(key string, value []byte) {
	doc, ok := decodeDoc(value)
	if !ok {
		c.Delete(key)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.docs[key] = &row{id: key, doc: doc}
	c.pending[key] = struct{}{}
}

// Delete removes the document stored under key, if any.
func (c *Collection) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.docs[key]; ok {
		delete(c.docs, key)
		c.pending[key] = struct{}{}
	}
}

// Len returns the number of documents.
func (c *Collection) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.docs)
}

// DefineIndex adds ix, replacing an index with the same DDoc and Name, and
// builds it over the current documents.
func (c *Collection) DefineIndex(ix Index) error {
	if err := ix.validate(); err != nil {
		return fmt.Errorf("define index: %w", err)
	}
	def := ix
	def.Fields = slices.Clone(ix.Fields)
	ci := &collIndex{def: &def}
	for _, f := range def.Fields {
		p, _ := splitPath(f.Field)
		ci.cols = append(ci.cols, p)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range c.docs {
		if r, ok := ci.rowFor(d); ok {
			ci.rows = append(ci.rows, r)
		}
	}
	slices.SortFunc(ci.rows, compareRows)
	c.indexes[def.String()] = ci
	return nil
}

// Indexes returns the defined indexes ordered by DDoc and Name.
func (c *Collection) Indexes() []Index {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.indexList()
}

func (c *Collection) indexList() []Index {
	out := make([]Index, 0, len(c.indexes))
	for _, name := range slices.Sorted(maps.Keys(c.indexes)) {
		out = append(out, *c.indexes[name].def)
	}
	return out
}

// rowFor returns the row of document d in the index, if d belongs in it.
func (ci *collIndex) rowFor(d *row) (*row, bool) {
	if ci.def == nil {
		return d, true
	}
	key, ok := indexKey(ci.cols, ci.def.partial, d.id, d.doc)
	if !ok {
		return nil, false
	}
	r := *d
	r.key = key
	return &r, true
}

// refresh folds pending changes into the sorted structures. The caller
// holds the write lock.
func (c *Collection) refresh() {
	if len(c.pending) == 0 {
		return
	}
	changed := slices.Sorted(maps.Keys(c.pending))
	for _, ci := range append([]*collIndex{c.all}, slices.Collect(maps.Values(c.indexes))...) {
		kept := slices.DeleteFunc(ci.rows, func(r *row) bool {
			_, ok := c.pending[r.id]
			return ok
		})
		var added []*row
		for _, k := range changed {
			if d, ok := c.docs[k]; ok {
				if r, ok := ci.rowFor(d); ok {
					added = append(added, r)
				}
			}
		}
		slices.SortFunc(added, compareRows)
		ci.rows = mergeRows(kept, added)
	}
	clear(c.pending)
}

func mergeRows(a, b []*row) []*row {
	if len(b) == 0 {
		return a
	}
	out := make([]*row, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if compareRows(a[i], b[j]) <= 0 {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// Find runs q over the collection with the same semantics as [Execute].
func (c *Collection) Find(q *Query, opts Options) (Result, error) {
	if q == nil || q.selector == nil {
		return Result{}, errors.New("find: query is nil or was not made by Parse")
	}
	c.mu.RLock()
	for len(c.pending) > 0 {
		c.mu.RUnlock()
		c.mu.Lock()
		c.refresh()
		c.mu.Unlock()
		c.mu.RLock()
	}
	defer c.mu.RUnlock()

	p, err := choosePlan(q, c.indexList())
	if err != nil {
		return Result{}, err
	}
	if q.noop {
		return Result{IndexUsed: p.name()}, nil
	}
	ci := c.all
	if p.index != nil {
		ci = c.indexes[p.index.String()]
	}
	pg, bm, err := newPager(q, p, opts)
	if err != nil {
		return Result{}, err
	}

	rows := ci.rows
	start, end := 0, len(rows)
	if p.index != nil && !(len(p.cols[0]) == 1 && p.cols[0][0] == "_id") {
		start, end = keyRange(rows, fieldBounds(q.selector, p.index.Fields[0].Field))
	}
	drop := -1
	if bm != nil {
		b := bm.row()
		if !p.desc {
			pos := sort.Search(len(rows), func(i int) bool { return compareRows(rows[i], b) >= 0 })
			drop = pos
			start = max(start, pos)
		} else {
			pos := sort.Search(len(rows), func(i int) bool { return compareRows(rows[i], b) > 0 }) - 1
			drop = pos
			end = min(end, pos+1)
		}
	}
	for n := 0; n < end-start; n++ {
		i := start + n
		if p.desc {
			i = end - 1 - n
		}
		if i == drop {
			continue
		}
		more, err := pg.offer(rows[i], false)
		if err != nil {
			return Result{}, err
		}
		if !more {
			break
		}
	}
	return pg.result()
}

// bounds is the range of values a selector allows for one field.
type bounds struct {
	lo, hi         any
	hasLo, hasHi   bool
	loIncl, hiIncl bool
}

// fieldBounds derives, from the conditions on field reachable through
// $and, the range every matching document's value of field lies in.
func fieldBounds(sel *node, field string) bounds {
	var b bounds
	forAndConditions(sel, func(n *node) {
		if n.field != field {
			return
		}
		v := n.arg.val
		switch n.arg.op {
		case opEq:
			b.raiseLo(v, true)
			b.lowerHi(v, true)
		case opGt:
			b.raiseLo(v, false)
		case opGte:
			b.raiseLo(v, true)
		case opLt:
			b.lowerHi(v, false)
		case opLte:
			b.lowerHi(v, true)
		}
	})
	return b
}

func (b *bounds) raiseLo(v any, incl bool) {
	if !b.hasLo {
		b.lo, b.loIncl, b.hasLo = v, incl, true
		return
	}
	switch c := compare(v, b.lo); {
	case c > 0:
		b.lo, b.loIncl = v, incl
	case c == 0:
		b.loIncl = b.loIncl && incl
	}
}

func (b *bounds) lowerHi(v any, incl bool) {
	if !b.hasHi {
		b.hi, b.hiIncl, b.hasHi = v, incl, true
		return
	}
	switch c := compare(v, b.hi); {
	case c < 0:
		b.hi, b.hiIncl = v, incl
	case c == 0:
		b.hiIncl = b.hiIncl && incl
	}
}

// keyRange returns the half-open span of rows whose first key column lies
// within b.
func keyRange(rows []*row, b bounds) (int, int) {
	start, end := 0, len(rows)
	if b.hasLo {
		start = sort.Search(len(rows), func(i int) bool {
			c := compare(rows[i].key[0], b.lo)
			return c > 0 || (c == 0 && b.loIncl)
		})
	}
	if b.hasHi {
		end = sort.Search(len(rows), func(i int) bool {
			c := compare(rows[i].key[0], b.hi)
			return c > 0 || (c == 0 && !b.hiIncl)
		})
	}
	if end < start {
		end = start
	}
	return start, end
}

// String describes the collection for debugging.
func (c *Collection) String() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return fmt.Sprintf("mango.Collection{docs: %d, indexes: [%s]}", len(c.docs), strings.Join(slices.Sorted(maps.Keys(c.indexes)), " "))
}
