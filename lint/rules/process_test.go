package rules

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
)

func TestViewProcess(t *testing.T) {
	img := &lint.ImageConfig{}
	cases := []struct {
		name    string
		argv    []string
		purpose bool
		unknown bool
		pid1    string
	}{
		{"dumb-init then supervisord", []string{"/usr/bin/dumb-init", "--", "supervisord", "-c", "/etc/supervisor/supervisord.conf"}, true, false, "supervisord"},
		{"s6-overlay", []string{"/init"}, true, false, "/init"},
		{"gosu in the command", []string{"gosu", "app", "/app/server"}, true, false, "/app/server"},
		{"a daemon told its user", []string{"/usr/bin/rspamd", "-f", "-u", "_rspamd", "-g", "_rspamd"}, true, false, "/usr/bin/rspamd"},
		{"a daemon told to stay root", []string{"memcached", "-u", "root"}, false, false, "memcached"},
		{"cron", []string{"cron", "-f"}, true, false, "cron"},
		{"tini alone is not a reason", []string{"tini", "--", "/app/server"}, false, false, "/app/server"},
		{"a script in the image", []string{"/docker-entrypoint.sh", "app"}, false, true, ""},
		{"sh -c one script", []string{"/bin/sh", "-c", "/app/docker-entrypoint.sh"}, false, true, ""},
		{"a plain binary", []string{"/app/server", "--port", "80"}, false, false, "/app/server"},
		{"a shell running an unknown script", []string{"/bin/sh", "/redis-conf.sh"}, false, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := viewProcess(img, c.argv)
			if (v.rootOnPurpose() != "") != c.purpose {
				t.Errorf("root on purpose %q, want %v (%+v)", v.rootOnPurpose(), c.purpose, v)
			}
			if (v.unknown != "") != c.unknown {
				t.Errorf("unknown %q, want %v", v.unknown, c.unknown)
			}
			if !c.unknown && v.pid1 != c.pid1 {
				t.Errorf("pid1 %q, want %q", v.pid1, c.pid1)
			}
		})
	}
}

// A compose service's bind-mounted script counts as the image's files do.
func TestViewProcessBindMountedScript(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "redis-conf.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"requirepass $PASS\" > /redis.conf\nexec redis-server /redis.conf\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	svc := &lint.Service{Mounts: []lint.Mount{{Type: "bind", Source: script, Target: "/redis-conf.sh"}}}
	v := viewProcess(svc, []string{"/bin/sh", "/redis-conf.sh"})
	if v.pid1 != "redis-server" || v.via != "/redis-conf.sh" || v.unknown != "" {
		t.Fatalf("view %+v, want redis-server exec'd by /redis-conf.sh", v)
	}
	entry := filepath.Join(dir, "entry.sh")
	if err := os.WriteFile(entry, []byte("#!/bin/sh\nexec su-exec app \"$@\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	svc.Mounts = append(svc.Mounts, lint.Mount{Type: "bind", Source: entry, Target: "/entry.sh"})
	v = viewProcess(svc, []string{"sh", "/entry.sh", "/app/server"})
	if v.pid1 != "/app/server" || v.stepDown != "su-exec" {
		t.Fatalf("view %+v, want /app/server after su-exec", v)
	}
}
