package heal

import (
	"fmt"
	"sort"
	"strings"
)

// MinIDPrefix is the shortest id prefix that names a container.
const MinIDPrefix = 4

// AmbiguousError is an id prefix that fits more than one container.
type AmbiguousError struct {
	Arg        string
	Candidates []string // "name (id12)", sorted
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("container ID prefix %s matches %d containers: %s; give more of it, or the name",
		e.Arg, len(e.Candidates), strings.Join(e.Candidates, ", "))
}

// Match finds the one item arg names, the way status, audit and reset all
// do: a name (with or without the leading slash) or a full id, else an id
// prefix of at least MinIDPrefix characters that fits exactly one. It
// returns the index, -1 with a nil error when nothing matches, or an
// *AmbiguousError naming the candidates.
func Match[T any](items []T, arg string, key func(T) (id, name string)) (int, error) {
	arg = strings.TrimPrefix(arg, "/")
	if arg == "" {
		return -1, nil
	}
	for i, it := range items {
		if id, name := key(it); name == arg || id == arg {
			return i, nil
		}
	}
	if len(arg) < MinIDPrefix {
		return -1, nil
	}
	found := -1
	var candidates []string
	for i, it := range items {
		if id, name := key(it); strings.HasPrefix(id, arg) {
			found = i
			candidates = append(candidates, fmt.Sprintf("%s (%s)", name, short(id)))
		}
	}
	if len(candidates) > 1 {
		sort.Strings(candidates)
		return -1, &AmbiguousError{Arg: arg, Candidates: candidates}
	}
	return found, nil
}

// ContainerKey is Match's key for containers.
func ContainerKey(c Container) (id, name string) { return c.ID, c.Name }
