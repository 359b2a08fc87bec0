package heal

import (
	"fmt"
	"time"
)

// HealColumn is the HEAL column of docker heal status: whether docker heal
// once would act on c, from the same policy and state. "on" or "off", or why
// it would not act right now ("backoff until 15:04", "circuit open"), with the
// restarts spent in the window. st may be nil (no state file yet).
func HealColumn(c Container, st *State, pol Policy, now time.Time) string {
	if why := exclusion(c); why != "" && (IsSwarmTask(c) || IsKubernetes(c)) {
		return "off"
	}
	cp := pol.PolicyFor(c)
	if cp.Problem != "" {
		return "off (bad label)"
	}
	if !cp.Enabled {
		return "off"
	}
	e := st.Entry(c.ID)
	n := e.RestartsIn(pol.Window, now)
	budget := ""
	if n > 0 {
		budget = fmt.Sprintf(" (%d/%d restarts in %s)", n, cp.MaxRestarts, shortDuration(pol.Window))
	}
	since, pending := e.pendingSince()
	switch {
	case e != nil && e.CircuitOpen:
		return "circuit open" + budget
	case pending:
		return "pending since " + since.In(now.Location()).Format("15:04") + budget
	case e != nil && now.Before(e.BackoffUntil):
		return "backoff until " + e.BackoffUntil.In(now.Location()).Format("15:04") + budget
	case cp.Action == ActionNotify:
		return "notify" + budget
	case cp.Action == ActionStop:
		return "on: stop" + budget
	}
	return "on" + budget
}
