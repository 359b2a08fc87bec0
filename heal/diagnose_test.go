package heal

import (
	"fmt"
	"testing"
	"time"
)

func TestDiagnose(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	probe := func(age time.Duration, code int, out string) Probe {
		return Probe{Start: ago(age), End: ago(age).Add(20 * time.Millisecond), ExitCode: code, Output: out}
	}
	running := func(c Container) Container {
		c.State, c.Inspected = "running", true
		if c.RestartPolicy == "" {
			c.RestartPolicy = "no"
		}
		return c
	}
	tests := []struct {
		name   string
		c      Container
		want   Condition
		since  time.Time
		exit   string // "" no code, else the code
		reason string
	}{
		{"healthy since its first probe", running(Container{Health: HealthHealthy, StartedAt: ago(time.Minute),
			Probes: []Probe{probe(50*time.Second, 0, "ok"), probe(20*time.Second, 0, "ok")}}),
			CondHealthy, ago(50 * time.Second), "", "healthcheck passing"},
		{"healthy after failures", running(Container{Health: HealthHealthy, StartedAt: ago(time.Hour),
			Probes: []Probe{probe(50*time.Second, 1, "x"), probe(40*time.Second, 0, "ok"), probe(30*time.Second, 0, "ok")}}),
			CondHealthy, ago(40 * time.Second), "", "healthcheck passing"},
		{"running without healthcheck", running(Container{Health: HealthNone, StartedAt: ago(2 * time.Hour)}),
			CondRunning, ago(2 * time.Hour), "", "running, no healthcheck"},
		{"running, restarted long ago", running(Container{Health: HealthNone, StartedAt: ago(2 * time.Hour), RestartCount: 7, RestartPolicy: "always"}),
			CondRunning, ago(2 * time.Hour), "", "running, no healthcheck; restarted 7 times by the engine"},
		{"starting in its start period", running(Container{Health: HealthStarting, StartedAt: ago(10 * time.Second), StartPeriod: 40 * time.Second}),
			CondStarting, ago(10 * time.Second), "", "start period: 30s of 40s left"},
		{"starting past its start period", running(Container{Health: HealthStarting, StartedAt: ago(time.Minute), StartPeriod: 40 * time.Second, FailingStreak: 1, Retries: 3}),
			CondStarting, ago(time.Minute), "", "waiting for its first passing probe (failing streak 1 of 3 retries)"},
		{"unhealthy: streak from its first failure", running(Container{Health: HealthUnhealthy, StartedAt: ago(time.Hour), FailingStreak: 2,
			Probes: []Probe{probe(30*time.Second, 0, "ok"), probe(20*time.Second, 1, "refused"), probe(10*time.Second, 1, "connection refused\nmore")}}),
			CondUnhealthy, ago(20 * time.Second), "", "failing streak 2, last probe: exit 1: connection refused"},
		{"crash loop while running", running(Container{Health: HealthNone, StartedAt: ago(2 * time.Second), FinishedAt: ago(3 * time.Second), RestartCount: 4, RestartPolicy: "always"}),
			CondCrashLoop, ago(2 * time.Second), "", "restarted 4 times by the engine, up 2s since the last; last exit 3s ago"},
		{"crash loop, the exit code from a die event", with(running(Container{Health: HealthNone, StartedAt: ago(2 * time.Second), FinishedAt: ago(3 * time.Second), RestartCount: 4, RestartPolicy: "always"}),
			func(c *Container) { MarkDied(c, ExitRecord{Time: ago(3 * time.Second), ExitCode: 139}) }),
			CondCrashLoop, ago(2 * time.Second), "139", "restarted 4 times by the engine, up 2s since the last; last exit 3s ago: exit 139 (SIGSEGV: segmentation fault)"},
		{"crash loop waiting to restart", Container{State: "restarting", Inspected: true, FinishedAt: ago(5 * time.Second), ExitCode: 1, RestartCount: 6, RestartPolicy: "always"},
			CondCrashLoop, ago(5 * time.Second), "1", "exit 1 (error) 5s ago; restarted 6 times by the engine, waiting to start it again"},
		{"restarting, not yet a loop", Container{State: "restarting", Inspected: true, FinishedAt: ago(time.Second), ExitCode: 143, RestartCount: 1, RestartPolicy: "unless-stopped"},
			CondRestarting, ago(time.Second), "143", "exit 143 (SIGTERM: docker stop) 1s ago; restarted once by the engine, waiting to start it again"},
		{"restarting after an OOM kill", Container{State: "restarting", Inspected: true, FinishedAt: ago(time.Second), ExitCode: 137, OOMKilled: true, RestartCount: 1, RestartPolicy: "always"},
			CondOOMKilled, ago(time.Second), "137", "exit 137 (SIGKILL, out of memory: OOMKilled) 1s ago; restarted once by the engine, waiting to start it again"},
		{"oom killed, exited", Container{State: "exited", Inspected: true, FinishedAt: ago(time.Minute), ExitCode: 137, OOMKilled: true},
			CondOOMKilled, ago(time.Minute), "137", "exit 137 (SIGKILL, out of memory: OOMKilled) 1m ago"},
		{"oom killed and restarted (20.10 keeps the flag)", running(Container{Health: HealthNone, StartedAt: ago(20 * time.Second), FinishedAt: ago(21 * time.Second), OOMKilled: true, RestartCount: 1, RestartPolicy: "always"}),
			CondOOMKilled, ago(21 * time.Second), "", "last exit 21s ago: out of memory (OOMKilled); restarted once by the engine"},
		{"oom flag of a restart long ago", running(Container{Health: HealthNone, StartedAt: ago(time.Hour), FinishedAt: ago(time.Hour), OOMKilled: true, RestartCount: 1, RestartPolicy: "always"}),
			CondRunning, ago(time.Hour), "", "running, no healthcheck; restarted once by the engine"},
		{"exited with SIGKILL", Container{State: "exited", Inspected: true, FinishedAt: ago(time.Minute), ExitCode: 137},
			CondExited, ago(time.Minute), "137", "exit 137 (SIGKILL: docker kill, the stop timeout, or out of memory) 1m ago"},
		{"exited after SIGTERM", Container{State: "exited", Inspected: true, FinishedAt: ago(time.Minute), ExitCode: 143},
			CondExited, ago(time.Minute), "143", "exit 143 (SIGTERM: docker stop) 1m ago"},
		{"segfault", Container{State: "exited", Inspected: true, FinishedAt: ago(time.Minute), ExitCode: 139},
			CondExited, ago(time.Minute), "139", "exit 139 (SIGSEGV: segmentation fault) 1m ago"},
		{"not executable", Container{State: "exited", Inspected: true, FinishedAt: ago(time.Minute), ExitCode: 126, Error: "permission denied"},
			CondExited, ago(time.Minute), "126", "exit 126 (command not executable) 1m ago: permission denied"},
		{"not found", Container{State: "exited", Inspected: true, FinishedAt: ago(time.Minute), ExitCode: 127},
			CondExited, ago(time.Minute), "127", "exit 127 (command not found) 1m ago"},
		{"completed", Container{State: "exited", Inspected: true, FinishedAt: ago(3 * time.Hour), ExitCode: 0},
			CondExited, ago(3 * time.Hour), "0", "exit 0 (completed) 3h ago"},
		{"on-failure gave up", Container{State: "exited", Inspected: true, FinishedAt: ago(time.Second), ExitCode: 1, RestartCount: 5, RestartPolicy: "on-failure"},
			CondExited, ago(time.Second), "1", "exit 1 (error) 1s ago; restarted 5 times by the engine, then it gave up (restart policy on-failure)"},
		{"dead", Container{State: "dead", Inspected: true, FinishedAt: ago(time.Minute), ExitCode: 137, Error: "device busy"},
			CondDead, ago(time.Minute), "137", "the engine could not stop or remove it: device busy"},
		{"created", Container{State: "created", Inspected: true, CreatedAt: ago(time.Minute)},
			CondCreated, ago(time.Minute), "", "created, never started"},
		{"paused", Container{State: "paused", Inspected: true, StartedAt: ago(time.Minute)},
			CondPaused, time.Time{}, "", "paused (docker unpause resumes it)"},
		{"listed only, running", Container{State: "running", Health: ""},
			CondRunning, time.Time{}, "", "running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Diagnose(tt.c, now)
			if d.Condition != tt.want {
				t.Errorf("condition %q, want %q (reason %q)", d.Condition, tt.want, d.Reason)
			}
			if !d.Since.Equal(tt.since) {
				t.Errorf("since %v, want %v", d.Since, tt.since)
			}
			exit := ""
			if d.ExitCode != nil {
				exit = fmt.Sprint(*d.ExitCode)
			}
			if exit != tt.exit {
				t.Errorf("exit code %q, want %q", exit, tt.exit)
			}
			if d.Reason != tt.reason {
				t.Errorf("reason\n got %q\nwant %q", d.Reason, tt.reason)
			}
			if d.Restarts != tt.c.RestartCount {
				t.Errorf("restarts %d, want %d", d.Restarts, tt.c.RestartCount)
			}
		})
	}
}

