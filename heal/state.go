package heal

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// StateVersion is the schema version written in every state file.
const StateVersion = 1

// Restart results as kept in state and in docker_heal_restarts_total.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
	// ResultPending marks an attempt written ahead of its engine call whose
	// outcome is not known yet: the process died during the call, or the
	// round ended (--round-timeout) with the call in flight. It counts
	// against the budget; a later round reads its outcome from the engine.
	ResultPending = "pending"
	// ResultSkipped is a step left alone when it was time to act: the
	// container was stopped, paused or removed since the round observed it
	// (an operator's doing). Not an attempt, not a failure.
	ResultSkipped = "skipped"
)

// State is what docker heal remembers between runs, keyed by container id.
// heal only reads and changes it; heal/store reads and writes the file.
type State struct {
	Version    int               `json:"version"`
	UpdatedAt  time.Time         `json:"updated_at,omitzero"`
	Containers map[string]*Entry `json:"containers"`
	// Outbox holds the notifications not yet delivered to every target,
	// oldest first: they are retried on the next rounds (see MaxNotifyAttempts).
	Outbox []Pending `json:"outbox,omitempty"`
	// NotificationsTotal counts delivery attempts by result (success,
	// failure, dropped), kept across runs for docker_heal_notifications_total.
	NotificationsTotal map[string]int64 `json:"notifications_total,omitempty"`
	// EngineRestartsTotal counts, by container name, the restarts the
	// engine's restart policy made that docker heal saw (RestartCount rising
	// between rounds); OOMKillsTotal the OOM kills it saw. Kept across runs.
	EngineRestartsTotal map[string]int64 `json:"engine_restarts_total,omitempty"`
	OOMKillsTotal       map[string]int64 `json:"oom_kills_total,omitempty"`
	// Conditions counts the containers in each condition (see
	// NoteConditions): the docker_heal_containers gauge.
	Conditions map[Condition]int `json:"conditions,omitempty"`
	// ContainerConditions is each container's condition when a round last
	// looked at it, by id: what Conditions counts.
	ContainerConditions map[string]Condition `json:"container_conditions,omitempty"`
}

// Entry is the memory of one container.
type Entry struct {
	Name    string `json:"name"` // for humans; the key is the id
	Project string `json:"project,omitempty"`
	Service string `json:"service,omitempty"`
	// FirstSeenUnhealthy starts the current unhealthy episode.
	FirstSeenUnhealthy time.Time `json:"first_seen_unhealthy,omitzero"`
	// HealthySince is when the container was first seen not unhealthy after
	// being tracked; an open circuit closes after a window of it.
	HealthySince    time.Time       `json:"healthy_since,omitzero"`
	Restarts        []RestartRecord `json:"restarts,omitempty"`
	BackoffUntil    time.Time       `json:"backoff_until,omitzero"`
	CircuitOpen     bool            `json:"circuit_open,omitempty"`
	CircuitOpenedAt time.Time       `json:"circuit_opened_at,omitzero"`
	// Notified marks the events of this episode that are handled: delivered,
	// or waiting in the outbox for their next attempt.
	Notified      map[string]bool  `json:"notified,omitempty"`
	RestartsTotal map[string]int64 `json:"restarts_total,omitempty"`
	// Exits are the last exits docker heal saw (the engine keeps only the
	// last one), oldest first, at most MaxExits.
	Exits []ExitRecord `json:"exits,omitempty"`
	// RestartCount is the engine's RestartCount when last seen (at
	// RestartCountAt), to count the engine's restarts between rounds.
	RestartCount   int       `json:"restart_count,omitempty"`
	RestartCountAt time.Time `json:"restart_count_at,omitzero"`
	// LastOOM identifies the last OOM kill seen (see OOMKey).
	LastOOM time.Time `json:"last_oom,omitzero"`
}

// ExitRecord is one exit of a container's process.
type ExitRecord struct {
	Time      time.Time `json:"time"`
	ExitCode  int       `json:"exit_code"`
	OOMKilled bool      `json:"oom_killed,omitempty"`
}

// MaxExits is how many exits an entry keeps.
const MaxExits = 5

// RestartRecord is one restart (or stop) attempt.
type RestartRecord struct {
	Time   time.Time `json:"time"`
	Action Action    `json:"action"`
	Result string    `json:"result"`
	Error  string    `json:"error,omitempty"`
	Cause  string    `json:"cause,omitempty"` // "dependent of web" for dependents
	// Note says what else happened ("an operator stopped it during the
	// restart: stopped again", "outcome read from the engine").
	Note string `json:"note,omitempty"`
}

