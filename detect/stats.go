package detect

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// maxScore caps -log10(p). Tails too small for float64 are computed in
// log space, so scores keep growing with the evidence up to this cap.
const maxScore = 1e6

// underflow is where the special functions lose the tail and the log
// approximations take over.
const underflow = 1e-280

// score turns a tail probability into the -log10(p) scale used everywhere
// in the detector: 2 is 1 %, 6 is one in a million.
func score(p float64) float64 {
	switch {
	case !(p > 0): // also NaN
		return maxScore
	case p >= 1:
		return 0
	}
	s := -math.Log10(p)
	if s > maxScore {
		return maxScore
	}
	return s
}

// finite reports whether x is a usable number.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// countTailUp is P(X >= x) for a count X with mean mu and variance
// disp*mu: Poisson when disp <= 1, negative binomial (gamma-Poisson
// mixture, size mu/(disp-1)) above. x need not be an integer: the
// incomplete gamma and beta functions extend the tails continuously.
func countTailUp(x, mu, disp float64) float64 {
	if !finite(x) || !finite(mu) || x <= 0 {
		return 1
	}
	if mu <= 0 {
		return 0
	}
	if x <= mu {
		return 1 // not a surge; also keeps the special functions in their easy range
	}
	if !(disp > 1.000001) || !finite(disp) {
		return mathext.GammaIncReg(x, mu)
	}
	// NB with mean mu and size r: success probability q = r/(r+mu).
	// P(X >= x) = I_{1-q}(x, r).
	r := mu / (disp - 1)
	return regIncBeta(x, r, mu/(r+mu))
}

// countScoreUp is -log10 countTailUp, exact where float64 holds the tail
// and from the log of the leading term where it underflows: far out in
// the upper tail, P(X >= x) ~ pmf(x) / (1 - ratio of successive terms).
func countScoreUp(x, mu, disp float64) float64 {
	if z, ok := smallZ(x, mu, mu*math.Max(disp, 1)); ok {
		return score(normalTailUp(z)) // unremarkable: no need for the exact tail
	}
	p := countTailUp(x, mu, disp)
	if p > underflow || !finite(x) || !finite(mu) || mu <= 0 || x <= mu {
		return score(p)
	}
	var logPMF, ratio float64
	if !(disp > 1.000001) || !finite(disp) {
		lg, _ := math.Lgamma(x + 1)
		logPMF = x*math.Log(mu) - mu - lg
		ratio = mu / (x + 1)
	} else {
		r := mu / (disp - 1)
		q := r / (r + mu)
		a, _ := math.Lgamma(x + r)
		b, _ := math.Lgamma(r)
		c, _ := math.Lgamma(x + 1)
		logPMF = a - b - c + r*math.Log(q) + x*math.Log1p(-q)
		ratio = (1 - q) * (x + r) / (x + 1)
	}
	logP := logPMF
	if ratio < 1 {
		logP -= math.Log1p(-ratio)
	}
	return clampScore(-logP / math.Ln10)
}

// smallZ is the z-score of x against a mean and variance when it is
// below 1.5: scores that small (under 1.2) are read off the normal curve.
func smallZ(x, mean, variance float64) (float64, bool) {
	if !(variance > 0) || !finite(x) || !finite(mean) || !finite(variance) {
		return 0, false
	}
	z := (x - mean) / math.Sqrt(variance)
	return z, z < 1.5
}

// countScoreDown is -log10 countTailDown, with the same log fallback:
// far in the lower tail, P(X <= x) ~ pmf(x) / (1 - x/mu) for Poisson.
func countScoreDown(x, mu, disp float64) float64 {
	p := countTailDown(x, mu, disp)
	if p > underflow || !finite(x) || !finite(mu) || x >= mu {
		return score(p)
	}
	x = math.Max(x, 0)
	var logPMF, ratio float64
	if !(disp > 1.000001) || !finite(disp) {
		lg, _ := math.Lgamma(x + 1)
		logPMF = x*math.Log(mu) - mu - lg
		ratio = x / mu
	} else {
		r := mu / (disp - 1)
		q := r / (r + mu)
		a, _ := math.Lgamma(x + r)
		b, _ := math.Lgamma(r)
		c, _ := math.Lgamma(x + 1)
		logPMF = a - b - c + r*math.Log(q) + x*math.Log1p(-q)
		ratio = x / ((1 - q) * (x + r - 1))
	}
	logP := logPMF
	if ratio < 1 && ratio >= 0 {
		logP -= math.Log1p(-ratio)
	}
	return clampScore(-logP / math.Ln10)
}

func clampScore(s float64) float64 {
	switch {
	case !(s > 0): // also NaN
		return 0
	case s > maxScore:
		return maxScore
	}
	return s
}

// countTailDown is P(X <= x) for the same model as countTailUp.
func countTailDown(x, mu, disp float64) float64 {
	if !finite(x) || !finite(mu) || x >= mu {
		return 1
	}
	if x < 0 {
		x = 0
	}
	if !(disp > 1.000001) || !finite(disp) {
		return mathext.GammaIncRegComp(x+1, mu)
	}
	// P(X <= x) = I_q(r, x+1).
	r := mu / (disp - 1)
	return regIncBeta(r, x+1, r/(r+mu))
}

