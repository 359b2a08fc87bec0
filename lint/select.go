package lint

import (
	"fmt"
	"sort"
	"strings"
)

// SelectRules applies --only, --disable and the config's on/off switches to
// the registry. Unknown ids are an error: a typo must not silently lint less.
func SelectRules(all []Rule, only, disable []string, cfg *Config) ([]Rule, error) {
	known := KnownIDs(all)
	check := func(flag string, ids []string) (map[string]bool, error) {
		set := map[string]bool{}
		for _, id := range ids {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			if !known[id] {
				return nil, fmt.Errorf("%s: unknown rule %q (see docker heal rules)", flag, id)
			}
			set[id] = true
		}
		return set, nil
	}
	onlySet, err := check("--only", only)
	if err != nil {
		return nil, err
	}
	offSet, err := check("--disable", disable)
	if err != nil {
		return nil, err
	}
	var out []Rule
	for _, r := range all {
		switch {
		// A file that cannot be parsed is always reported unless invalid-file is
		// turned off by name: --only must not let a broken file pass a gate.
		case len(onlySet) > 0 && !onlySet[r.ID] && r.ID != InvalidFileRule:
		case offSet[r.ID]:
		case cfg.Disabled(r.ID) && !onlySet[r.ID]:
		default:
			out = append(out, r)
		}
	}
	return out, nil
}

// KnownIDs is the set of rule ids in a registry.
func KnownIDs(all []Rule) map[string]bool {
	ids := make(map[string]bool, len(all))
	for _, r := range all {
		ids[r.ID] = true
	}
	return ids
}

// SplitList splits repeated, comma-separated flag values.
func SplitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}
