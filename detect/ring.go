package detect

// ring keeps the last observations of a watch, one slot per step, so the
// detector can sum them over each test window.
type ring struct {
	Head  int       `json:"head"` // next slot to write
	Len   int       `json:"len"`
	Y     []float64 `json:"y"`     // volume
	Mu    []float64 `json:"mu"`    // expected volume
	Neg   []float64 `json:"neg"`   // negative mentions
	Reach []float64 `json:"reach"` // summed reach
}

func newRing(n int) ring {
	return ring{Y: make([]float64, n), Mu: make([]float64, n), Neg: make([]float64, n), Reach: make([]float64, n)}
}

func (r *ring) capacity() int { return len(r.Y) }

func (r *ring) push(y, mu, neg, reach float64) {
	n := r.capacity()
	if n == 0 {
		return
	}
	r.Y[r.Head], r.Mu[r.Head], r.Neg[r.Head], r.Reach[r.Head] = y, mu, neg, reach
	r.Head = (r.Head + 1) % n
	if r.Len < n {
		r.Len++
	}
}

func (r *ring) reset() {
	r.Head, r.Len = 0, 0
}

// windowSums are the totals of the last w slots.
type windowSums struct {
	y, mu, neg, reach float64
	n                 int // slots actually summed (fewer than w after a reset)
}

// sums adds up the last w slots.
func (r *ring) sums(w int) windowSums {
	n := r.capacity()
	if w > r.Len {
		w = r.Len
	}
	var s windowSums
	s.n = w
	i := r.Head
	for k := 0; k < w; k++ {
		i--
		if i < 0 {
			i = n - 1
		}
		s.y += r.Y[i]
		s.mu += r.Mu[i]
		s.neg += r.Neg[i]
		s.reach += r.Reach[i]
	}
	return s
}

// valid reports whether a decoded ring is consistent.
func (r *ring) valid(n int) bool {
	if len(r.Y) != n || len(r.Mu) != n || len(r.Neg) != n || len(r.Reach) != n {
		return false
	}
	if r.Head < 0 || r.Len < 0 || r.Len > n || (n > 0 && r.Head >= n) {
		return false
	}
	for i := 0; i < n; i++ {
		for _, v := range [4]float64{r.Y[i], r.Mu[i], r.Neg[i], r.Reach[i]} {
			if !finite(v) || v < 0 {
				return false
			}
		}
	}
	return true
}
