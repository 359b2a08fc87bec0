package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
)

type resetOptions struct {
	stateFile   string
	lockTimeout time.Duration
	configFile  string
}

func newResetCommand(dockerCli command.Cli) *cobra.Command {
	var opts resetOptions
	cmd := &cobra.Command{
		Use:   "reset [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Close the circuit and clear the backoff of containers, so docker heal once may restart them again",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("reset needs the name or id of at least one container, e.g. docker heal reset web")
			}
			return nil
		},
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := hostHeal(cmd.Flags(), opts.configFile); err != nil {
				return err
			}
			return runReset(cmd.Context(), dockerCli.Out(), dockerCli.Err(), args, opts, time.Now())
		},
	}
	cmd.Flags().StringVar(&opts.stateFile, "state-file", "", "State file of docker heal once (same default)")
	cmd.Flags().DurationVar(&opts.lockTimeout, "lock-timeout", 30*time.Second, "Wait this long for a running docker heal once to finish")
	cmd.Flags().StringVar(&opts.configFile, "config", "", "docker heal once's config file, for its state-file (default: once's default)")
	return cmd
}

func runReset(ctx context.Context, out, errOut io.Writer, names []string, opts resetOptions, now time.Time) error {
	path := opts.stateFile
	if path == "" {
		var err error
		if path, err = store.DefaultStatePath(); err != nil {
			return withCode(ExitError, "%v", err)
		}
	}
	var (
		reset, unknown []string
		matchErr       error
	)
	err := withStateLocked(ctx, errOut, path, opts.lockTimeout, now, func(st *heal.State) {
		reset, unknown, matchErr = st.Reset(names)
	})
	if err != nil {
		return err
	}
	if matchErr != nil {
		return usageError("%v (nothing reset)", matchErr)
	}
	for _, name := range reset {
		fmt.Fprintf(out, "%s: circuit closed, backoff and restart history cleared\n", name)
	}
	if len(unknown) > 0 {
		return withCode(ExitFindings, "no docker heal state for %s in %s (nothing to reset; names are as docker heal once saw them)", strings.Join(unknown, ", "), path)
	}
	return nil
}

// withStateLocked takes the lock, loads the state, changes it and saves it.
func withStateLocked(ctx context.Context, errOut io.Writer, statePath string, lockTimeout time.Duration, now time.Time, change func(*heal.State)) error {
	lock, err := store.LockRounds(ctx, statePath, lockTimeout)
	if errors.Is(err, store.ErrLocked) {
		return withCode(ExitError, "%v; try again, or pass --lock-timeout 2m", err)
	}
	if err != nil {
		return withCode(ExitError, "%v", err)
	}
	defer lock.Release()
	log := slog.New(slog.NewTextHandler(errOut, nil))
	st, err := store.LoadState(statePath, now, log.Warn)
	if err != nil {
		return withCode(ExitError, "%v", err)
	}
	change(st)
	if err := store.SaveState(statePath, st, now); err != nil {
		return withCode(ExitError, "%v", err)
	}
	return nil
}
