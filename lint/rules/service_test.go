package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/lint"
)

// check runs one rule's service check, as the checker does.
func check(rule lint.Rule, svc *lint.Service) []lint.Finding {
	fs, _ := checkNotes(rule, svc)
	return fs
}

// checkNotes also returns the checks the rule did not run.
func checkNotes(rule lint.Rule, svc *lint.Service) ([]lint.Finding, []lint.NotChecked) {
	r := lint.NewReport(&rule)
	rule.CheckService(r, svc)
	return r.Findings(), r.Skipped()
}

// notCheckedPrefix in a serviceCase's msg (with want 0) asks for one check
// not run, for the reason named after it (lint.Unknown's String).
const notCheckedPrefix = "not checked: "

func container(mod func(*lint.Service)) *lint.Service {
	svc := &lint.Service{Kind: lint.KindContainer, Name: "app-1", Pos: lint.Position{File: "/srv/compose.yaml"}}
	mod(svc)
	return svc
}

func composeSvc(mod func(*lint.Service)) *lint.Service {
	svc := &lint.Service{Kind: lint.KindCompose, Name: "app", Pos: lint.Position{File: "compose.yaml", Line: 2, Col: 3}, Keys: map[string]lint.Position{}}
	mod(svc)
	return svc
}

func probe(test ...string) *lint.Healthcheck { return &lint.Healthcheck{Test: test} }

type serviceCase struct {
	name string
	rule lint.Rule
	svc  *lint.Service
	want int    // findings
	msg  string // a part of the first finding's message
}

func runServiceCases(t *testing.T, cases []serviceCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.rule.ID+"/"+tc.name, func(t *testing.T) {
			fs, notes := checkNotes(tc.rule, tc.svc)
			if len(fs) != tc.want {
				t.Fatalf("%d findings, want %d: %+v", len(fs), tc.want, fs)
			}
			if reason, ok := strings.CutPrefix(tc.msg, notCheckedPrefix); ok {
				if len(notes) != 1 || notes[0].Reason.String() != reason {
					t.Fatalf("not checked %+v, want one for %s", notes, reason)
				}
				return
			}
			if tc.want == 0 && len(notes) > 0 {
				t.Errorf("not checked %+v, want a decision", notes)
			}
			if tc.msg != "" && !strings.Contains(fs[0].Message, tc.msg) {
				t.Errorf("message %q lacks %q", fs[0].Message, tc.msg)
			}
			for _, f := range fs {
				if f.Subject != tc.svc.Name {
					t.Errorf("subject %q, want %q", f.Subject, tc.svc.Name)
				}
				if f.Pos.File == "" {
					t.Errorf("finding has no file: %+v", f)
				}
			}
		})
	}
}