// beginAttempt records an attempt on c as pending, before the engine call.
// at identifies it (the round's time) for completeAttempt.
func (s *State) beginAttempt(c Container, action Action, cause string, at time.Time) {
	e := s.entryFor(c)
	e.Restarts = append(e.Restarts, RestartRecord{Time: at, Action: action, Result: ResultPending, Cause: cause})
}

// cancelAttempt removes the pending record beginAttempt added (it could not
// be saved, so the call is not made).
func (s *State) cancelAttempt(id string, action Action, cause string, at time.Time) {
	e := s.Containers[id]
	if e == nil {
		return
	}
	for i := len(e.Restarts) - 1; i >= 0; i-- {
		if r := e.Restarts[i]; r.Time.Equal(at) && r.Action == action && r.Cause == cause && r.Result == ResultPending {
			e.Restarts = append(e.Restarts[:i], e.Restarts[i+1:]...)
			return
		}
	}
}

// completeAttempt gives the pending record of an attempt its outcome and
// counts it; it reports false when there is no such record (nothing was
// written ahead). A result of ResultPending leaves it pending.
func (e *Entry) completeAttempt(action Action, cause string, at time.Time, result, errText, note string) bool {
	for i := len(e.Restarts) - 1; i >= 0; i-- {
		r := &e.Restarts[i]
		if r.Time.Equal(at) && r.Action == action && r.Cause == cause && r.Result == ResultPending {
			r.Result, r.Error, r.Note = result, errText, note
			if result != ResultPending {
				e.count(result)
			}
			return true
		}
	}
	return false
}

func (e *Entry) count(result string) {
	if e.RestartsTotal == nil {
		e.RestartsTotal = map[string]int64{}
	}
	e.RestartsTotal[result]++
}

// pendingSince is the time of the oldest attempt whose outcome is unknown.
func (e *Entry) pendingSince() (time.Time, bool) {
	if e == nil {
		return time.Time{}, false
	}
	for _, r := range e.Restarts {
		if r.Result == ResultPending {
			return r.Time, true
		}
	}
	return time.Time{}, false
}

// NewState returns an empty state.
func NewState() *State { return &State{Version: StateVersion, Containers: map[string]*Entry{}} }

// Entry returns the entry for a container, or nil.
func (s *State) Entry(id string) *Entry {
	if s == nil {
		return nil
	}
	return s.Containers[id]
}

// entryFor returns the entry for c, creating it.
func (s *State) entryFor(c Container) *Entry {
	e := s.Containers[c.ID]
	if e == nil {
		e = &Entry{}
		s.Containers[c.ID] = e
	}
	e.Name, e.Project, e.Service = c.Name, c.Project, c.Service
	return e
}

// RestartsIn counts attempts since now-window.
func (e *Entry) RestartsIn(window time.Duration, now time.Time) int {
	if e == nil {
		return 0
	}
	n := 0
	for _, r := range e.Restarts {
		if r.Time.After(now.Add(-window)) && !r.Time.After(now) {
			n++
		}
	}
	return n
}

// Prune drops entries of containers that no longer exist (exists is every
// container the engine knows, stopped ones included) and entries of living
// containers that carry nothing worth remembering.
func (s *State) Prune(exists map[string]bool, pol Policy, now time.Time) (removed []string) {
	for id, e := range s.Containers {
		if !exists[id] {
			removed = append(removed, id)
			delete(s.Containers, id)
			continue
		}
		// Forget attempts older than the window: they no longer count.
		kept := e.Restarts[:0]
		for _, r := range e.Restarts {
			if r.Time.After(now.Add(-pol.Window)) {
				kept = append(kept, r)
			}
		}
		e.Restarts = kept
		// The engine's doings seen within the window are kept: the next
		// restarts it makes are counted from them.
		recentOOM := !e.LastOOM.IsZero() && now.Sub(e.LastOOM) < pol.Window
		recentRestarts := !e.RestartCountAt.IsZero() && now.Sub(e.RestartCountAt) < pol.Window
		if e.FirstSeenUnhealthy.IsZero() && !e.CircuitOpen && len(e.Restarts) == 0 &&
			!e.BackoffUntil.After(now) && len(e.RestartsTotal) == 0 && len(e.Notified) == 0 && !recentOOM && !recentRestarts {
			removed = append(removed, id)
			delete(s.Containers, id)
		}
	}
	sort.Strings(removed)
	return removed
}

