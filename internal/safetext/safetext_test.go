package safetext

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"ok: up 3s", "ok: up 3s"},
		{"café … ⏎ 日本", "café … ⏎ 日本"},
		{"\x1b]0;owned\x07\x1b[2J", `\x1b]0;owned\a\x1b[2J`},
		{"a\tb\nc\rd", `a\tb\nc\rd`},
		{"nul\x00del\x7f bs\b", `nul\x00del\x7f bs\b`},
		{"c1 \u009b31m csi", `c1 \u009b31m csi`},
		{"bidi \u202eevil\u202c", `bidi \u202eevil\u202c`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{`a \x1b literal stays`, `a \x1b literal stays`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got, want := EscapeKeepLines("a\tb\n\x1b[2Jc"), "a\tb\n\\x1b[2Jc"; got != want {
		t.Errorf("EscapeKeepLines = %q, want %q", got, want)
	}
}

// No control character survives Escape, whatever the input.
func FuzzEscape(f *testing.F) {
	f.Add("\x1b]0;owned\x07\x1b[2J")
	f.Add("\u009b\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range Escape(s) {
			if unicode.IsControl(r) || unsafeRune(r) {
				t.Fatalf("Escape(%q) kept %U", s, r)
			}
		}
	})
}

func TestJSON(t *testing.T) {
	in := []byte("{\"s\":\"a\u009b2J\u202e\x7f\\u001b\",\"n\":1}\n")
	want := `{"s":"a\u009b2J\u202e\u007f\u001b","n":1}` + "\n"
	if got := string(JSON(in)); got != want {
		t.Errorf("JSON = %q, want %q", got, want)
	}
	var a, b any
	if err := json.Unmarshal(in, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(JSON(in), &b); err != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("not the same value: %v %v", b, err)
	}
}
