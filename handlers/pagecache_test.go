package handlers

import (
	"strings"
	"testing"
)

func TestPageCacheBounds(t *testing.T) {
	pc := newPageCache(3)
	pc.maxBytes = 1000
	for _, k := range []string{"a", "b", "c", "d"} {
		pc.put(&cachedPage{key: k, plain: []byte("x")})
	}
	if pc.get("a") != nil || pc.get("d") == nil || pc.lru.Len() != 3 {
		t.Fatalf("entry bound: len %d", pc.lru.Len())
	}
	pc.get("b") // b is now the most recent; c the least
	pc.put(&cachedPage{key: "big", plain: []byte(strings.Repeat("x", 900))})
	if pc.bytes > pc.maxBytes || pc.get("c") != nil || pc.get("big") == nil {
		t.Fatalf("byte bound: %d bytes", pc.bytes)
	}
	pc.put(&cachedPage{key: "big", plain: []byte("small")})
	if pc.bytes != len("big")+len("small")+sizeOfRest(pc, "big") {
		t.Fatalf("replace accounting: %d", pc.bytes)
	}
}

func sizeOfRest(pc *pageCache, skip string) int {
	n := 0
	for k, el := range pc.entries {
		if k != skip {
			n += el.Value.(*cachedPage).size()
		}
	}
	return n
}
