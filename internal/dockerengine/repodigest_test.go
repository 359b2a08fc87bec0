package dockerengine

import "testing"

func TestRepoDigest(t *testing.T) {
	const a = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	const b = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	for _, c := range []struct {
		ref  string
		rds  []string
		want string
	}{
		{"redis:7.4", []string{"redis@" + a}, a},
		{"docker.io/library/redis", []string{"redis@" + a}, a},
		{"ghcr.io/acme/app:1", []string{"acme/app@" + b, "ghcr.io/acme/app@" + a}, a}, // same path, other registry
		{"redis:7.4", []string{"valkey/valkey@" + b}, ""},
		{"redis@" + a, []string{"redis@" + a}, ""}, // already by digest
		{"redis:7.4", nil, ""},
		{"${IMAGE}", []string{"redis@" + a}, ""},
	} {
		if got := repoDigest(c.ref, c.rds); got != c.want {
			t.Errorf("repoDigest(%q, %v) = %q, want %q", c.ref, c.rds, got, c.want)
		}
	}
}
