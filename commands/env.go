package commands

import (
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// EnvPrefix starts the environment variable of every flag:
// --min-unhealthy is DOCKER_HEAL_MIN_UNHEALTHY.
const EnvPrefix = "DOCKER_HEAL_"

// envName is the variable that sets the flag name.
func envName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag the command line left alone from its
// DOCKER_HEAL_<FLAG> variable, then from autoheal's variables, so an image
// is configured by its environment: flags win over the environment, the
// environment over the config file. Repeatable flags take values separated
// by spaces or newlines.
func applyEnv(flags *pflag.FlagSet, lookup func(string) (string, bool)) error {
	return applyEnvFrom(flags, lookup, true)
}

// applyFlagEnv is applyEnv without autoheal's variables, for lint and audit:
// DOCKER_HEAL_FAIL_ON=none docker heal lint is --fail-on none.
func applyFlagEnv(flags *pflag.FlagSet, lookup func(string) (string, bool)) error {
	return applyEnvFrom(flags, lookup, false)
}

func applyEnvFrom(flags *pflag.FlagSet, lookup func(string) (string, bool), autoheal bool) error {
	var err error
	set := func(name, value, from string) {
		if err != nil {
			return
		}
		f := flags.Lookup(name)
		if f == nil || f.Changed {
			return
		}
		values := []string{value}
		if strings.HasSuffix(f.Value.Type(), "Array") || strings.HasSuffix(f.Value.Type(), "Slice") {
			values = strings.Fields(value)
		}
		for _, v := range values {
			if e := flags.Set(name, v); e != nil {
				err = usageError("%s=%q: %v", from, v, e)
				return
			}
		}
	}
	flags.VisitAll(func(f *pflag.Flag) {
		if notFromEnv[f.Name] {
			return
		}
		if v, ok := lookup(envName(f.Name)); ok && v != "" {
			set(f.Name, v, envName(f.Name))
		}
	})
	if err != nil {
		return err
	}
	if !autoheal {
		return nil
	}
	if e := applyAutohealEnv(flags, lookup, set); e != nil {
		return e
	}
	return err
}

// notFromEnv are flags that change what the command is, not how it runs: an
// image's environment must not turn every `watch` into a health probe.
var notFromEnv = map[string]bool{"help": true, "healthcheck": true}

// applyAutohealEnv maps willfarrell/autoheal's variables, for a drop-in
// replacement of its container.
func applyAutohealEnv(flags *pflag.FlagSet, lookup func(string) (string, bool), set func(name, value, from string)) error {
	if v, ok := lookup("AUTOHEAL_CONTAINER_LABEL"); ok && v != "" {
		switch {
		case v == "all":
			set("all", "true", "AUTOHEAL_CONTAINER_LABEL")
		case v != "autoheal": // autoheal=true is honoured without being told
			if f := flags.Lookup("filter"); f != nil && !f.Changed {
				set("all", "true", "AUTOHEAL_CONTAINER_LABEL")
				set("filter", "label="+v+"=true", "AUTOHEAL_CONTAINER_LABEL")
			}
		}
	}
	seconds := func(env, flag string) error {
		v, ok := lookup(env)
		if !ok || v == "" {
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return usageError("%s=%q: a whole number of seconds", env, v)
		}
		set(flag, strconv.Itoa(n)+"s", env)
		return nil
	}
	if err := seconds("AUTOHEAL_DEFAULT_STOP_TIMEOUT", "stop-timeout"); err != nil {
		return err
	}
	if err := seconds("AUTOHEAL_START_PERIOD", "start-delay"); err != nil {
		return err
	}
	if v, ok := lookup("WEBHOOK_URL"); ok && v != "" {
		// autoheal posts {"<WEBHOOK_JSON_KEY>": message}; our JSON carries the
		// message in text. Any other key would reach the hook without the
		// message it looks for (Discord's content), so say so instead.
		if key, ok := lookup("WEBHOOK_JSON_KEY"); ok && key != "" && key != "text" {
			return usageError("WEBHOOK_JSON_KEY=%s: docker heal's webhook JSON carries the message in \"text\"; for Discord and other services use DOCKER_HEAL_NOTIFY with a shoutrrr URL (discord://TOKEN@WEBHOOK_ID) instead of WEBHOOK_URL", key)
		}
		set("webhook", v, "WEBHOOK_URL")
	}
	return nil
}
