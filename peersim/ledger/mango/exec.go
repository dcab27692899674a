package mango

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
)

// row is one entry of an index: the document and its key in that index.
type row struct {
	key []any // index key; nil for _all_docs, whose key is the id
	id  string
	doc map[string]any // never nil: values that are not JSON objects have no row
}

// compareRows orders rows as the index does: by key, then by document id.
func compareRows(a, b *row) int {
	if c := compareKeys(a.key, b.key); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// indexKey returns the key of doc in an index with the given columns, or
// false when the document does not appear in that index: CouchDB's JSON
// indexes leave out documents that lack any of their fields or that do not
// match the index's partial_filter_selector.
func indexKey(cols [][]string, partial *node, id string, doc map[string]any) ([]any, bool) {
	key := make([]any, len(cols))
	for i, c := range cols {
		if len(c) == 1 && c[0] == "_id" {
			key[i] = id
			continue
		}
		v, st := getField(doc, c)
		if st != found {
			return nil, false
		}
		key[i] = v
	}
	if partial != nil && !matchDoc(partial, doc, id) {
		return nil, false
	}
	return key, true
}

// bookmark is the decoded form of a bookmark: where the previous page ended.
type bookmark struct {
	Index string `json:"i"`
	Key   []any  `json:"k,omitempty"`
	ID    string `json:"id"`
}

func encodeBookmark(p plan, r *row) (string, error) {
	b, err := json.Marshal(bookmark{Index: p.name(), Key: r.key, ID: r.id})
	if err != nil {
		return "", fmt.Errorf("encode bookmark for document %q: %w", r.id, err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func invalidBookmark(s, why string) error {
	return &CouchError{
		StatusCode: 400,
		Code:       "invalid_bookmark",
		Reason:     fmt.Sprintf("Invalid bookmark value: %q (%s); pass the bookmark a previous page of the same query returned, or \"\" for the first page", s, why),
		Err:        ErrInvalidBookmark,
	}
}

func decodeBookmark(s string, p plan) (*bookmark, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, invalidBookmark(s, "not issued by this engine")
	}
	var b bookmark
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, invalidBookmark(s, "not issued by this engine")
	}
	if b.Index != p.name() {
		return nil, invalidBookmark(s, fmt.Sprintf("issued for a query served by index %s, this query is served by %s", b.Index, p.name()))
	}
	if len(b.Key) != len(p.cols) {
		return nil, invalidBookmark(s, "its key does not fit the index")
	}
	return &b, nil
}

// bookmarkRow is the position a bookmark designates.
func (b *bookmark) row() *row { return &row{key: b.Key, id: b.ID} }

// pager applies, in index order, what CouchDB applies to the rows it reads
// after positioning on the bookmark: the selector, skip and limit. Like
// CouchDB it remembers the last matching row seen while the limit was not
// reached, skipped or not, as the next bookmark.
type pager struct {
	q     *Query
	p     plan
	skip  int
	limit int    // < 0: no limit
	in    string // the bookmark this page starts after
	out   []Doc
	last  *row
}

// newPager starts a page of q served by plan p, with the effective skip,
// limit and bookmark (opts' over the query's own), and returns the decoded
// bookmark as well.
func newPager(q *Query, p plan, opts Options) (*pager, *bookmark, error) {
	pg := &pager{q: q, p: p, skip: q.Skip, limit: q.Limit, in: q.Bookmark}
	if opts.Limit > 0 {
		pg.limit = opts.Limit
	}
	if opts.Bookmark != "" {
		pg.in = opts.Bookmark
	}
	bm, err := decodeBookmark(pg.in, p)
	if err != nil {
		return nil, nil, err
	}
	return pg, bm, nil
}

// offer feeds the next row in index order and reports whether more rows are
// wanted. matched tells that the caller already evaluated the selector.
func (pg *pager) offer(r *row, matched bool) (bool, error) {
	if !matched && !matchDoc(pg.q.selector, r.doc, r.id) {
		return true, nil
	}
	if pg.limit == 0 {
		return false, nil
	}
	pg.last = r
	if pg.skip > 0 {
		pg.skip--
		return true, nil
	}
	v, err := pg.q.project(r)
	if err != nil {
		return false, err
	}
	pg.out = append(pg.out, Doc{Key: r.id, Value: v})
	if pg.limit > 0 {
		pg.limit--
	}
	return pg.limit != 0, nil
}

func (pg *pager) result() (Result, error) {
	res := Result{Docs: pg.out, IndexUsed: pg.p.name(), Warning: pg.p.warning}
	switch {
	case pg.last != nil:
		b, err := encodeBookmark(pg.p, pg.last)
		if err != nil {
			return Result{}, err
		}
		res.Bookmark = b
	case pg.in != "":
		res.Bookmark = pg.in
	default:
		res.Bookmark = "nil"
	}
	return res, nil
}

// project returns the value Fabric hands the chaincode for a matching
// document: the JSON object re-encoded by encoding/json (sorted keys), with
// only the requested fields when "fields" is given.
func (q *Query) project(r *row) ([]byte, error) {
	doc := r.doc
	if len(q.fieldPaths) > 0 {
		doc = map[string]any{}
		for _, p := range q.fieldPaths {
			v, st := getField(r.doc, p)
			if st == found {
				setField(doc, p, v)
			}
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode document %q: %w", r.id, err)
	}
	return b, nil
}

// setField stores v at path in doc, creating intermediate objects.
func setField(doc map[string]any, path []string, v any) {
	for _, seg := range path[:len(path)-1] {
		next, ok := doc[seg].(map[string]any)
		if !ok {
			next = map[string]any{}
			doc[seg] = next
		}
		doc = next
	}
	doc[path[len(path)-1]] = v
}

// Execute runs q over docs and returns one page of results, as CouchDB's
// _find would over a database holding exactly docs. docs must arrive in
// ascending key order (the order of the state database); Execute returns an
// error if they do not. A caller whose iterator can fail stops yielding and
// reports its own error after Execute returns.
//
// indexes are the indexes defined for the namespace. They decide, as in
// CouchDB, whether a sort is allowed, which documents a query can see and
// the order of the results (see the package documentation), but Execute
// reads and decodes every document regardless; [Collection] uses them to
// read less.
//
// A selector that normalizes to an empty $and or $or ({"$or":[]}) returns
// nothing and no bookmark, as CouchDB 3 skips reading altogether; combined
// with other conditions an empty $or or $and is simply true.
//
// Errors: a [*CouchError] wrapping [ErrNoUsableIndex] for a sort no index
// serves, or [ErrInvalidBookmark] for a bookmark this engine did not issue
// for the same index.
func Execute(q *Query, docs iter.Seq[Doc], indexes []Index, opts Options) (Result, error) {
	if q == nil || q.selector == nil {
		return Result{}, errors.New("execute: query is nil or was not made by Parse")
	}
	if docs == nil {
		docs = func(func(Doc) bool) {}
	}
	for _, ix := range indexes {
		if err := ix.validate(); err != nil {
			return Result{}, fmt.Errorf("execute: %w", err)
		}
	}
	p, err := choosePlan(q, indexes)
	if err != nil {
		return Result{}, err
	}
	if q.noop {
		return Result{IndexUsed: p.name()}, nil
	}
	pg, bm, err := newPager(q, p, opts)
	if err != nil {
		return Result{}, err
	}
	if p.index == nil && !p.desc {
		err = streamAllDocs(docs, bm, pg)
	} else {
		err = scanAndSort(docs, bm, p, pg)
	}
	if err != nil {
		return Result{}, err
	}
	return pg.result()
}

// streamAllDocs serves an ascending _all_docs read without buffering: the
// documents already come in key order.
func streamAllDocs(docs iter.Seq[Doc], bm *bookmark, pg *pager) error {
	var prev string
	first := true
	dropped := bm == nil
	var err error
	for d := range docs {
		if !first && d.Key <= prev {
			err = fmt.Errorf("execute: documents must arrive in ascending key order, got %q after %q", d.Key, prev)
			break
		}
		first, prev = false, d.Key
		if bm != nil && d.Key < bm.ID {
			continue
		}
		doc, ok := decodeDoc(d.Value)
		if !ok {
			continue // not a document: invisible, and not a row to resume after
		}
		if !dropped {
			// CouchDB resumes at the bookmarked row and skips one row.
			dropped = true
			continue
		}
		more, perr := pg.offer(&row{id: d.Key, doc: doc}, false)
		if perr != nil {
			err = perr
			break
		}
		if !more {
			break
		}
	}
	return err
}

// scanAndSort reads every document, keeps the matching ones that are in the
// chosen index and orders them as the index would.
func scanAndSort(docs iter.Seq[Doc], bm *bookmark, p plan, pg *pager) error {
	var partial *node
	if p.index != nil {
		partial = p.index.partial
	}
	before := func(a, b *row) bool { // a comes before b in traversal order
		c := compareRows(a, b)
		if p.desc {
			return c > 0
		}
		return c < 0
	}
	var start, drop *row
	if bm != nil {
		start = bm.row()
	}
	var rows []*row
	var prev string
	first := true
	for d := range docs {
		if !first && d.Key <= prev {
			return fmt.Errorf("execute: documents must arrive in ascending key order, got %q after %q", d.Key, prev)
		}
		first, prev = false, d.Key
		doc, ok := decodeDoc(d.Value)
		if !ok {
			continue
		}
		r := &row{id: d.Key, doc: doc}
		if p.index != nil {
			key, in := indexKey(p.cols, partial, d.Key, doc)
			if !in {
				continue
			}
			r.key = key
		}
		if start != nil {
			if before(r, start) {
				continue
			}
			if drop == nil || before(r, drop) {
				drop = r
			}
		}
		if matchDoc(pg.q.selector, doc, d.Key) {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b *row) int {
		c := compareRows(a, b)
		if p.desc {
			return -c
		}
		return c
	})
	for _, r := range rows {
		if r == drop {
			continue
		}
		more, err := pg.offer(r, true)
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	return nil
}
