package labels

import "testing"

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, " yes ": true, "On": true, "1": true, "y": true, "t": true,
		"false": false, "No": false, "off": false, "0": false, "n": false, "F": false} {
		got, ok := ParseBool(in)
		if !ok || got != want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "maybe", "2", "enabled"} {
		if _, ok := ParseBool(in); ok {
			t.Errorf("ParseBool(%q) accepted", in)
		}
	}
}

func TestOptIn(t *testing.T) {
	cases := []struct {
		labels       map[string]string
		enabled, set bool
		valid        bool
	}{
		{nil, false, false, true},
		{map[string]string{"autoheal": "True"}, true, true, true},
		{map[string]string{"autoheal": "false"}, false, false, true},
		{map[string]string{"docker-heal.enable": "on"}, true, true, true},
		{map[string]string{"docker-heal.enable": "1"}, true, true, true},
		{map[string]string{"docker-heal.enable": "no", "autoheal": "true"}, false, true, true},
		{map[string]string{"docker-heal.enable": "sure"}, false, true, false},
	}
	for _, c := range cases {
		enabled, set, valid := OptIn(c.labels)
		if enabled != c.enabled || set != c.set || valid != c.valid {
			t.Errorf("OptIn(%v) = %v, %v, %v; want %v, %v, %v", c.labels, enabled, set, valid, c.enabled, c.set, c.valid)
		}
	}
}
