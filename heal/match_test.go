package heal

import (
	"errors"
	"testing"
)

func TestMatch(t *testing.T) {
	cs := []Container{
		{ID: "abcd1111aaaa2222", Name: "web"},
		{ID: "abcd2222bbbb3333", Name: "db"},
		{ID: "ef001111cccc4444", Name: "abcd"}, // a name that looks like a prefix
	}
	for _, tc := range []struct {
		arg  string
		want int
		amb  bool
	}{
		{"web", 0, false},
		{"/db", 1, false},
		{"abcd2222bbbb3333", 1, false},
		{"abcd1", 0, false},
		{"abcd", 2, false}, // the name wins over the prefix, as docker does
		{"ef00", 2, false},
		{"ef0", -1, false}, // shorter than MinIDPrefix
		{"abc", -1, false},
		{"nope", -1, false},
		{"", -1, false},
	} {
		got, err := Match(cs, tc.arg, ContainerKey)
		if got != tc.want || (err != nil) != tc.amb {
			t.Errorf("Match(%q) = %d, %v; want %d", tc.arg, got, err, tc.want)
		}
	}
	cs[2].Name = "cache"
	_, err := Match(cs, "abcd", ContainerKey)
	var amb *AmbiguousError
	if !errors.As(err, &amb) || err.Error() != "container ID prefix abcd matches 2 containers: db (abcd2222bbbb), web (abcd1111aaaa); give more of it, or the name" {
		t.Errorf("ambiguous prefix: %v", err)
	}
}