// Running containers (R): the adapter gives Path/Args as Entrypoint/Command,
// the healthcheck in force, HostConfig values as the engine keeps them.
func TestContainerRules(t *testing.T) {
	runServiceCases(t, []serviceCase{
		{"shell form argv", ShellFormCmd, container(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"/bin/sh"}, []string{"-c", "node server.js"}
		}), 1, "/bin/sh -c"},
		{"shell form that execs", ShellFormCmd, container(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"/bin/sh"}, []string{"-c", "exec node server.js"}
		}), 0, ""},
		{"bash wrapper is not shell form", ShellFormCmd, container(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"bash"}, []string{"-c", "node server.js"}
		}), 0, ""},
		{"exec form", ShellFormCmd, container(func(s *lint.Service) { s.Entrypoint = []string{"node"} }), 0, ""},

		{"bash wrapper", ShellWrapperNoExec, container(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"bash"}, []string{"-c", "migrate && app >>/var/log/app.log 2>&1"}
		}), 1, "bash stays PID 1"},
		// bash 5.1+ and busybox sh exec a last plain command themselves.
		{"bash runs the last command itself", ShellWrapperNoExec, container(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"bash"}, []string{"-c", "migrate && app"}
		}), 0, ""},
		{"busybox sh runs the last command itself", ShellWrapperNoExec, container(func(s *lint.Service) {
			s.Image = "redis:7.4-alpine"
			s.Entrypoint, s.Command = []string{"/sbin/tini"}, []string{"--", "sh", "-c", "a; b"}
		}), 0, ""},
		{"busybox sh keeps a pipeline", ShellWrapperNoExec, container(func(s *lint.Service) {
			s.Image = "redis:7.4-alpine"
			s.Entrypoint, s.Command = []string{"sh"}, []string{"-c", "a; b | tee /log"}
		}), 1, "sh stays PID 1"},
		{"wrapper behind tini", ShellWrapperNoExec, container(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"/sbin/tini"}, []string{"--", "sh", "-c", "a; b"}
		}), 1, ""},
		{"shell-form shape is the other rule's", ShellWrapperNoExec, container(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"/bin/sh"}, []string{"-c", "a; b"}
		}), 0, ""},

		{"no init", InitMissing, container(func(s *lint.Service) { s.Entrypoint = []string{"node"} }), 1, "--init"},
		{"--init", InitMissing, container(func(s *lint.Service) { yes := true; s.Init = &yes; s.Entrypoint = []string{"node"} }), 0, ""},
		{"tini entrypoint", InitMissing, container(func(s *lint.Service) { s.Entrypoint = []string{"/usr/bin/tini"} }), 0, ""},
		{"s6 /init", InitMissing, container(func(s *lint.Service) { s.Entrypoint = []string{"/init"} }), 0, ""},

		{"no healthcheck", HealthcheckMissing, container(func(s *lint.Service) {}), 1, ""},
		{"healthcheck from the image", HealthcheckMissing, container(func(s *lint.Service) {
			s.ImageConfig = &lint.ImageConfig{Healthcheck: probe("CMD", "/app", "health")}
		}), 0, ""},
		{"one-shot", HealthcheckMissing, container(func(s *lint.Service) { s.OneShot = true }), 0, ""},
		{"disabled", HealthcheckDisabled, container(func(s *lint.Service) { s.Healthcheck = &lint.Healthcheck{Test: []string{"NONE"}, Disabled: true} }), 1, ""},

		{"curl in the container's probe", HealthcheckCurlNoFail, container(func(s *lint.Service) {
			s.Healthcheck = probe("CMD-SHELL", "curl -s localhost || exit 1")
		}), 1, ""},
		{"curl in the image's probe", HealthcheckCurlNoFail, container(func(s *lint.Service) {
			s.ImageConfig = &lint.ImageConfig{Healthcheck: probe("CMD", "curl", "localhost")}
		}), 1, ""},

		{"sub-second interval", HealthcheckTiming, container(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app", "health")
			s.Healthcheck.Interval = 500 * time.Millisecond
			s.Healthcheck.Timeout = 2 * time.Second
		}), 1, "interval 500ms is under 1s"},
		{"sub-second timeout", HealthcheckTiming, container(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app", "health")
			s.Healthcheck.Timeout = 200 * time.Millisecond
		}), 1, "timeout 200ms is under 1s"},
		// The engine runs one probe at a time, the interval counted from the
		// end of one to the start of the next (moby daemon/health.go).
		{"timeout above the interval is fine", HealthcheckTiming, container(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app", "health")
			s.Healthcheck.Interval, s.Healthcheck.Timeout = 5*time.Second, 30*time.Second
		}), 0, ""},
		{"engine defaults", HealthcheckTiming, container(func(s *lint.Service) { s.Healthcheck = probe("CMD", "/app", "health") }), 0, ""},

		{"hc, nothing acts", UnhealthyNotActedOn, container(func(s *lint.Service) { s.Healthcheck = probe("CMD", "/app") }), 1, "docker-heal.enable=true"},
		{"opted in", UnhealthyNotActedOn, container(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Labels = map[string]string{"docker-heal.enable": "True"}
		}), 0, ""},
		{"autoheal", UnhealthyNotActedOn, container(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Labels = map[string]string{"autoheal": "TRUE"}
		}), 0, ""},
		{"opted in with yes, as healing accepts", UnhealthyNotActedOn, container(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Labels = map[string]string{"docker-heal.enable": " Yes"}
		}), 0, ""},
		{"opted in with 1", UnhealthyNotActedOn, container(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Labels = map[string]string{"docker-heal.enable": "1"}
		}), 0, ""},
		{"autoheal on, opted out by docker-heal.enable", UnhealthyNotActedOn, container(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Labels = map[string]string{"autoheal": "on", "docker-heal.enable": "off"}
		}), 1, ""},
		{"opted out", UnhealthyNotActedOn, container(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Labels = map[string]string{"docker-heal.enable": "false"}
		}), 1, ""},
		{"swarm task", UnhealthyNotActedOn, container(func(s *lint.Service) { s.Healthcheck = probe("CMD", "/app"); s.Swarm = true }), 0, ""},

		{"policy no", RestartPolicyMissing, container(func(s *lint.Service) { s.Restart.Name = "no" }), 1, ""},
		{"swarm", RestartPolicyMissing, container(func(s *lint.Service) { s.Restart.Name = "no"; s.Swarm = true }), 0, ""},
		{"unless-stopped", RestartPolicyMissing, container(func(s *lint.Service) { s.Restart.Name = "unless-stopped" }), 0, ""},
		{"always", RestartAlways, container(func(s *lint.Service) { s.Restart.Name = "always" }), 1, ""},
		{"on-failure", RestartOnFailureUnbounded, container(func(s *lint.Service) { s.Restart.Name = "on-failure" }), 1, ""},
		{"on-failure:3", RestartOnFailureUnbounded, container(func(s *lint.Service) { s.Restart = lint.RestartPolicy{Name: "on-failure", MaxRetries: 3} }), 0, ""},

		{"no memory", MemoryLimitMissing, container(func(s *lint.Service) {}), 1, ""},
		{"engine's 2x swap", MemorySwapUnlimited, container(func(s *lint.Service) { s.MemLimit, s.MemSwap = 64<<20, 128<<20 }), 1, "64m of swap"},
		{"unlimited swap", MemorySwapUnlimited, container(func(s *lint.Service) { s.MemLimit, s.MemSwap = 64<<20, -1 }), 1, "unlimited swap"},
		{"swap equal", MemorySwapUnlimited, container(func(s *lint.Service) { s.MemLimit, s.MemSwap = 64<<20, 64<<20 }), 0, ""},
		{"no limit at all", MemorySwapUnlimited, container(func(s *lint.Service) {}), 0, ""},
		{"cpus", CPULimitMissing, container(func(s *lint.Service) { s.CPUs = 0.5 }), 0, ""},
		{"no cpus", CPULimitMissing, container(func(s *lint.Service) {}), 1, ""},
		{"pids -1", PidsLimitMissing, container(func(s *lint.Service) { s.PidsLimit = -1 }), 1, ""},
		{"pids 100", PidsLimitMissing, container(func(s *lint.Service) { s.PidsLimit = 100 }), 0, ""},
		{"reservation is compose-only", ReservationExceedsLimit, container(func(s *lint.Service) { s.MemLimit, s.MemReserve = 1, 2 }), 0, ""},

		{"json-file with max-size", LogRotationMissing, container(func(s *lint.Service) {
			s.LogDriver, s.LogOptions = "json-file", map[string]string{"max-size": "10m"}
		}), 0, ""},
		{"json-file without options", LogRotationMissing, container(func(s *lint.Service) { s.LogDriver = "json-file" }), 1, "daemon.json"},
		{"local", LogRotationMissing, container(func(s *lint.Service) { s.LogDriver = "local" }), 0, ""},
		{"journald", LogRotationMissing, container(func(s *lint.Service) { s.LogDriver = "journald" }), 0, ""},

		{"nofile unset", UlimitNofileLow, container(func(s *lint.Service) {}), 1, "daemon's default"},
		{"nofile unlimited", UlimitNofileLow, container(func(s *lint.Service) { s.Ulimits = map[string]lint.Ulimit{"nofile": {Soft: -1, Hard: -1}} }), 0, ""},
		{"nofile 1024", UlimitNofileLow, container(func(s *lint.Service) { s.Ulimits = map[string]lint.Ulimit{"nofile": {Soft: 1024, Hard: 4096}} }), 1, "1024"},
		{"soft unlimited, hard finite", UlimitSoftAboveHard, container(func(s *lint.Service) { s.Ulimits = map[string]lint.Ulimit{"core": {Soft: -1, Hard: 100}} }), 1, "unlimited"},
		{"hard unlimited", UlimitSoftAboveHard, container(func(s *lint.Service) { s.Ulimits = map[string]lint.Ulimit{"core": {Soft: 10, Hard: -1}} }), 0, ""},

		{"privileged", Privileged, container(func(s *lint.Service) { s.Privileged = true }), 1, ""},

		{"socket", DockerSocketMounted, container(func(s *lint.Service) {
			s.Mounts = []lint.Mount{{Type: "bind", Source: "/var/run/docker.sock", Target: "/var/run/docker.sock"}}
		}), 1, ""},
		{"desktop raw socket", DockerSocketMounted, container(func(s *lint.Service) {
			s.Mounts = []lint.Mount{{Type: "bind", Source: "/Users/me/Library/Containers/com.docker.docker/Data/docker.sock.raw"}}
		}), 1, ""},
		{"windows pipe", DockerSocketMounted, container(func(s *lint.Service) {
			s.Mounts = []lint.Mount{{Type: "npipe", Source: `\\.\pipe\docker_engine`}}
		}), 1, ""},
		{"named volume and other binds", DockerSocketMounted, container(func(s *lint.Service) {
			s.Mounts = []lint.Mount{{Type: "volume", Source: "docker.sock"}, {Type: "bind", Source: "/var/run/app"}, {Type: "tmpfs", Target: "/run"}}
		}), 0, ""},

		{"root user", UserRoot, container(func(s *lint.Service) { s.User = "0:0" }), 1, ""},
		{"no user, image unknown", UserRoot, container(func(s *lint.Service) {}), 1, ""},
		{"app user", UserRoot, container(func(s *lint.Service) { s.User = "app" }), 0, ""},
		{"cap SYS_ADMIN as the engine stores it", CapAddDangerous, container(func(s *lint.Service) {
			s.CapAdd = []string{"CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_NET_RAW"}
		}), 1, "SYS_ADMIN added"},
		{"cap ALL and a duplicate", CapAddDangerous, container(func(s *lint.Service) { s.CapAdd = []string{"ALL", "all", "CAP_SYS_BOOT"} }), 2, ""},
		{"network caps only", CapAddDangerous, container(func(s *lint.Service) { s.CapAdd = []string{"CAP_NET_ADMIN", "CAP_NET_RAW"} }), 0, ""},
		{"pid and network host", HostNamespace, container(func(s *lint.Service) { s.PidMode, s.NetworkMode = "host", "host" }), 2, ""},
		{"engine defaults are not the host's", HostNamespace, container(func(s *lint.Service) { s.IpcMode, s.NetworkMode = "private", "bridge" }), 0, ""},
		{"another container's namespace", HostNamespace, container(func(s *lint.Service) { s.PidMode, s.NetworkMode = "container:abc", "container:abc" }), 0, ""},
		{"image-unpinned is not for containers", ImageUnpinned, container(func(s *lint.Service) { s.Image = "nginx" }), 0, ""},
	})
}

