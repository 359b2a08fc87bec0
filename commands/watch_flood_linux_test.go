//go:build linux

package commands

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
)

// floodEnv makes this test binary, run as a child, the flood itself: it
// opens DOCKER_HEAL_TEST_FLOOD_N idle connections to the address given,
// says "ready", and holds them until its stdin closes. The connections are
// another process's, so they do not count against our descriptors.
const floodEnv = "DOCKER_HEAL_TEST_FLOOD"

func TestMain(m *testing.M) {
	if addr := os.Getenv(floodEnv); addr != "" {
		os.Exit(flood(addr))
	}
	os.Exit(m.Run())
}

func flood(addr string) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		lim.Cur = lim.Max // the parent lowered its own; not ours
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	n, _ := strconv.Atoi(os.Getenv(floodEnv + "_N"))
	var conns []net.Conn
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			fmt.Fprintf(os.Stderr, "flood: %v\n", err)
			return 1
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
	return 0
}

func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// issue 18: 2,000 idle connections to /metrics exhausted the descriptors
// and rounds then failed ("too many open files"): nothing was healed. Here
// the process may open 48 more files than it has; 300 idle connections
// arrive from another process; an unhealthy container must still be
// restarted and the round saved.
func TestWatchRoundsSurviveAFloodOfIdleConnections(t *testing.T) {
	web := sickContainer("web")
	web.Health = heal.HealthHealthy
	e := newOnceEngine(web)
	opts := watchTestOpts(t)
	opts.listen = "127.0.0.1:0"
	r := startWatch(t, e, opts)
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	eventually(t, "the first full round", func() bool { return e.lists() >= 1 })
	m := addrRE.FindStringSubmatch(r.errOut.String())
	if m == nil {
		t.Fatalf("no listen address logged:\n%s", r.errOut.String())
	}

	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	saved := lim
	lim.Cur = uint64(openFiles(t) + 48)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &saved) })

	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), floodEnv+"="+m[1], floodEnv+"_N=300")
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = child.Wait() })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("the flood: %q %v", line, err)
	}
	time.Sleep(200 * time.Millisecond) // the server accepts what it will

	e.setHealth(web.ID, heal.HealthUnhealthy)
	r.send(t, heal.EngineEvent{Kind: heal.EventHealthStatus, ID: web.ID, Name: web.Name, Health: heal.HealthUnhealthy, Time: time.Now()})
	eventually(t, "the round after the flood", func() bool {
		return e.restarts() == 1 || strings.Contains(r.errOut.String(), "too many open files")
	})
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.errOut.String(), "too many open files") || e.restarts() != 1 {
		t.Fatalf("the round failed under the flood (%d restarts):\n%s", e.restarts(), r.errOut.String())
	}
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &saved)
	st, err := store.ReadState(opts.stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if en := st.Entry(web.ID); en == nil || len(en.Restarts) != 1 || en.Restarts[0].Result != heal.ResultSuccess {
		t.Errorf("state after the flood: %+v", en)
	}
}
