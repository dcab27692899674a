package mango

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	const asset = `{"docType":"asset","owner":"tom","size":10,"color":"blue","price":9.5,
		"tags":["a","b"],"nums":[1,5,9],"dims":{"h":2,"w":3},"empty":[],"nil":null,"ok":true,
		"items":[{"name":"x","qty":1},{"name":"y","qty":7}],"a.b":"dotted","scores":{"math":90,"art":70}}`
	tests := []struct {
		name     string
		selector string
		doc      string
		key      string
		want     bool
	}{
		{"an empty selector matches everything", `{}`, asset, "k1", true},
		{"an empty selector does not match a value that is not JSON", `{}`, `not json`, "k1", false},
		{"implicit $eq matches an equal string", `{"owner":"tom"}`, asset, "", true},
		{"implicit $eq does not match another string", `{"owner":"bob"}`, asset, "", false},
		{"implicit $eq does not match across types", `{"size":"10"}`, asset, "", false},
		{"implicit $and needs every field", `{"owner":"tom","size":11}`, asset, "", false},
		{"implicit $and matches when every field matches", `{"owner":"tom","size":10}`, asset, "", true},

		{"$eq matches a number written differently", `{"size":{"$eq":10.0}}`, asset, "", true},
		{"$eq does not match a different number", `{"size":{"$eq":11}}`, asset, "", false},
		{"$eq compares a whole array", `{"tags":{"$eq":["a","b"]}}`, asset, "", true},
		{"$eq does not match an array element", `{"tags":"a"}`, asset, "", false},
		{"$eq compares a whole object", `{"dims":{"$eq":{"w":3,"h":2}}}`, asset, "", true},
		{"$eq null matches null", `{"nil":null}`, asset, "", true},
		{"$eq on a missing field does not match", `{"nope":null}`, asset, "", false},
		{"$ne matches a different value", `{"owner":{"$ne":"bob"}}`, asset, "", true},
		{"$ne does not match the same value", `{"owner":{"$ne":"tom"}}`, asset, "", false},
		{"$ne does not match a missing field", `{"nope":{"$ne":"tom"}}`, asset, "", false},
		{"$ne matches a value of another type", `{"size":{"$ne":"10"}}`, asset, "", true},

		{"$gt matches a greater number", `{"size":{"$gt":9}}`, asset, "", true},
		{"$gt does not match an equal number", `{"size":{"$gt":10}}`, asset, "", false},
		{"$gte matches an equal number", `{"size":{"$gte":10}}`, asset, "", true},
		{"$lt matches a smaller number", `{"price":{"$lt":10}}`, asset, "", true},
		{"$lt does not match a greater number", `{"price":{"$lt":9}}`, asset, "", false},
		{"$lte matches an equal number", `{"price":{"$lte":9.5}}`, asset, "", true},
		{"$gt compares strings", `{"owner":{"$gt":"tim"}}`, asset, "", true},
		{"$lt compares strings ignoring case first, as CouchDB", `{"owner":{"$lt":"Z"}}`, asset, "", true},
		{"$gt puts lower case before upper case, as CouchDB", `{"owner":{"$gt":"Tom"}}`, asset, "", false},
		{"$eq is case-sensitive", `{"owner":"Tom"}`, asset, "", false},
		{"$lt across types: a number is below any string", `{"size":{"$lt":""}}`, asset, "", true},
		{"$gt across types: a number is above null and booleans", `{"size":{"$gt":true}}`, asset, "", true},
		{"$gt across types: a string is not above an array", `{"owner":{"$gt":[]}}`, asset, "", false},
		{"$lt across types: an array is below an object", `{"tags":{"$lt":{}}}`, asset, "", true},
		{"$gt null matches any existing value", `{"owner":{"$gt":null}}`, asset, "", true},
		{"$gt null does not match a missing field", `{"nope":{"$gt":null}}`, asset, "", false},

		{"$in matches one of the values", `{"owner":{"$in":["bob","tom"]}}`, asset, "", true},
		{"$in does not match none of the values", `{"owner":{"$in":["bob","ann"]}}`, asset, "", false},
		{"$in matches an array holding one of the values", `{"tags":{"$in":["z","b"]}}`, asset, "", true},
		{"$in does not match an array holding none of them", `{"tags":{"$in":["z"]}}`, asset, "", false},
		{"$in with no values matches nothing", `{"owner":{"$in":[]}}`, asset, "", false},
		{"$in does not match across types", `{"size":{"$in":["10"]}}`, asset, "", false},
		{"$nin matches none of the values", `{"owner":{"$nin":["bob"]}}`, asset, "", true},
		{"$nin does not match one of the values", `{"owner":{"$nin":["tom"]}}`, asset, "", false},
		{"$nin does not match an array holding one of them", `{"tags":{"$nin":["b"]}}`, asset, "", false},
		{"$nin with no values matches", `{"owner":{"$nin":[]}}`, asset, "", true},
		{"$nin does not match a missing field", `{"nope":{"$nin":["x"]}}`, asset, "", false},

		{"$exists true matches a present field", `{"owner":{"$exists":true}}`, asset, "", true},
		{"$exists true matches a null field", `{"nil":{"$exists":true}}`, asset, "", true},
		{"$exists true does not match a missing field", `{"nope":{"$exists":true}}`, asset, "", false},
		{"$exists false matches a missing field", `{"nope":{"$exists":false}}`, asset, "", true},
		{"$exists false does not match a present field", `{"owner":{"$exists":false}}`, asset, "", false},
		{"$exists false on a path through a scalar does not match", `{"owner.x":{"$exists":false}}`, asset, "", false},

		{"$type string matches a string", `{"owner":{"$type":"string"}}`, asset, "", true},
		{"$type number does not match a string", `{"owner":{"$type":"number"}}`, asset, "", false},
		{"$type null matches null", `{"nil":{"$type":"null"}}`, asset, "", true},
		{"$type boolean matches true", `{"ok":{"$type":"boolean"}}`, asset, "", true},
		{"$type array matches an array", `{"tags":{"$type":"array"}}`, asset, "", true},
		{"$type object matches an object", `{"dims":{"$type":"object"}}`, asset, "", true},

		{"$size matches the array length", `{"tags":{"$size":2}}`, asset, "", true},
		{"$size does not match another length", `{"tags":{"$size":3}}`, asset, "", false},
		{"$size 0 matches an empty array", `{"empty":{"$size":0}}`, asset, "", true},
		{"$size does not match a string", `{"owner":{"$size":3}}`, asset, "", false},

		{"$mod matches the remainder", `{"size":{"$mod":[3,1]}}`, asset, "", true},
		{"$mod does not match another remainder", `{"size":{"$mod":[3,2]}}`, asset, "", false},
		{"$mod does not match a fractional number", `{"price":{"$mod":[2,1]}}`, asset, "", false},
		{"$mod does not match a string", `{"owner":{"$mod":[2,0]}}`, asset, "", false},
		{"$mod keeps the sign of the dividend", `{"v":{"$mod":[3,-1]}}`, `{"v":-7}`, "", true},

		{"$regex matches a substring", `{"owner":{"$regex":"o"}}`, asset, "", true},
		{"$regex honours anchors", `{"owner":{"$regex":"^o"}}`, asset, "", false},
		{"$regex with a case-insensitive flag", `{"owner":{"$regex":"(?i)^TOM$"}}`, asset, "", true},
		{"$regex does not match a number", `{"size":{"$regex":"1"}}`, asset, "", false},

		{"$all matches when every value is in the array", `{"tags":{"$all":["b","a"]}}`, asset, "", true},
		{"$all does not match when one value is missing", `{"tags":{"$all":["a","z"]}}`, asset, "", false},
		{"$all with one array argument matches that array", `{"tags":{"$all":[["a","b"]]}}`, asset, "", true},
		{"$all with no values matches nothing", `{"tags":{"$all":[]}}`, asset, "", false},
		{"$all does not match a scalar", `{"owner":{"$all":["tom"]}}`, asset, "", false},

		{"$elemMatch with an operator matches an element", `{"nums":{"$elemMatch":{"$gt":8}}}`, asset, "", true},
		{"$elemMatch requires one element to meet every condition", `{"nums":{"$elemMatch":{"$gt":2,"$lt":4}}}`, asset, "", false},
		{"$elemMatch with a field matches an object element", `{"items":{"$elemMatch":{"name":"y","qty":{"$gt":5}}}}`, asset, "", true},
		{"$elemMatch with a field does not mix elements", `{"items":{"$elemMatch":{"name":"x","qty":{"$gt":5}}}}`, asset, "", false},
		{"$elemMatch does not match an object", `{"dims":{"$elemMatch":{"$gt":0}}}`, asset, "", false},
		{"$allMatch matches when every element matches", `{"nums":{"$allMatch":{"$gt":0}}}`, asset, "", true},
		{"$allMatch does not match when one element fails", `{"nums":{"$allMatch":{"$gt":1}}}`, asset, "", false},
		{"$allMatch does not match an empty array", `{"empty":{"$allMatch":{"$gt":1}}}`, asset, "", false},
		{"$keyMapMatch matches a key", `{"scores":{"$keyMapMatch":{"$eq":"art"}}}`, asset, "", true},
		{"$keyMapMatch does not match values", `{"scores":{"$keyMapMatch":{"$eq":90}}}`, asset, "", false},

		{"$and matches when every selector matches", `{"$and":[{"owner":"tom"},{"size":{"$gt":5}}]}`, asset, "", true},
		{"$and fails when one selector fails", `{"$and":[{"owner":"tom"},{"size":{"$gt":50}}]}`, asset, "", false},
		{"$and of nothing matches", `{"$and":[]}`, asset, "", true},
		{"$or matches when one selector matches", `{"$or":[{"owner":"bob"},{"size":10}]}`, asset, "", true},
		{"$or fails when none matches", `{"$or":[{"owner":"bob"},{"size":11}]}`, asset, "", false},
		{"$or of nothing matches", `{"$or":[]}`, asset, "", true},
		{"$or under a field applies to the field", `{"owner":{"$or":["bob","tom"]}}`, asset, "", true},
		{"$nor matches when none matches", `{"$nor":[{"owner":"bob"},{"size":11}]}`, asset, "", true},
		{"$nor fails when one matches", `{"$nor":[{"owner":"tom"},{"size":11}]}`, asset, "", false},
		{"$not negates its condition", `{"size":{"$not":{"$gt":20}}}`, asset, "", true},
		{"$not fails when its condition holds", `{"size":{"$not":{"$gt":5}}}`, asset, "", false},
		{"$not does not match a missing field, as CouchDB pushes it down", `{"$not":{"nope":{"$gt":1}}}`, asset, "", false},
		{"$nor does not match a missing field, as CouchDB pushes it down", `{"$nor":[{"nope":1}]}`, asset, "", false},
		{"$not of $exists true matches a missing field", `{"nope":{"$not":{"$exists":true}}}`, asset, "", true},
		{"$not of $regex matches a non-matching string", `{"owner":{"$not":{"$regex":"^b"}}}`, asset, "", true},
		{"$not of $regex does not match a missing field", `{"nope":{"$not":{"$regex":"^b"}}}`, asset, "", false},
		{"$not of $and applies De Morgan", `{"$not":{"$and":[{"owner":"tom"},{"size":11}]}}`, asset, "", true},
		{"double $not cancels", `{"$not":{"$not":{"owner":"tom"}}}`, asset, "", true},
		{"$not of $nor is $or", `{"$not":{"$nor":[{"owner":"bob"},{"size":10}]}}`, asset, "", true},
		{"$not of $or fails when one branch holds", `{"$not":{"$or":[{"owner":"bob"},{"size":10}]}}`, asset, "", false},
		{"$not of $in is $nin", `{"owner":{"$not":{"$in":["tom"]}}}`, asset, "", false},
		{"$not of $nin is $in", `{"owner":{"$not":{"$nin":["tom"]}}}`, asset, "", true},
		{"$not of $ne is $eq", `{"owner":{"$not":{"$ne":"tom"}}}`, asset, "", true},
		{"$not of $lt is $gte", `{"size":{"$not":{"$lt":10}}}`, asset, "", true},
		{"$not of $lte is $gt", `{"size":{"$not":{"$lte":10}}}`, asset, "", false},
		{"$not of $gte is $lt", `{"size":{"$not":{"$gte":10}}}`, asset, "", false},
		{"$not of $elemMatch", `{"nums":{"$not":{"$elemMatch":{"$gt":100}}}}`, asset, "", true},
		{"$nor inside $elemMatch never matches, as CouchDB cannot evaluate it there", `{"items":{"$elemMatch":{"$nor":[{"name":"x"}]}}}`, asset, "", false},
		{"$nor inside $elemMatch after a matching branch", `{"items":{"$elemMatch":{"$or":[{"name":"x"},{"$nor":[{"qty":1}]}]}}}`, asset, "", true},
		{"$nor inside $elemMatch stops at the first element that reaches it", `{"items":{"$elemMatch":{"$or":[{"name":"y"},{"$nor":[{"qty":1}]}]}}}`, asset, "", false},
		{"$nor inside $allMatch never matches", `{"nums":{"$allMatch":{"$nor":[{"$eq":3}]}}}`, asset, "", false},
		{"$not inside $elemMatch is a plain negation, so a missing field matches", `{"items":{"$elemMatch":{"$not":{"color":"red"}}}}`, asset, "", true},
		{"$not inside $allMatch", `{"nums":{"$allMatch":{"$not":{"$eq":3}}}}`, asset, "", true},
		{"$not inside $keyMapMatch", `{"scores":{"$keyMapMatch":{"$not":{"$eq":"art"}}}}`, asset, "", true},
		{"an empty object value means equality with {}", `{"dims":{}}`, asset, "", false},
		{"an empty object value matches an empty object", `{"o":{}}`, `{"o":{}}`, "", true},

		{"a dotted path reaches a nested field", `{"dims.h":2}`, asset, "", true},
		{"a nested object reaches a nested field", `{"dims":{"h":2}}`, asset, "", true},
		{"a nested object with operators reaches a nested field", `{"dims":{"w":{"$gt":2},"h":{"$lt":3}}}`, asset, "", true},
		{"a nested path that does not exist does not match", `{"dims.d":2}`, asset, "", false},
		{"a numeric segment indexes an array", `{"tags.1":"b"}`, asset, "", true},
		{"a numeric segment past the end does not match", `{"tags.5":{"$exists":false}}`, asset, "", false},
		{"a path into an array of objects", `{"items.1.name":"y"}`, asset, "", true},
		{"an escaped dot names a field with a dot", `{"a\\.b":"dotted"}`, asset, "", true},

		{"_id matches the key", `{"_id":"k1"}`, asset, "k1", true},
		{"_id does not match another key", `{"_id":"k2"}`, asset, "k1", false},
		{"_id range matches", `{"_id":{"$gt":"a","$lt":"z"}}`, asset, "k1", true},
		{"_id $regex matches", `{"_id":{"$regex":"^k"}}`, asset, "k1", true},
		{"_id compares above arrays, in Erlang term order", `{"_id":{"$gt":["z"]}}`, asset, "k1", true},
		{"_id compares above objects, in Erlang term order", `{"_id":{"$gt":{"a":1}}}`, asset, "k1", true},
		{"_id compares above numbers", `{"_id":{"$gt":5}}`, asset, "k1", true},
		{"_id has no subfields", `{"_id.x":{"$exists":false}}`, asset, "k1", false},
		{"_id does not match a value that is not JSON", `{"_id":"k1"}`, `[1,2]`, "k1", false},
		{"$exists false does not match a value that is not JSON", `{"owner":{"$exists":false}}`, `42`, "k1", false},
		{"a JSON null value is not a document", `{"owner":"tom"}`, `null`, "k1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse([]byte(`{"selector":` + tt.selector + `}`))
			if err != nil {
				t.Fatalf("Parse(%s): %v", tt.selector, err)
			}
			if got := q.Match(tt.key, []byte(tt.doc)); got != tt.want {
				t.Errorf("selector %s on %s: got %v, want %v", tt.selector, tt.doc, got, tt.want)
			}
		})
	}
}

