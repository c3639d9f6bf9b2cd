package detect

import (
	"bytes"
	"testing"
	"time"
)

// A clone holds the same state as its original, and stepping it (through
// a crisis that touches every part of the state) leaves the original
// exactly as it was.
func TestCloneIsIndependent(t *testing.T) {
	d, err := NewDetector("acme", Config{})
	if err != nil {
		t.Fatal(err)
	}
	history := midBrand.series(1, monday, 2*minutesPerWeek, nil)
	d.Seed(history)
	start := history[len(history)-1].Start.Add(time.Minute)
	day := midBrand.series(2, start, 6*60, crisisBoost(start.Add(2*time.Hour), time.Hour))
	for _, m := range day[:3*60] { // into the crisis: a crisis, terms, posts in the state
		d.Step(m)
	}
	before, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c := d.clone()
	got, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, got) {
		t.Fatal("the clone's state differs from the original's")
	}
	var opened bool
	for _, m := range day[3*60:] {
		if _, ev := c.Step(m); ev != nil {
			opened = true
		}
	}
	if !opened {
		t.Log("no event on the clone's steps") // the state still moved: compared below
	}
	after, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("stepping the clone changed the original")
	}
	moved, _ := c.Marshal()
	if bytes.Equal(before, moved) {
		t.Fatal("the clone did not move: the test proves nothing")
	}
	// The original then steps as a fresh copy of itself would.
	ref := d.clone()
	for _, m := range day[3*60:] {
		v1, e1 := d.Step(m)
		v2, e2 := ref.Step(m)
		if v1.Score != v2.Score || (e1 == nil) != (e2 == nil) {
			t.Fatalf("%s: original and clone diverge: %v/%v", m.Start, v1.Score, v2.Score)
		}
	}
}
