package commands

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// interruptible returns a context that is cancelled by the first SIGTERM or
// SIGINT: a round then takes no new work, lets the engine calls in flight
// finish within their bound, and writes its state and records. A second
// signal exits at once (128+signal, as a shell reports it); the state is
// still consistent, as every attempt was written ahead of its engine call.
// exit is os.Exit but in tests; stop ends the handling.
func interruptible(ctx context.Context, errOut io.Writer, exit func(code int)) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			io.WriteString(errOut, "docker heal: "+sig.String()+": finishing the restarts in flight, then exiting (send it again to exit at once)\n")
			cancel(errInterrupted{sig})
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			io.WriteString(errOut, "docker heal: "+sig.String()+" again: exiting at once\n")
			exit(128 + int(sig.(syscall.Signal)))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// errInterrupted is the cause of a round's context cancelled by a signal.
type errInterrupted struct{ sig os.Signal }

func (e errInterrupted) Error() string { return "interrupted by " + e.sig.String() }