func TestCollateFollowsCouchDBDocumentedASCIIOrder(t *testing.T) {
	// From CouchDB's "Views Collation" documentation.
	chars := strings.Split(" ` ^ _ - , ; : ! ? . ' \" ( ) [ ] { } @ * / \\ & # % + < = > | ~ $ 0 1 2 3 4 5 6 7 8 9 "+
		"a A b B c C d D e E f F g G h H i I j J k K l L m M n N o O p P q Q r R s S t T u U v V w W x X y Y z Z", " ")
	chars[0] = " "
	for i := 1; i < len(chars); i++ {
		if collate(chars[i-1], chars[i]) >= 0 {
			t.Errorf("collate(%q, %q) >= 0, want < 0", chars[i-1], chars[i])
		}
	}
	// "abc < Abc < ABC < abc1 < AbcZZZZZ", and ignorable control characters.
	ordered := []string{"abc", "Abc", "ABC", "abc1", "AbcZZZZZ"}
	for i := 1; i < len(ordered); i++ {
		if collate(ordered[i-1], ordered[i]) >= 0 {
			t.Errorf("collate(%q, %q) >= 0, want < 0", ordered[i-1], ordered[i])
		}
	}
	if collate("a\x00b", "ab") != 0 {
		t.Errorf("control characters are not ignored")
	}
}

func TestCompareFollowsCouchDBCollation(t *testing.T) {
	ordered := []any{
		nil, false, true,
		-1.5, 0.0, 2.0, 10.0,
		"", " ", "`", "~", "$", "0", "9", "a", "A", "a-b", "aa", "aA", "Aa", "AA", "ab", "b", "B", "z", "Z", "é",
		[]any{}, []any{1.0}, []any{1.0, 2.0}, []any{2.0}, []any{"a"},
		map[string]any{}, map[string]any{"a": 1.0}, map[string]any{"a": 1.0, "b": 1.0}, map[string]any{"a": 2.0}, map[string]any{"b": 0.0},
	}
	for i, a := range ordered {
		for j, b := range ordered {
			want := cmpInt(i, j)
			if got := compare(a, b); got != want {
				t.Errorf("compare(%v, %v) = %d, want %d", a, b, got, want)
			}
		}
	}
}
