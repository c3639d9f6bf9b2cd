// Command vigie is the one binary of vigie: e-reputation listening and
// crisis alerting. main parses flags and turns signals into cancellation;
// package app does the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		if !errors.Is(err, errSilent) {
			fmt.Fprintln(os.Stderr, "vigie:", err)
		}
		os.Exit(1)
	}
}

// errSilent ends with a non-zero status after the command printed its own error.
var errSilent = errors.New("")
