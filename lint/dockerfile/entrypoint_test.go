package dockerfile

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestFollowEntrypointScripts(t *testing.T) {
	df, err := Load(filepath.Join("testdata", "entrypoint", "ctx", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	img := df.Image("")
	cases := []struct {
		name   string
		argv   []string
		status ScriptStatus
		want   ScriptFacts
	}{
		// On PATH, copied into /usr/local/bin/ with --chmod; sources a
		// library that sources itself; steps down with gosu; ends in exec "$@".
		{"entrypoint on PATH", []string{"docker-entrypoint.sh", "app"}, ScriptKnown, ScriptFacts{StepDown: "gosu", ExecsArgs: true}},
		// Relative to WORKDIR, a #!/usr/bin/env bash script exec'ing tini.
		{"relative to WORKDIR", []string{"./start.sh"}, ScriptKnown, ScriptFacts{Init: "tini"}},
		{"run by a shell", []string{"bash", "/app/start.sh"}, ScriptKnown, ScriptFacts{Init: "tini"}},
		// COPY rootfs/ / puts the folder's contents at the root.
		{"from a folder copied to /", []string{"/usr/local/bin/run-supervisor"}, ScriptKnown, ScriptFacts{Init: "supervisord"}},
		{"a script not in the context", []string{"/usr/local/bin/other-entrypoint.sh"}, ScriptUnknown, ScriptFacts{}},
		{"a binary", []string{"/app/server"}, NotAScript, ScriptFacts{}},
		{"sh -c is the shell rules'", []string{"sh", "-c", "exec app"}, NotAScript, ScriptFacts{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			facts, status := img.Follow(c.argv)
			if status != c.status {
				t.Fatalf("status %d, want %d (%+v)", status, c.status, facts)
			}
			if status != ScriptKnown {
				return
			}
			if facts.Init != c.want.Init || facts.StepDown != c.want.StepDown || facts.ExecsArgs != c.want.ExecsArgs || facts.Cron != c.want.Cron {
				t.Errorf("facts %+v, want %+v", *facts, c.want)
			}
		})
	}
}

func TestFollowInlineAndBounds(t *testing.T) {
	src := "FROM alpine:3.20\nCOPY <<EOF /entrypoint.sh\n#!/bin/sh\ncrond -b\nexec su-exec app \"$@\"\nEOF\nENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"app\"]\n"
	df, err := Parse(filepath.Join(t.TempDir(), "Dockerfile"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	facts, status := df.Image("").Follow([]string{"/entrypoint.sh"})
	if status != ScriptKnown || facts.StepDown != "su-exec" || !facts.ExecsArgs || !facts.Cron {
		t.Fatalf("heredoc entrypoint: %d %+v", status, facts)
	}
	// A script that does not parse is unknown, not a guess.
	df, err = Parse(filepath.Join(t.TempDir(), "Dockerfile"), []byte("FROM alpine:3.20\nCOPY <<EOF /e.sh\n#!/bin/sh\nif then fi (\nEOF\nENTRYPOINT [\"/e.sh\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, status := df.Image("").Follow([]string{"/e.sh"}); status != ScriptUnknown {
		t.Fatalf("unparsable script: status %d", status)
	}
}

func TestReadRun(t *testing.T) {
	cases := []struct {
		script             string
		installed, removed string
		userAdded          bool
		stepDown           string
	}{
		{"apk add --no-cache curl=8.5.0-r0 bash", "bash curl", "", false, ""},
		{"apt-get update && apt-get install -y --no-install-recommends wget ca-certificates && rm -rf /var/lib/apt/lists/*", "wget", "", false, ""},
		// A build-time group, deleted in the same RUN: curl is not left behind.
		{"apk add --virtual .fetch-deps curl && curl -fsSL https://x/y.tgz | tar -xz && apk del .fetch-deps", "", "curl", false, ""},
		{"addgroup -S app && adduser -S -G app app && apk add --no-cache su-exec", "", "", true, "su-exec"},
		{"wget -O /usr/local/bin/gosu \"https://github.com/tianon/gosu/releases/download/1.17/gosu-amd64\"; chmod +x /usr/local/bin/gosu; gosu nobody true", "wget", "", false, "gosu"},
		{"curl -fsSL https://github.com/krallin/tini/releases/download/v0.19.0/tini -o /tini", "curl tini", "", false, ""},
		// The word curl in a comment or an echo is not an install.
		{"apk add --no-cache jq # curl comes later", "", "", false, ""},
		{"echo curl", "", "", false, ""},
	}
	for _, c := range cases {
		f := readRun(c.script)
		if got := strings.Join(f.installed, " "); got != c.installed {
			t.Errorf("%q: installed %q, want %q", c.script, got, c.installed)
		}
		if got := strings.Join(f.removed, " "); got != c.removed {
			t.Errorf("%q: removed %q, want %q", c.script, got, c.removed)
		}
		if f.userAdded != c.userAdded || f.stepDown != c.stepDown {
			t.Errorf("%q: user added %v step down %q", c.script, f.userAdded, f.stepDown)
		}
	}
}
