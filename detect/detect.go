// Package detect spots a bad buzz while it is still rising: per watch and
// per minute it tests the observed volume, negativity, reach and new terms
// against a calendar-aware baseline and turns the verdicts into one crisis
// event thread (open, update, resolved). It also backtests itself on CSV series.
package detect

import "time"

// Event statuses.
const (
	StatusOpen     = "open"
	StatusUpdate   = "update"
	StatusResolved = "resolved"
)

// Signal names.
const (
	SignalVolume        = "volume"
	SignalNegativeShare = "negative_share"
	SignalReach         = "reach"
	SignalNewTerm       = "new_term"
)

// Minute is what one watch saw during one step (a minute for watches), in
// event time.
type Minute struct {
	Start     time.Time
	Volume    float64        // mentions, or the value of a CSV series
	Negatives float64        // mentions labelled negative
	Reach     float64        // sum of the mentions' potential audience
	Authors   float64        // distinct authors
	Employees float64        // mentions by employees
	Terms     map[string]int // word -> number of mentions that use it
	Hashtags  map[string]int // hashtag (lower case, no '#') -> number of mentions
	Posts     []Post         // a few candidates: widest reach, most negative
	Spreaders []Spreader     // authors with the widest reach this minute
}

// Post is a sample mention kept to explain an event.
type Post struct {
	ID        string    `json:"id"`
	Author    string    `json:"author"`
	Followers int64     `json:"followers"`
	Reach     int64     `json:"reach"`
	Score     float64   `json:"score"` // sentiment in [-1, 1]
	Negative  bool      `json:"negative,omitempty"`
	Employee  bool      `json:"employee,omitempty"`
	Text      string    `json:"text"`
	URL       string    `json:"url,omitempty"`
	At        time.Time `json:"at"`
}

// Spreader is an author who carries a crisis far.
type Spreader struct {
	Handle    string `json:"handle"`
	Followers int64  `json:"followers"`
	Posts     int    `json:"posts"`
	Reach     int64  `json:"reach"` // sum of the reach of their posts
}

// TermCount is a word or hashtag with the number of mentions using it.
type TermCount struct {
	Term  string  `json:"term"`
	Count int     `json:"count"`
	Lift  float64 `json:"lift"` // how many times more frequent than usual
}

// Signal is the evidence of one kind at one step.
type Signal struct {
	Name     string        `json:"name"`
	Observed float64       `json:"observed"`
	Expected float64       `json:"expected"`
	Score    float64       `json:"score"`            // -log10 of the tail probability
	Window   time.Duration `json:"window,omitempty"` // span of the decisive test
	Term     string        `json:"term,omitempty"`   // for new_term
}

// Verdict is the detector's reading of one step.
type Verdict struct {
	At        time.Time
	Score     float64 // combined evidence, -log10(p)
	Threshold float64 // score that would open a crisis at this step
	Graded    float64 // Score mapped to [0, 1): 0.5 at Threshold
	Observed  float64 // volume of this step
	Expected  float64 // baseline volume of this step (times a planned factor)
	Signals   []Signal
	Open      bool   // a crisis is open after this step
	Severity  int    // 1..5 while open, else 0
	WarmUp    bool   // still learning: cannot open yet
	Planned   string // note of the expected event in force, if any
	Ignored   string // why the step was not used, if it was not
}

// Event is one move of a crisis: opened, updated (severity changed) or
// resolved. All events of a crisis share its ID.
type Event struct {
	ID            string            `json:"id"`
	Watch         string            `json:"watch"`
	Status        string            `json:"status"`
	Severity      int               `json:"severity"`
	PeakSeverity  int               `json:"peak_severity"`
	OpenedAt      time.Time         `json:"opened_at"`
	Reopened      bool              `json:"reopened,omitempty"` // an open that continues a crisis resolved less than reopen_within ago
	At            time.Time         `json:"at"`
	Observed      float64           `json:"observed"` // volume over Window
	Expected      float64           `json:"expected"`
	Window        time.Duration     `json:"window"`
	Score         float64           `json:"score"`
	Signals       []Signal          `json:"signals"`
	Mentions      float64           `json:"mentions"` // total volume since the crisis opened
	NegativeShare float64           `json:"negative_share"`
	TopTerms      []TermCount       `json:"top_terms,omitempty"`
	TopHashtags   []TermCount       `json:"top_hashtags,omitempty"`
	TopPosts      []Post            `json:"top_posts,omitempty"`
	TopSpreaders  []Spreader        `json:"top_spreaders,omitempty"`
	EmployeeShare float64           `json:"employee_share"`
	Summary       map[string]string `json:"summary"` // "fr" and "en"
	Drill         bool              `json:"drill,omitempty"`
}
