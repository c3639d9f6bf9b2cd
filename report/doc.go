// Package report will build the weekly reputation report for management:
// volume, sentiment index, share of voice, reach, ambassadors, charter
// incidents and crises of the week against the week before, rendered as
// HTML, PDF and Markdown in French or English, scheduled and mailed.
// Nothing is implemented yet: the data it reads is in the mentions,
// mention_minutes and crises tables.
package report