// scaledScoreUp is the score of a measurement y against a mean mu and a
// variance disp*mu, modelled as disp times a Poisson variable of mean
// mu/disp (quasi-Poisson). It is the count test for values that are not
// counts: the unit of the series does not matter, only its learned
// dispersion.
func scaledScoreUp(y, mu, disp float64) float64 {
	if !(disp > 0) || !finite(disp) {
		return 0
	}
	return countScoreUp(y/disp, mu/disp, 1)
}

// scaledScoreDown is scaledScoreUp for a drop.
func scaledScoreDown(y, mu, disp float64) float64 {
	if !(disp > 0) || !finite(disp) {
		return 0
	}
	return countScoreDown(y/disp, mu/disp, 1)
}

// binomTailUp is P(X >= k) for X ~ Binomial(n, p), extended to real k and
// n, with an overdispersion disp >= 1 that shrinks the effective number of
// trials (a crowd of replies under one post is not disp independent posts).
func binomTailUp(k, n, p, disp float64) float64 {
	if !finite(k) || !finite(n) || !finite(p) || k <= 0 || n <= 0 || k <= n*p {
		return 1
	}
	if p <= 0 {
		return 0
	}
	if p >= 1 {
		return 1
	}
	if disp > 1 && finite(disp) {
		k, n = k/disp, n/disp
	}
	if k > n {
		k = n
	}
	// P(X >= k) = I_p(k, n-k+1).
	return regIncBeta(k, n-k+1, p)
}

// binomScoreUp is -log10 binomTailUp, from the log of the leading term
// where the tail underflows.
func binomScoreUp(k, n, p, disp float64) float64 {
	if z, ok := smallZ(k, n*p, n*p*(1-p)*math.Max(disp, 1)); ok {
		return score(normalTailUp(z))
	}
	q := binomTailUp(k, n, p, disp)
	if q > underflow || !finite(k) || !finite(n) || !finite(p) || k <= n*p || p <= 0 || p >= 1 {
		return score(q)
	}
	if disp > 1 && finite(disp) {
		k, n = k/disp, n/disp
	}
	k = math.Min(k, n)
	a, _ := math.Lgamma(n + 1)
	b, _ := math.Lgamma(k + 1)
	c, _ := math.Lgamma(n - k + 1)
	logP := a - b - c + k*math.Log(p) + (n-k)*math.Log1p(-p)
	if ratio := p * (n - k) / ((k + 1) * (1 - p)); ratio < 1 {
		logP -= math.Log1p(-ratio)
	}
	return clampScore(-logP / math.Ln10)
}

// normalTailUp is P(Z >= z) for a standard normal Z.
func normalTailUp(z float64) float64 {
	if !finite(z) {
		if z > 0 {
			return 0
		}
		return 1
	}
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// normalScoreUp is -log10 normalTailUp, with the asymptotic expansion
// where the tail underflows.
func normalScoreUp(z float64) float64 {
	if p := normalTailUp(z); p > underflow || !finite(z) {
		return score(p)
	}
	return clampScore((z*z/2 + math.Log(z*math.Sqrt(2*math.Pi))) / math.Ln10)
}

// fisherScore combines independent evidence given as scores (-log10 p)
// with Fisher's method and returns the combined score.
func fisherScore(scores []float64) float64 {
	if len(scores) == 0 {
		return 0
	}
	x := 0.0
	for _, s := range scores {
		x += 2 * math.Ln10 * s
	}
	k := float64(len(scores)) // chi-squared with 2k degrees of freedom
	if p := chi2TailUp(x, 2*len(scores)); p > underflow {
		return score(p)
	}
	// Q(k, x/2) ~ (x/2)^(k-1) e^(-x/2) / Gamma(k) for large x.
	lg, _ := math.Lgamma(k)
	return clampScore(-((k-1)*math.Log(x/2) - x/2 - lg) / math.Ln10)
}

// chi2TailUp is P(X >= x) for a chi-squared X with df degrees of freedom.
func chi2TailUp(x float64, df int) float64 {
	if !finite(x) || x <= 0 || df <= 0 {
		return 1
	}
	return mathext.GammaIncRegComp(float64(df)/2, x/2)
}

// regIncBeta guards gonum's regularized incomplete beta function, which
// panics outside its domain.
func regIncBeta(a, b, x float64) float64 {
	switch {
	case !finite(a) || !finite(b) || !finite(x) || a <= 0 || b <= 0:
		return 1
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	return mathext.RegIncBeta(a, b, x)
}

// halfLifeAlpha is the EWMA weight that halves an observation's influence
// after halfLife/step updates.
func halfLifeAlpha(halfLife, step float64) float64 {
	if !(halfLife > 0) || !(step > 0) {
		return 1
	}
	n := halfLife / step
	if n <= 1 {
		return 1
	}
	return 1 - math.Exp(-math.Ln2/n)
}
