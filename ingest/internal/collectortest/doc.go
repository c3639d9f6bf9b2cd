// Package collectortest holds what every collector's tests need: a real
// embedded JetStream with the MENTIONS stream read back, KV checkpoints, a
// gap recorder, fake sleep/clock, and a scripted fake of the platform's API.
package collectortest