// Compose services (C), on what a compose file can say.
func TestComposeRules(t *testing.T) {
	yes := true
	runServiceCases(t, []serviceCase{
		{"image not inspected: PID 1 unknown, the argument not named", InitMissing, composeSvc(func(s *lint.Service) {
			s.Image, s.Command = "redis:7.4", []string{"--save", "60", "1"}
		}), 0, notCheckedPrefix + "image-config-unknown"},
		{"linuxserver image not inspected", InitMissing, composeSvc(func(s *lint.Service) { s.Image = "ghcr.io/linuxserver/sonarr:4.0.9" }), 0, ""},
		{"inspected s6-overlay entrypoint", InitMissing, composeSvc(func(s *lint.Service) {
			s.Image, s.ImageConfig = "example/app:1", &lint.ImageConfig{Entrypoint: []string{"/init"}}
		}), 0, ""},
		{"inspected catatonit entrypoint", InitMissing, composeSvc(func(s *lint.Service) {
			s.Image, s.ImageConfig = "example/app:1", &lint.ImageConfig{Entrypoint: []string{"/usr/bin/catatonit", "--"}}
		}), 0, ""},
		{"inspected, no entrypoint: the command is PID 1", InitMissing, composeSvc(func(s *lint.Service) {
			s.Image, s.ImageConfig, s.Command = "example/app:1", &lint.ImageConfig{Cmd: []string{"nginx"}}, []string{"/usr/bin/app", "--save"}
		}), 1, "PID 1 is /usr/bin/app"},
		{"inspected entrypoint script with arguments", InitMissing, composeSvc(func(s *lint.Service) {
			s.Image, s.ImageConfig, s.Command = "example/db:7", &lint.ImageConfig{Entrypoint: []string{"docker-entrypoint.sh"}}, []string{"--replSet", "rs0"}
		}), 0, notCheckedPrefix + "entrypoint-script-unknown"},
		{"built on a base not inspected, entrypoint inherited", InitMissing, composeSvc(func(s *lint.Service) {
			s.Built, s.ImageConfig = true, &lint.ImageConfig{Cmd: []string{"--flag"}, Unknown: lint.AllFields &^ lint.FieldCmd, NotInspected: "example/base:2"}
		}), 0, notCheckedPrefix + "image-config-unknown"},
		{"image ships a HEALTHCHECK", HealthcheckMissing, composeSvc(func(s *lint.Service) {
			s.Image, s.ImageConfig = "example/app:1", &lint.ImageConfig{Healthcheck: probe("CMD", "/app", "health")}
		}), 0, ""},
		{"image inspected, no HEALTHCHECK", HealthcheckMissing, composeSvc(func(s *lint.Service) {
			s.Image, s.ImageConfig = "example/app:1", &lint.ImageConfig{Cmd: []string{"/app"}}
		}), 1, "neither the service nor the image example/app:1"},
		{"image inspected, runs nothing (a base image)", HealthcheckMissing, composeSvc(func(s *lint.Service) {
			s.Image, s.ImageConfig = "example/base:1", &lint.ImageConfig{}
		}), 0, ""},
		{"image not inspected", HealthcheckMissing, composeSvc(func(s *lint.Service) { s.Image = "example/app:1" }), 0, notCheckedPrefix + "image-config-unknown"},
		{"build not read", HealthcheckMissing, composeSvc(func(s *lint.Service) { s.HasBuild, s.BuildUnread = true, "web/Dockerfile" }), 0, notCheckedPrefix + "dockerfile-unread"},
		{"inspected non-root image", UserRoot, composeSvc(func(s *lint.Service) {
			s.Image, s.ImageConfig = "example/app:1", &lint.ImageConfig{User: "472"}
		}), 0, ""},
		{"built on a base not inspected", UserRoot, composeSvc(func(s *lint.Service) {
			s.Built, s.ImageConfig = true, &lint.ImageConfig{Unknown: lint.AllFields, NotInspected: "grafana/grafana:11"}
		}), 0, notCheckedPrefix + "image-config-unknown"},
		{"command wrapper", ShellWrapperNoExec, composeSvc(func(s *lint.Service) { s.Command = []string{"sh", "-c", "a && b"} }), 1, "command runs sh -c"},
		{"command after an entrypoint script", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"/entrypoint.sh"}, []string{"sh", "-c", "a; b"}
		}), 1, ""},
		{"shell from the entrypoint, script from the command", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"/bin/sh"}, []string{"-c", "migrate; app"}
		}), 1, "entrypoint with command runs sh -c"},
		{"options before -c, split", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"bash", "-euo", "pipefail", "-c"}, []string{"migrate && app | tee /log"}
		}), 1, "runs bash -c"},
		{"busybox sh on a local alpine build", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.ImageConfig = &lint.ImageConfig{Base: lint.BaseAlpine}
			s.Command = []string{"sh", "-c", "migrate; app"}
		}), 0, ""},
		{"a trap keeps busybox sh", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.Image = "alpine:3.20"
			s.Command = []string{"sh", "-c", "trap 'rm -f /tmp/lock' EXIT; app"}
		}), 1, ""},
		{"nothing to exec", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.Command = []string{"sh", "-c", "sleep 1; echo \"exiting with error\"; exit 42"}
		}), 0, ""},
		{"a loop cannot be exec'd", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.Image = "alpine:3.20"
			s.Command = []string{"sh", "-c", "while true; do poll; sleep 1; done"}
		}), 1, "init: true"},
		{"wait keeps the shell", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.Image = "alpine:3.20"
			s.Command = []string{"ash", "-c", "app & wait"}
		}), 1, ""},
		{"the image's bare shell entrypoint", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.ImageConfig = &lint.ImageConfig{Entrypoint: []string{"/bin/sh"}}
			s.Command = []string{"-c", "migrate; app"}
		}), 1, "the image's entrypoint with command"},
		{"split, exec'd", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"/bin/sh"}, []string{"-c", "migrate; exec app"}
		}), 0, ""},
		{"entrypoint script with -c config", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.Entrypoint, s.Command = []string{"docker-entrypoint.sh"}, []string{"-c", "config.yaml"}
		}), 0, ""},
		{"inherited from the Dockerfile", ShellWrapperNoExec, composeSvc(func(s *lint.Service) {
			s.ImageConfig = &lint.ImageConfig{Cmd: []string{"sh", "-c", "a; b"}}
		}), 0, ""},
		{"image's init entrypoint", InitMissing, composeSvc(func(s *lint.Service) {
			s.ImageConfig = &lint.ImageConfig{Entrypoint: []string{"dumb-init", "--"}}
		}), 0, ""},
		{"compose entrypoint replaces the image's init", InitMissing, composeSvc(func(s *lint.Service) {
			s.ImageConfig = &lint.ImageConfig{Entrypoint: []string{"tini", "--"}}
			s.Entrypoint = []string{"node"}
		}), 1, ""},
		{"init true", InitMissing, composeSvc(func(s *lint.Service) { s.Init = &yes }), 0, ""},

		{"timings over an image's test", HealthcheckMissing, composeSvc(func(s *lint.Service) {
			s.Healthcheck = &lint.Healthcheck{Interval: 10 * time.Second}
			s.ImageConfig = &lint.ImageConfig{Healthcheck: probe("CMD", "/app", "health")}
		}), 0, ""},
		{"timings and no test anywhere", HealthcheckMissing, composeSvc(func(s *lint.Service) {
			s.Healthcheck = &lint.Healthcheck{Interval: 10 * time.Second}
			s.Image = "redis:7"
		}), 0, notCheckedPrefix + "image-config-unknown"},
		{"one-shot disabled", HealthcheckDisabled, composeSvc(func(s *lint.Service) {
			s.OneShot = true
			s.Healthcheck = &lint.Healthcheck{Disabled: true}
		}), 0, ""},
		{"the image's curl is the Dockerfile's finding", HealthcheckCurlNoFail, composeSvc(func(s *lint.Service) {
			s.ImageConfig = &lint.ImageConfig{Healthcheck: probe("CMD", "curl", "localhost")}
		}), 0, ""},
		{"retries over the image's timings", HealthcheckTiming, composeSvc(func(s *lint.Service) {
			s.Healthcheck = &lint.Healthcheck{Retries: 10, RetriesSet: true}
			s.ImageConfig = &lint.ImageConfig{Healthcheck: &lint.Healthcheck{Test: []string{"CMD", "/app"}, Interval: time.Minute, Timeout: 10 * time.Second}}
		}), 1, "11m40s to mark a started app that hangs unhealthy (10 retries x (interval 1m + timeout 10s))"},
		{"a long start period is not hang detection", HealthcheckTiming, composeSvc(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Healthcheck.StartPeriod = 10 * time.Minute
			s.Healthcheck.Interval, s.Healthcheck.Timeout = time.Minute, 10*time.Second
		}), 0, ""},
		{"start period stated apart", HealthcheckTiming, composeSvc(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Healthcheck.StartPeriod = 10 * time.Minute
			s.Healthcheck.Interval = 5 * time.Minute
		}), 1, "up to 16m30s to mark a started app that hangs unhealthy (3 default retries x (interval 5m + default timeout 30s)), over 10m (the start_period 10m is apart: it only covers the start)"},
		{"just under 10m", HealthcheckTiming, composeSvc(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Healthcheck.Interval, s.Healthcheck.Timeout, s.Healthcheck.Retries, s.Healthcheck.RetriesSet = 50*time.Second, 10*time.Second, 10, true
		}), 0, ""},
		{"explicit default pair", HealthcheckTiming, composeSvc(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Healthcheck.Interval, s.Healthcheck.Timeout = 30*time.Second, 30*time.Second
		}), 0, ""},
		{"interval 6m", HealthcheckTiming, composeSvc(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "/app")
			s.Healthcheck.Interval, s.Healthcheck.Timeout = 6*time.Minute, 10*time.Second
		}), 1, "up to 18m30s"},

		{"curl on alpine, not installed", HealthcheckProbeUnavailable, composeSvc(func(s *lint.Service) {
			s.Healthcheck = probe("CMD-SHELL", "[ \"$(curl -s localhost)\" = ok ]")
			s.Built = true
			s.ImageConfig = &lint.ImageConfig{Base: lint.BaseAlpine}
		}), 1, "curl"},
		{"curl on alpine, installed", HealthcheckProbeUnavailable, composeSvc(func(s *lint.Service) {
			s.Healthcheck = probe("CMD", "curl", "-f", "localhost")
			s.Built = true
			s.ImageConfig = &lint.ImageConfig{Base: lint.BaseAlpine, Installed: map[string]bool{"curl": true}}
		}), 0, ""},
		{"shell probe on distroless", HealthcheckProbeUnavailable, composeSvc(func(s *lint.Service) {
			s.Healthcheck = probe("CMD-SHELL", "/app health")
			s.Built = true
			s.ImageConfig = &lint.ImageConfig{Base: lint.BaseDistroless, BaseRef: "gcr.io/distroless/base"}
		}), 1, "/bin/sh"},
		{"shell probe on distroless debug", HealthcheckProbeUnavailable, composeSvc(func(s *lint.Service) {
			s.Healthcheck = probe("CMD-SHELL", "/app health")
			s.Built = true
			s.ImageConfig = &lint.ImageConfig{Base: lint.BaseDistroless, BaseRef: "gcr.io/distroless/base:debug"}
		}), 0, ""},
		{"image unknown", HealthcheckProbeUnavailable, composeSvc(func(s *lint.Service) { s.Healthcheck = probe("CMD", "curl", "-f", "x") }), 0, ""},

		{"target healthy through its image", DependsOnNoHealthcheck, composeSvc(func(s *lint.Service) {
			db := &lint.Service{Name: "db", ImageConfig: &lint.ImageConfig{Healthcheck: probe("CMD", "pg_isready")}}
			s.DependsOn = []lint.Dependency{{Service: "db", Condition: "service_healthy", Target: db}}
		}), 0, ""},
		{"target not in the project", DependsOnNoHealthcheck, composeSvc(func(s *lint.Service) {
			s.DependsOn = []lint.Dependency{{Service: "db", Condition: "service_healthy"}}
		}), 0, ""},
		{"target without healthcheck", DependsOnNoHealthcheck, composeSvc(func(s *lint.Service) {
			s.DependsOn = []lint.Dependency{{Service: "db", Condition: "service_healthy", Target: &lint.Service{Name: "db"}}}
		}), 1, "db has no healthcheck"},
		{"service_started", DependsOnNoHealthcheck, composeSvc(func(s *lint.Service) {
			s.DependsOn = []lint.Dependency{{Service: "db", Condition: "service_started", Target: &lint.Service{Name: "db"}}}
		}), 0, ""},

		{"deploy condition none", RestartPolicyMissing, composeSvc(func(s *lint.Service) { s.Restart = lint.RestartPolicy{Name: "no", FromDeploy: true} }), 0, ""},
		{"one-shot", RestartPolicyMissing, composeSvc(func(s *lint.Service) { s.OneShot = true }), 0, ""},
		{"deploy any", RestartAlways, composeSvc(func(s *lint.Service) { s.Restart = lint.RestartPolicy{Name: "always", FromDeploy: true} }), 0, ""},

		{"memory and cpu reservations", ReservationExceedsLimit, composeSvc(func(s *lint.Service) {
			s.MemLimit, s.MemReserve, s.CPUs, s.CPUReserve = 512<<20, 1<<30, 1, 1.5
		}), 2, "1g"},
		{"reservation without limit", ReservationExceedsLimit, composeSvc(func(s *lint.Service) { s.MemReserve, s.CPUReserve = 1<<30, 2 }), 0, ""},
		{"swap below the limit", MemorySwapUnlimited, composeSvc(func(s *lint.Service) { s.MemLimit, s.MemSwap = 512<<20, 256<<20 }), 1, "refuses"},
		{"max-size -1", LogRotationMissing, composeSvc(func(s *lint.Service) { s.LogOptions = map[string]string{"max-size": "-1"} }), 1, "-1"},

		{"user set by compose", UserRoot, composeSvc(func(s *lint.Service) { s.User = "1000"; s.Built = true; s.ImageConfig = &lint.ImageConfig{} }), 0, ""},
		{"user root by compose over a root image", UserRoot, composeSvc(func(s *lint.Service) {
			s.User, s.Image, s.ImageConfig = "root", "example/app:1", &lint.ImageConfig{Cmd: []string{"/app"}}
		}), 1, ""},
		{"user root by compose over a non-root image: on purpose", UserRoot, composeSvc(func(s *lint.Service) {
			s.User, s.Image, s.ImageConfig = "0:0", "example/app:1", &lint.ImageConfig{Cmd: []string{"/app"}, User: "1000:1000"}
		}), 0, ""},
		{"user root by compose over an unknown image", UserRoot, composeSvc(func(s *lint.Service) { s.User, s.Image = "root", "example/app:1" }), 0, notCheckedPrefix + "image-config-unknown"},
		{"user from a variable", UserRoot, composeSvc(func(s *lint.Service) { s.User = "${UID}:${GID}" }), 0, ""},
		{"image unknown", UserRoot, composeSvc(func(s *lint.Service) { s.Image = "example/app:1" }), 0, notCheckedPrefix + "image-config-unknown"},
		{"scratch without USER", UserRoot, composeSvc(func(s *lint.Service) {
			s.Built = true
			s.ImageConfig = &lint.ImageConfig{Base: lint.BaseScratch, BaseRef: "scratch", Cmd: []string{"/app"}}
		}), 1, ""},
		{"scratch base image that runs nothing", UserRoot, composeSvc(func(s *lint.Service) {
			s.Built = true
			s.ImageConfig = &lint.ImageConfig{Base: lint.BaseScratch, BaseRef: "scratch"}
		}), 0, ""},
		{"distroless nonroot", UserRoot, composeSvc(func(s *lint.Service) {
			s.Built = true
			s.ImageConfig = &lint.ImageConfig{Base: lint.BaseDistroless, BaseRef: "gcr.io/distroless/static-debian12:nonroot", Unknown: lint.AllFields}
		}), 0, ""},

		{"built image", ImageUnpinned, composeSvc(func(s *lint.Service) { s.Image = "example/app"; s.Built = true; s.ImageConfig = &lint.ImageConfig{} }), 0, ""},
		{"digest", ImageUnpinned, composeSvc(func(s *lint.Service) {
			s.Image = "nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000"
		}), 0, ""},
		{"registry port", ImageUnpinned, composeSvc(func(s *lint.Service) { s.Image = "localhost:5000/app" }), 1, "no tag"},
		{"registry port and tag", ImageUnpinned, composeSvc(func(s *lint.Service) { s.Image = "localhost:5000/app:1.2" }), 0, ""},
	})
}

