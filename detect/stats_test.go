package detect

import (
	"math"
	"testing"
)

// poissonTail sums P(X >= k) directly, in log space.
func poissonTail(k int, mu float64) float64 {
	p := 0.0
	for i := 0; i < k; i++ {
		lg, _ := math.Lgamma(float64(i + 1))
		p += math.Exp(float64(i)*math.Log(mu) - mu - lg)
	}
	return 1 - p
}

// nbTail sums P(X >= k) for a negative binomial with mean mu, size r.
func nbTail(k int, mu, r float64) float64 {
	q := r / (r + mu)
	p := 0.0
	for i := 0; i < k; i++ {
		a, _ := math.Lgamma(float64(i) + r)
		b, _ := math.Lgamma(r)
		c, _ := math.Lgamma(float64(i + 1))
		p += math.Exp(a - b - c + r*math.Log(q) + float64(i)*math.Log1p(-q))
	}
	return 1 - p
}

func binomTail(k, n int, p float64) float64 {
	s := 0.0
	for i := k; i <= n; i++ {
		a, _ := math.Lgamma(float64(n + 1))
		b, _ := math.Lgamma(float64(i + 1))
		c, _ := math.Lgamma(float64(n - i + 1))
		s += math.Exp(a - b - c + float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p))
	}
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9+1e-6*math.Abs(b) }

func TestTailsMatchDirectSums(t *testing.T) {
	for _, tc := range []struct {
		k  int
		mu float64
	}{{1, 0.05}, {3, 0.5}, {10, 2.3}, {40, 20}, {150, 100}} {
		if got, want := countTailUp(float64(tc.k), tc.mu, 1), poissonTail(tc.k, tc.mu); !near(got, want) {
			t.Errorf("Poisson P(X>=%d | %v) = %v, want %v", tc.k, tc.mu, got, want)
		}
		disp := 3.0
		if got, want := countTailUp(float64(tc.k), tc.mu, disp), nbTail(tc.k, tc.mu, tc.mu/(disp-1)); !near(got, want) {
			t.Errorf("NB P(X>=%d | %v, disp 3) = %v, want %v", tc.k, tc.mu, got, want)
		}
		// The lower tail: P(X <= k-1) = 1 - P(X >= k), with a mean above k.
		mu := tc.mu + 2*float64(tc.k)
		if got, want := countTailDown(float64(tc.k-1), mu, 1), 1-poissonTail(tc.k, mu); !near(got, want) {
			t.Errorf("Poisson P(X<=%d | %v) = %v, want %v", tc.k-1, mu, got, want)
		}
	}
	for _, tc := range []struct {
		k, n int
		p    float64
	}{{3, 3, 0.1}, {7, 20, 0.1}, {40, 100, 0.12}} {
		if got, want := binomTailUp(float64(tc.k), float64(tc.n), tc.p, 1), binomTail(tc.k, tc.n, tc.p); !near(got, want) {
			t.Errorf("binomial P(X>=%d | %d, %v) = %v, want %v", tc.k, tc.n, tc.p, got, want)
		}
	}
}

// The log-space fallbacks take over where the exact tails underflow; on
// both sides of that edge they must agree, and keep growing beyond it.
func TestScoresBeyondUnderflowKeepGrowing(t *testing.T) {
	for _, disp := range []float64{1, 4} {
		prev := 0.0
		for _, x := range []float64{200, 400, 800, 1600, 3200, 1e5} {
			s := countScoreUp(x, 20, disp)
			if !(s > prev) || math.IsInf(s, 0) || s >= maxScore {
				t.Errorf("disp %v: score(%v | 20) = %v after %v: want a finite, growing score", disp, x, s, prev)
			}
			prev = s
		}
	}
	// Around the edge: exact and approximate agree within 1 %.
	for _, x := range []float64{300, 330, 360} {
		exact := score(countTailUp(x, 20, 1))
		lg, _ := math.Lgamma(x + 1)
		approx := -(x*math.Log(20) - 20 - lg - math.Log1p(-20/(x+1))) / math.Ln10
		if exact < 250 && math.Abs(exact-approx) > 0.01*exact {
			t.Errorf("x=%v: exact %v, leading term %v", x, exact, approx)
		}
	}
	if s := binomScoreUp(5000, 5000, 0.1, 1); !(s > 4000) || s >= maxScore {
		t.Errorf("binomial score of 5000/5000 at 10 %% = %v", s)
	}
	if s := normalScoreUp(60); !(s > 700) || s >= maxScore {
		t.Errorf("normal score at z=60 = %v", s)
	}
}

func TestFisherScore(t *testing.T) {
	// Two p-values of 1 %: chi2 = 18.42 on 4 df, p = 0.00102.
	if got := fisherScore([]float64{2, 2}); math.Abs(got-2.99) > 0.01 {
		t.Errorf("fisher(0.01, 0.01) score = %v, want 2.99", got)
	}
	if got := fisherScore([]float64{400, 0}); !(got > 395) || got > 400 {
		t.Errorf("fisher with one huge score = %v, want just under 400", got)
	}
	if got := fisherScore(nil); got != 0 {
		t.Errorf("fisher() = %v", got)
	}
}

func TestSmallNoiseStaysSmall(t *testing.T) {
	for _, tc := range []struct{ x, mu, disp float64 }{{0, 0.05, 1}, {1, 0.8, 1}, {102, 100, 1}, {5, 4, 3}} {
		if s := countScoreUp(tc.x, tc.mu, tc.disp); s > 1.2 {
			t.Errorf("score(%v | %v, disp %v) = %v, want under 1.2", tc.x, tc.mu, tc.disp, s)
		}
	}
}