func TestDiagnoseCoversEveryCondition(t *testing.T) {
	seen := map[Condition]bool{}
	now := time.Now()
	for _, c := range []Container{
		{State: "running", Health: HealthHealthy}, {State: "running", Health: HealthNone}, {State: "running", Health: HealthStarting},
		{State: "running", Health: HealthUnhealthy}, {State: "running", RestartCount: 3, RestartPolicy: "always", StartedAt: now},
		{State: "exited", OOMKilled: true}, {State: "exited"}, {State: "dead"}, {State: "restarting"}, {State: "created"},
		{State: "paused"}, {State: "removing"},
	} {
		seen[Diagnose(c, now).Condition] = true
	}
	for _, c := range Conditions {
		if !seen[c] {
			t.Errorf("no case reaches %s", c)
		}
	}
}

func TestFailing(t *testing.T) {
	for c, want := range map[Condition]bool{CondCrashLoop: true, CondOOMKilled: true, CondExited: true, CondDead: true,
		CondCreated: false, CondUnhealthy: false, CondStarting: false, CondHealthy: false, CondRestarting: false} {
		if c.Failing() != want {
			t.Errorf("%s.Failing() = %v", c, !want)
		}
	}
}

func TestExitText(t *testing.T) {
	for _, tt := range []struct {
		code int
		oom  bool
		want string
	}{
		{0, false, "exit 0 (completed)"}, {3, false, "exit 3"}, {137, true, "exit 137 (SIGKILL, out of memory: OOMKilled)"},
		{137, false, "exit 137 (SIGKILL: docker kill, the stop timeout, or out of memory)"}, {130 + 5, false, "exit 135 (killed by signal 7)"},
		{1, true, "exit 1 (error, out of memory: OOMKilled)"},
	} {
		if got := ExitText(tt.code, tt.oom); got != tt.want {
			t.Errorf("ExitText(%d, %v) = %q, want %q", tt.code, tt.oom, got, tt.want)
		}
	}
}