// No rule may panic on a description with nothing filled in, or with
// half-filled healthchecks and image configs.
func TestRulesSurviveEmptyInput(t *testing.T) {
	hcs := []*lint.Healthcheck{nil, {}, {Test: []string{"CMD"}}, {Test: []string{"CMD-SHELL"}}, {Test: []string{"NONE"}}, {Test: []string{"CMD-SHELL", ""}}, {Disabled: true}}
	imgs := []*lint.ImageConfig{nil, {}, {Base: lint.BaseScratch}, {Base: lint.BaseAlpine, Healthcheck: &lint.Healthcheck{}}}
	for _, kind := range []lint.Kind{lint.KindCompose, lint.KindContainer} {
		for _, hc := range hcs {
			for _, img := range imgs {
				svc := &lint.Service{Kind: kind, Healthcheck: hc, ImageConfig: img,
					DependsOn: []lint.Dependency{{Condition: "service_healthy", Target: &lint.Service{}}},
					Mounts:    []lint.Mount{{}}, Ulimits: map[string]lint.Ulimit{"nofile": {}},
					Entrypoint: []string{}, Command: []string{""}}
				for _, rule := range All() {
					if rule.CheckService != nil {
						check(rule, svc)
					}
				}
			}
		}
	}
	dfs := []*lint.Dockerfile{{}, {Stages: []*lint.Stage{{}}}}
	for _, src := range []string{"FROM scratch", "FROM a AS b\nFROM b\nCMD\nHEALTHCHECK NONE\nUSER 0", "ARG X\nFROM $X\nHEALTHCHECK CMD-SHELL\nENTRYPOINT []"} {
		df, err := lint.ParseDockerfile("Dockerfile", []byte(src))
		if err != nil {
			continue
		}
		dfs = append(dfs, df)
	}
	for _, df := range dfs {
		for _, rule := range All() {
			if rule.CheckDockerfile != nil {
				r := lint.NewReport(&rule)
				rule.CheckDockerfile(r, df)
			}
		}
	}
}

