package heal

import (
	"testing"
	"time"
)

// The defaults a policy from flags and a file may leave unset are filled in
// one place.
func TestPolicyWithDefaults(t *testing.T) {
	for _, tc := range []struct {
		name             string
		in               Policy
		backoffMax, marg time.Duration
	}{
		{"unset", Policy{}, DefaultPolicy().BackoffMax, DefaultRestartMargin},
		{"backoff over the default cap", Policy{Backoff: time.Hour}, time.Hour, DefaultRestartMargin},
		{"set ones kept", Policy{BackoffMax: time.Minute, RestartMargin: time.Second}, time.Minute, time.Second},
	} {
		got := tc.in.WithDefaults()
		if got.BackoffMax != tc.backoffMax || got.RestartMargin != tc.marg {
			t.Errorf("%s: backoff-max %s margin %s, want %s %s", tc.name, got.BackoffMax, got.RestartMargin, tc.backoffMax, tc.marg)
		}
	}
	// The Executor gives a restart call the default margin when the policy
	// has none.
	if m := (&Executor{}).margin(); m != DefaultRestartMargin {
		t.Errorf("executor margin %s", m)
	}
	if d := DefaultRoundTimeout(Plan{}, Policy{}); d != DefaultRestartMargin {
		t.Errorf("round timeout of an empty plan: %s, want the margin", d)
	}
}
