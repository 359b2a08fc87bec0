package commands

import (
	"github.com/spf13/pflag"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/config"
)

// mergeConfig is the one flags-over-config merge: every flag the user did
// not set takes the value the config file gives its key in section ("" for
// the top level, "heal"); flags win over the file, the file over the
// defaults. A value the flag rejects is a usage error at the file's line.
func mergeConfig(flags *pflag.FlagSet, file *config.File, section string) error {
	if file == nil {
		return nil
	}
	for _, v := range file.FlagValues(section) {
		flag := flags.Lookup(v.Flag)
		if flag == nil || flag.Changed {
			continue
		}
		var err error
		if list, ok := flag.Value.(pflag.SliceValue); ok {
			err = list.Replace(v.Values)
		} else if len(v.Values) > 0 {
			err = flag.Value.Set(v.Values[0])
		}
		if err != nil {
			return usageError("config %s: %s: %v", v.At, v.Key, err)
		}
	}
	return nil
}

// hostConfig loads the config of a host command: --config, else the
// system or user file when present (see config.HostPath).
func hostConfig(explicit string) (*config.File, error) {
	file, err := config.LoadHost(explicit)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return file, nil
}

// hostHeal is what every host command does first: load the host config,
// merge its heal: section under the flags, and return the policy the file
// gives over the defaults (once, status and reset then agree).
func hostHeal(flags *pflag.FlagSet, explicit string) (heal.Policy, error) {
	file, err := hostConfig(explicit)
	if err != nil {
		return heal.Policy{}, err
	}
	if err := mergeConfig(flags, file, "heal"); err != nil {
		return heal.Policy{}, err
	}
	pol, err := file.Policy()
	if err != nil {
		return heal.Policy{}, usageError("%v", err)
	}
	return pol, nil
}