func TestRuntimeFixNamesComposeOnlyForComposeContainers(t *testing.T) {
	plain := &lint.Service{Kind: lint.KindContainer, Name: "solo"}
	composed := &lint.Service{Kind: lint.KindContainer, Name: "shop-web-1", Labels: map[string]string{"com.docker.compose.service": "web"}}
	for _, c := range []struct {
		svc  *lint.Service
		want string
		not  string
	}{
		{plain, "docker update --memory 512m", "compose"},
		{composed, "set mem_limit in its compose file (now: docker update --memory 512m)", ""},
	} {
		r := lint.NewReport(&MemoryLimitMissing)
		MemoryLimitMissing.CheckService(r, c.svc)
		fs := r.Findings()
		if len(fs) != 1 || !strings.Contains(fs[0].Message, c.want) || (c.not != "" && strings.Contains(fs[0].Message, c.not)) {
			t.Errorf("%s: %+v, want %q", c.svc.Name, fs, c.want)
		}
	}
}

func TestMovingTag(t *testing.T) {
	for _, tc := range []struct {
		ref  string
		tag  string
		want bool
	}{
		{"redis", "", true},
		{"redis:latest", "latest", true},
		{"redis:alpine", "alpine", true},
		{"node:lts-alpine", "lts-alpine", true},
		{"node:lts-alpine3.20", "lts-alpine3.20", true}, // the node line moves
		{"ghcr.io/x/y:latest-ubuntu", "latest-ubuntu", true},
		{"debian:bookworm-slim", "", false}, // a release codename, like a major version
		{"python:slim", "slim", true},
		{"debian:sid", "sid", true},
		{"grafana/grafana:main", "main", true},
		{"example/app:Nightly", "Nightly", true},
		{"postgres:16.4", "", false},
		{"ghcr.io/x/sqlite:v3.39.1", "", false},
		{"lscr.io/linuxserver/qbittorrent:5.1.4-libtorrentv1", "", false},
		{"node:20-alpine", "", false},
		{"example/app:nightly-20240101", "", false},
		{"example/app:prod", "", false},
		{"redis:alpine@sha256:0123", "", false},
		{"localhost:5000/app:1.2", "", false},
	} {
		tag, bad := unpinned(tc.ref)
		if bad != tc.want || tag != tc.tag {
			t.Errorf("unpinned(%q) = %q, %v; want %q, %v", tc.ref, tag, bad, tc.tag, tc.want)
		}
	}
}
