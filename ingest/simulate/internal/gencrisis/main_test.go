package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCrisisFileUpToDate fails when the simulator changed but the recorded
// demo file was not regenerated.
func TestCrisisFileUpToDate(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "deploy", "demo", "crisis.jsonl")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := write(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("%s is stale (%d bytes, the generator gives %d): regenerate it with\n"+
			"\tgo run ./ingest/simulate/internal/gencrisis > deploy/demo/crisis.jsonl", path, len(want), got.Len())
	}
	if n := bytes.Count(want, []byte("\n")); n < 3000 || n > 6000 {
		t.Errorf("%d mentions, want 3,000-6,000", n)
	}
}
