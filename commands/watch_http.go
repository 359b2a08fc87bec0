package commands

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// runHealthcheck asks the local watch's /healthz; for the image's
// HEALTHCHECK, where there is no shell and no curl.
func runHealthcheck(ctx context.Context, errOut io.Writer, listen string) error {
	if listen == "" {
		return usageError("--healthcheck needs the address watch serves: --listen or DOCKER_HEAL_LISTEN")
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return usageError("--listen %q: %v", listen, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return usageError("%v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(errOut, "docker heal watch is not answering on %s: %v\n", listen, err)
		return silentExit(ExitFindings)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprint(errOut, strings.TrimSpace(string(body))+"\n")
	if resp.StatusCode != http.StatusOK {
		return silentExit(ExitFindings)
	}
	return nil
}