// Apply records what was observed and done into the state: first-seen and
// healthy-since times, attempts, backoff, circuits, notifications, counters.
// Entries of containers no longer present are pruned when the snapshot is
// complete, or says which exist (a scoped full round).
func (s *State) Apply(snap Snapshot, plan Plan, pol Policy) {
	now := plan.Now
	stepFor := map[string]*Step{}
	for i := range plan.Steps {
		stepFor[plan.Steps[i].Container.ID] = &plan.Steps[i]
	}
	for _, c := range snap.Containers {
		s.observeEngine(c, pol, now)
		e := s.Containers[c.ID]
		step := stepFor[c.ID]
		if c.Health == HealthUnhealthy {
			if e == nil && (step == nil || (step.Kind == StepSkip && !step.CircuitOpen)) {
				continue // not ours to track: disabled, excluded, or a bad label
			}
			e = s.entryFor(c)
			if e.FirstSeenUnhealthy.IsZero() {
				e.FirstSeenUnhealthy = now
			}
			e.HealthySince = time.Time{}
			continue
		}
		if e == nil || (c.State != "running" && c.State != "") || c.Health == HealthStarting {
			continue
		}
		e.Name = c.Name
		e.FirstSeenUnhealthy = time.Time{}
		delete(e.Notified, EventUnhealthy)
		if e.HealthySince.IsZero() {
			e.HealthySince = now
		}
	}
	// record completes the attempt written ahead of the engine call (or,
	// when none was, records it now).
	record := func(c Container, action Action, result, errText, note, cause string) *Entry {
		e := s.entryFor(c)
		if e.completeAttempt(action, cause, now, result, errText, note) {
			return e
		}
		e.Restarts = append(e.Restarts, RestartRecord{Time: now, Action: action, Result: result, Error: errText, Cause: cause, Note: note})
		if result != ResultPending {
			e.count(result)
		}
		return e
	}
	attempted := func(result string, notAttempted bool) bool {
		return result != "" && result != ResultSkipped && !notAttempted
	}
	notified := func(e *Entry, event string) {
		if e.Notified == nil {
			e.Notified = map[string]bool{}
		}
		e.Notified[event] = true
	}
	for _, step := range plan.Steps {
		switch step.Kind {
		case StepRestart, StepStop:
			if !attempted(step.Result, step.notAttempted) {
				continue
			}
			action := ActionRestart
			if step.Kind == StepStop {
				action = ActionStop
			}
			e := record(step.Container, action, step.Result, step.Error, step.Note, "")
			e.BackoffUntil = now.Add(pol.BackoffAfter(e.RestartsIn(pol.Window, now)))
			for _, d := range step.Dependents {
				if attempted(d.Result, d.notAttempted) {
					record(d.Container, ActionRestart, d.Result, d.Error, d.Note, "dependent of "+step.Container.Name)
				}
			}
		case StepNotify:
			// Handled for this episode once attempted: delivered, or in the
			// outbox for the next rounds. A step never attempted (no round
			// reached delivery) is decided again next round.
			if step.Result != "" {
				notified(s.entryFor(step.Container), EventUnhealthy)
			}
		case StepOpenCircuit:
			e := s.entryFor(step.Container)
			e.CircuitOpen, e.CircuitOpenedAt = true, now
			notified(e, EventCircuitOpened)
		case StepAlert:
			// Told (or queued in the outbox): once per episode, or per kill.
			e := s.entryFor(step.Container)
			if step.Event == EventOOMKilled {
				if step.OOMAt.After(e.LastOOM) {
					e.LastOOM = step.OOMAt
				}
			} else {
				notified(e, step.Event)
			}
		case StepCloseCircuit:
			e := s.entryFor(step.Container)
			e.CircuitOpen, e.CircuitOpenedAt, e.BackoffUntil = false, time.Time{}, time.Time{}
			e.Restarts = nil
			delete(e.Notified, EventCircuitOpened)
		}
	}
	if snap.Complete {
		exists := make(map[string]bool, len(snap.Containers))
		for _, c := range snap.Containers {
			exists[c.ID] = true
		}
		s.Prune(exists, pol, now)
	} else if snap.Exists != nil {
		s.Prune(snap.Exists, pol, now)
	}
}

