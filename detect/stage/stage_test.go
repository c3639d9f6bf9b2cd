package stage_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/detect"
	"github.com/vigie-project/vigie/detect/stage"
	"github.com/vigie-project/vigie/mention"
)

func publishScored(t testing.TB, b *bus.Bus, ms []*mention.Mention) {
	t.Helper()
	ctx := context.Background()
	p := b.NewPublisher(0)
	for _, m := range ms {
		data, err := mention.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range m.Watches {
			if err := p.PublishMsg(ctx, bus.ScoredMsg(w, m.ID, data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func crisisEvents(t *testing.T, b *bus.Bus) []detect.Event {
	t.Helper()
	ctx := context.Background()
	c, err := b.JS.OrderedConsumer(ctx, bus.StreamEvents, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"vigie.event.crisis.>"}})
	if err != nil {
		t.Fatal(err)
	}
	var out []detect.Event
	for {
		msgs, err := c.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range msgs.Messages() {
			n++
			var ev detect.Event
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				t.Fatal(err)
			}
			out = append(out, ev)
		}
		if n == 0 {
			return out
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	bustest.WaitFor(t, 3*time.Minute, what, cond)
}

func run(t testing.TB, b *bus.Bus, now time.Time) (stop func()) {
	t.Helper()
	return runWith(t, b, now, nil)
}

// runWith is run with the stage's metrics registered on reg.
func runWith(t testing.TB, b *bus.Bus, now time.Time, reg prometheus.Registerer) (stop func()) {
	t.Helper()
	st, err := stage.New(b, nil, stage.Config{SnapshotInterval: 200 * time.Millisecond},
		[]string{"airfrance", "lufthansa", "easyjet"},
		stage.Options{Log: bustest.Logger(t), Now: func() time.Time { return now }, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = st.Run(ctx) }()
	return func() { cancel(); <-done }
}

// The detect stage on a real JetStream: the demo crisis opens once; a
// restart in the middle of it neither forgets it nor opens it again.
func TestStageOpensOnceAcrossRestart(t *testing.T) {
	ms, onset, end := demoMentions(t)
	b := bustest.New(t)
	cut := 0
	for cut < len(ms) && ms[cut].CreatedAt.Before(onset.Add(30*time.Minute)) {
		cut++
	}
	publishScored(t, b, ms[:cut])
	stop := run(t, b, end)
	pending := func() uint64 {
		n, err := b.Pending(context.Background(), bus.StreamScored, bus.ConsumerDetect)
		if err != nil {
			return 1
		}
		return n
	}
	waitFor(t, "the first half consumed and acknowledged", func() bool { return pending() == 0 })
	first := crisisEvents(t, b)
	if len(first) == 0 || first[0].Status != "open" || first[0].Watch != "airfrance" {
		t.Fatalf("no airfrance crisis open 30 minutes into the crisis: %+v", first)
	}
	stop()

	publishScored(t, b, ms[cut:])
	stop = run(t, b, end)
	waitFor(t, "the second half consumed", func() bool { return pending() == 0 })
	stop()

	opens := map[string]int{}
	var updates int
	for _, ev := range crisisEvents(t, b) {
		if ev.Status == "open" {
			opens[ev.ID]++
		}
		if ev.ID == first[0].ID && ev.Status == "update" {
			updates++
		}
	}
	if opens[first[0].ID] != 1 {
		t.Fatalf("crisis %s opened %d times across the restart", first[0].ID, opens[first[0].ID])
	}
	if updates == 0 {
		t.Fatalf("crisis %s forgotten after the restart: no update", first[0].ID)
	}
}

func TestPartition(t *testing.T) {
	owned := map[int][]string{}
	for _, w := range []string{"airfrance", "lufthansa", "easyjet", "klm", "sncf", "orange"} {
		n := 0
		for i := 0; i < 3; i++ {
			if stage.Owns(w, i, 3) {
				owned[i] = append(owned[i], w)
				n++
			}
		}
		if n != 1 {
			t.Fatalf("watch %s owned by %d partitions", w, n)
		}
	}
	for _, bad := range []string{"3/3", "1", "a/b", "-1/2"} {
		c := stage.Config{Partition: bad}
		c.SetDefaults()
		if err := c.Validate(); err == nil {
			t.Errorf("partition %q accepted", bad)
		}
	}
}
