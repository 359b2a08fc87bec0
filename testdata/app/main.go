// Command app is the test container of the integration tests: it runs as
// PID 1 in a FROM scratch image, probes itself for the HEALTHCHECK, and can be
// made sick, cured, told to ignore SIGTERM, to start failing some seconds after
// each start, or to take its time to stop.
//
//	app [serve]   run until SIGTERM (exit 0), or SIGKILL when told to ignore it
//	app probe     exit 0 (healthy) or 1 (sick), printing one line why
//	app sicken [REASON]  make the running app sick (until cure or a restart);
//	              the probe then prints "sick: REASON"
//	app cure      make it healthy again
//	app exit [CODE [MS]]  exit with CODE (default 1) after MS milliseconds
//	              (default 300): a crash, for crash-loop tests
//	app hog       allocate memory until the kernel's OOM killer ends it
//
// Environment (and the equivalent serve flags):
//
//	APP_IGNORE_SIGTERM=1  (-ignore-sigterm)  keep running on SIGTERM
//	APP_FAIL_AFTER=N      (-fail-after N)    probe fails N seconds after each start
//	APP_SLOW_STOP=S       (-slow-stop S)     take S seconds to exit after SIGTERM
//	APP_PROBE_SAY=TEXT                       the probe appends TEXT to its line
//	                                         (escape sequences too: status tests)
//
// Scratch has no /tmp: the state folder is created at start.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// stateDir holds the marker files; APP_STATE_DIR moves it (tests outside a container).
func stateDir() string {
	if d := os.Getenv("APP_STATE_DIR"); d != "" {
		return d
	}
	return "/run/app"
}

func sickMarker() string    { return filepath.Join(stateDir(), "sick") }
func startedMarker() string { return filepath.Join(stateDir(), "started") }

func main() {
	cmd := "serve"
	args := os.Args[1:]
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args)
	case "probe":
		ok, reason := probe(time.Now())
		if say := os.Getenv("APP_PROBE_SAY"); say != "" {
			reason += " " + say
		}
		fmt.Println(reason)
		if !ok {
			os.Exit(1)
		}
	case "sicken":
		reason := "made sick by `app sicken`"
		if len(args) > 0 {
			reason = args[0]
		}
		err = os.WriteFile(sickMarker(), []byte(reason+"\n"), 0o644)
		if err == nil {
			fmt.Println("sick")
		}
	case "exit":
		code, delay := 1, 300
		if len(args) > 0 {
			code, err = strconv.Atoi(args[0])
		}
		if err == nil && len(args) > 1 {
			delay, err = strconv.Atoi(args[1])
		}
		if err == nil {
			fmt.Printf("app: exiting with %d in %dms\n", code, delay)
			time.Sleep(time.Duration(delay) * time.Millisecond)
			os.Exit(code)
		}
	case "hog":
		hog()
	case "cure":
		err = os.Remove(sickMarker())
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
		if err == nil {
			fmt.Println("cured")
		}
	default:
		err = fmt.Errorf("unknown command %q (serve, probe, sicken, cure, exit, hog)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "app:", err)
		os.Exit(2)
	}
}

func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	ignoreTerm := fs.Bool("ignore-sigterm", os.Getenv("APP_IGNORE_SIGTERM") == "1", "keep running on SIGTERM")
	failAfter := fs.Int("fail-after", envInt("APP_FAIL_AFTER"), "probe fails this many seconds after start (0 = never)")
	slowStop := fs.Int("slow-stop", envInt("APP_SLOW_STOP"), "seconds to take to exit after SIGTERM")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(stateDir(), 0o755); err != nil {
		return err
	}
	// A restart starts healthy.
	if err := os.Remove(sickMarker()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// The probe is another process: it reads the start time and fail-after from here.
	started := fmt.Sprintf("%d %d\n", time.Now().Unix(), *failAfter)
	if err := os.WriteFile(startedMarker(), []byte(started), 0o644); err != nil {
		return err
	}
	fmt.Printf("app: serving (pid %d, fail-after %ds, ignore-sigterm %v, slow-stop %ds)\n", os.Getpid(), *failAfter, *ignoreTerm, *slowStop)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	for sig := range sigs {
		if sig == syscall.SIGTERM && *ignoreTerm {
			fmt.Println("app: ignoring SIGTERM")
			continue
		}
		fmt.Printf("app: %v, stopping in %ds\n", sig, *slowStop)
		time.Sleep(time.Duration(*slowStop) * time.Second)
		return nil
	}
	return nil
}

// probe decides health from the marker files.
func probe(now time.Time) (bool, string) {
	if b, err := os.ReadFile(sickMarker()); err == nil {
		return false, "sick: " + firstLine(string(b))
	}
	b, err := os.ReadFile(startedMarker())
	if err != nil {
		return false, "not serving: " + err.Error()
	}
	var startUnix int64
	var failAfter int
	if _, err := fmt.Sscanf(string(b), "%d %d", &startUnix, &failAfter); err != nil {
		return false, "bad start marker: " + err.Error()
	}
	up := now.Sub(time.Unix(startUnix, 0))
	if failAfter > 0 && up >= time.Duration(failAfter)*time.Second {
		return false, fmt.Sprintf("failing: up %ds, told to fail after %ds", int(up.Seconds()), failAfter)
	}
	return true, fmt.Sprintf("ok: up %ds", int(up.Seconds()))
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

// hog allocates 1 MiB at a time, writing every page so the memory is really
// used, and keeps it: under a memory limit the OOM killer ends it.
func hog() {
	var kept [][]byte
	for i := 1; ; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i)
		}
		kept = append(kept, b)
		if i%8 == 0 {
			fmt.Printf("app: holding %d MiB\n", len(kept))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
