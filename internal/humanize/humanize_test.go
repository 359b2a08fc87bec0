package humanize

import (
	"testing"
	"time"
)

func TestHumanize(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Minute: "10m", 90 * time.Minute: "1h30m", 2 * time.Hour: "2h", 90 * time.Second: "1m30s",
		500 * time.Millisecond: "500ms", 45 * time.Second: "45s", 0: "0s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 45 * time.Second: "45s", 3 * time.Minute: "3m", 5 * time.Hour: "5h", 47 * time.Hour: "47h", 72 * time.Hour: "3d",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
	if Plural(1, "restart") != "1 restart" || Plural(0, "restart") != "0 restarts" || Plural(3, "container") != "3 containers" {
		t.Error("Plural")
	}
}
