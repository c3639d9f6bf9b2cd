package xapi

// reasonExpired is the gap reason only this collector reports; the others
// are httpsrc's.
const reasonExpired = "checkpoint_expired"