// observeEngine records what the engine did to c that docker heal did not:
// restarts by its restart policy, exits, OOM kills; and ends a crash-loop
// episode once c is seen out of it. Only inspected containers tell the
// engine's counts.
func (s *State) observeEngine(c Container, pol Policy, now time.Time) {
	d := Diagnose(c, now)
	e := s.Containers[c.ID]
	if e != nil && d.Condition != CondCrashLoop && (c.Inspected || c.State == "running") {
		delete(e.Notified, EventCrashLoop)
	}
	if !c.Inspected {
		return
	}
	if e == nil {
		switch d.Condition {
		case CondCrashLoop, CondOOMKilled, CondRestarting:
			e = s.entryFor(c)
		default:
			return
		}
	}
	if !e.RestartCountAt.IsZero() {
		n := c.RestartCount - e.RestartCount
		if n < 0 {
			n = c.RestartCount // started by hand since: the count began again
		}
		if n > 0 {
			if s.EngineRestartsTotal == nil {
				s.EngineRestartsTotal = map[string]int64{}
			}
			s.EngineRestartsTotal[c.Name] += int64(n)
		}
	}
	e.RestartCount, e.RestartCountAt = c.RestartCount, now
	if n := len(e.Exits); n > 0 && e.Exits[n-1].Time.Equal(c.FinishedAt) && e.Exits[n-1].ExitCode < 0 && c.DiedWith != nil {
		e.Exits[n-1].ExitCode = *c.DiedWith // seen before its die event came
	}
	if !c.FinishedAt.IsZero() && (len(e.Exits) == 0 || !e.Exits[len(e.Exits)-1].Time.Equal(c.FinishedAt)) {
		code := c.ExitCode
		if c.State == "running" || c.State == "paused" {
			// The engine sets the code to 0 at start: only the OOM kill's is known.
			code = -1
			switch {
			case c.DiedWith != nil:
				code = *c.DiedWith
			case c.OOMKilled:
				code = 137
			}
		}
		e.Exits = append(e.Exits, ExitRecord{Time: c.FinishedAt, ExitCode: code, OOMKilled: c.OOMKilled})
		if len(e.Exits) > MaxExits {
			e.Exits = e.Exits[len(e.Exits)-MaxExits:]
		}
	}
	if at := OOMKey(c); c.OOMKilled && at.After(e.LastOOM) {
		if now.Sub(at) < pol.Window && !oomSeen(c, e) {
			if s.OOMKillsTotal == nil {
				s.OOMKillsTotal = map[string]int64{}
			}
			s.OOMKillsTotal[c.Name]++
		}
		e.LastOOM = at
	}
}

// NoteConditions records the conditions a round saw and recounts
// Conditions. A full round (only nil) replaces them all. A round for some
// containers (only) updates those; the others keep their last condition,
// and one no longer listed (the list holds every container) is dropped.
// Before any full round there is nothing to count from: Conditions waits.
func (s *State) NoteConditions(cs []Container, only map[string]bool, now time.Time) {
	if only != nil && s.ContainerConditions == nil {
		return
	}
	if only == nil {
		s.ContainerConditions = make(map[string]Condition, len(cs))
	}
	listed := make(map[string]bool, len(cs))
	for _, c := range cs {
		listed[c.ID] = true
		if only == nil || only[c.ID] {
			s.ContainerConditions[c.ID] = Diagnose(c, now).Condition
		}
	}
	maps.DeleteFunc(s.ContainerConditions, func(id string, _ Condition) bool { return !listed[id] })
	out := make(map[Condition]int, len(Conditions))
	for _, c := range Conditions {
		out[c] = 0
	}
	for _, c := range s.ContainerConditions {
		out[c]++
	}
	s.Conditions = out
}

// CountConditions diagnoses every container of a complete snapshot.
func CountConditions(cs []Container, now time.Time) map[Condition]int {
	out := make(map[Condition]int, len(Conditions))
	for _, c := range Conditions {
		out[c] = 0
	}
	for _, c := range cs {
		out[Diagnose(c, now).Condition]++
	}
	return out
}

// Reset clears the circuit, backoff and attempt history of the containers
// named (see Match: name, id, or unique id prefix). It returns the names it
// reset and the arguments that matched nothing; an ambiguous prefix is an
// *AmbiguousError and nothing is reset.
func (s *State) Reset(args []string) (reset, unknown []string, err error) {
	ids := slices.Sorted(maps.Keys(s.Containers))
	key := func(id string) (string, string) { return id, s.Containers[id].Name }
	var found []string
	for _, arg := range args {
		i, err := Match(ids, arg, key)
		if err != nil {
			return nil, nil, err
		}
		if i < 0 {
			unknown = append(unknown, strings.TrimPrefix(arg, "/"))
			continue
		}
		found = append(found, ids[i])
	}
	for _, id := range found {
		e := s.Containers[id]
		e.CircuitOpen, e.CircuitOpenedAt, e.BackoffUntil = false, time.Time{}, time.Time{}
		e.Restarts = nil
		e.Notified = nil
		if !slices.Contains(reset, e.Name) {
			reset = append(reset, e.Name)
		}
	}
	sort.Strings(reset)
	return reset, unknown, nil
}

// pending returns the outbox entry of the container's event, or nil.
func (s *State) pending(id, event string) *Pending {
	if s == nil {
		return nil
	}
	for i := range s.Outbox {
		if p := &s.Outbox[i]; p.Event.ID == id && p.Event.Event == event {
			return p
		}
	}
	return nil
}
