package commands

import (
	"errors"
	"fmt"
	"os"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/context/docker"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/docker-heal/docker-heal/internal/dockerengine"
)

// defaultEndpoint is where the client connects when nothing says otherwise.
const defaultEndpoint = "unix:///var/run/docker.sock"

// engineFor is the engine the docker CLI's flags, environment and context
// point at. dockerCli.Client() prints "Failed to initialize" and exits 1
// when that configuration is broken (a malformed DOCKER_HOST or --host, an
// unknown context, TLS files missing); engineFor checks it first, the way
// the CLI resolves it, and returns one line naming the endpoint, exit 2.
func engineFor(cmd *cobra.Command, dockerCli command.Cli) (*dockerengine.Engine, error) {
	if err := checkEndpoint(cmd, dockerCli); err != nil {
		return nil, err
	}
	return dockerengine.New(dockerCli.Client()), nil
}

func checkEndpoint(cmd *cobra.Command, dockerCli command.Cli) error {
	name := dockerCli.CurrentContext()
	where := endpointName(cmd, name)
	fail := func(err error) error {
		reason, hint := endpointProblem(name, err)
		// The endpoint may carry a password (ssh://user:PW@host): never print it.
		return withCode(ExitError, "cannot use the Docker engine at %s: %s (%s)",
			dockerengine.Redact(where), dockerengine.Redact(reason), hint)
	}
	store := dockerCli.ContextStore()
	if store == nil {
		return fail(errors.New("the docker CLI was not initialized"))
	}
	meta, err := store.GetMetadata(name)
	if err != nil {
		return fail(err)
	}
	epMeta, err := docker.EndpointFromContext(meta)
	if err != nil {
		return fail(err)
	}
	ep, err := docker.WithTLSData(store, name, epMeta)
	if err != nil {
		return fail(err)
	}
	if name != command.DefaultContextName && ep.Host != "" {
		where = fmt.Sprintf("%s (context %q)", ep.Host, name)
	}
	opts, err := ep.ClientOpts()
	if err != nil {
		return fail(err)
	}
	if err := dockerengine.CheckClientOptions(opts...); err != nil {
		return fail(err)
	}
	return nil
}

// endpointName says which endpoint the user asked for: a context by name,
// else --host, else DOCKER_HOST, else the default socket.
func endpointName(cmd *cobra.Command, contextName string) string {
	if contextName != "" && contextName != command.DefaultContextName {
		return fmt.Sprintf("context %q", contextName)
	}
	if cmd != nil {
		root := cmd.Root()
		for _, fs := range []*pflag.FlagSet{root.PersistentFlags(), root.Flags()} {
			if f := fs.Lookup("host"); f != nil && f.Changed {
				if v := strings.Trim(f.Value.String(), "[]"); v != "" {
					return v
				}
			}
		}
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return defaultEndpoint
}

// endpointProblem turns the CLI's resolution error into a short reason and
// what to do about it.
func endpointProblem(contextName string, err error) (reason, hint string) {
	msg := oneLine(err.Error())
	msg = strings.TrimPrefix(msg, "unable to resolve docker endpoint: ")
	switch {
	case contextName != command.DefaultContextName && cerrdefs.IsNotFound(err):
		return "no such context", "docker context ls lists them; fix --context, DOCKER_CONTEXT or `docker context use`"
	case errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission):
		return "TLS files: " + msg, "fix DOCKER_CERT_PATH or --tlscacert, --tlscert, --tlskey"
	case contextName != command.DefaultContextName:
		return msg, "fix the context with `docker context inspect " + contextName + "`, or pick another"
	}
	return msg, "fix DOCKER_HOST or --host, e.g. unix:///var/run/docker.sock or tcp://host:2376"
}
