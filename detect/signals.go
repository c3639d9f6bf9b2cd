package detect

import (
	"math"
	"time"
)

// dispersion is the variance-to-mean ratio used to test window k: the
// larger of the bulk's (from the mean absolute Pearson residual, which
// spikes do not inflate) and a sixteenth of the mean squared residual
// (which routine bursts do), times how noisy the hour of the step is
// (noiseProfile). Counts never go below Poisson; measurements never below
// a noise of relNoiseFloor times their magnitude.
func (d *Detector) dispersion(k int, s windowSums) float64 {
	disp := math.Max(math.Pi/2*d.st.Disp[k]*d.st.Disp[k], d.st.DispMS[k]/tailShare) * d.noiseF
	if !d.cfg.Continuous {
		return math.Max(disp, 1)
	}
	noise := relNoiseFloor * d.st.Mag
	if s.mu > 0 {
		disp = math.Max(disp, float64(s.n)*noise*noise/s.mu)
	}
	return math.Max(disp, 1e-300)
}

// evaluation is the evidence of one step.
type evaluation struct {
	signals  []Signal
	score    float64
	volUp    float64 // -log10 p of a volume surge (Bonferroni over windows)
	volDown  float64 // same for a drop, 0 unless Drops
	negScore float64
	negShare float64    // observed share over the term window
	ratio    float64    // observed / expected volume, for severity
	big      windowSums // the longest window
	explain  windowSums // the window the ratio comes from
	bigK     int        // its index
}

// volumeScores tests the volume of every window against its expectation
// and returns the most surprising surge and drop, Bonferroni-corrected over
// the windows (and the two directions when drops count), with their
// windows.
func (d *Detector) volumeScores(sums []windowSums) (up, down float64, kUp, kDown int) {
	corr := math.Log10(float64(len(d.scales)))
	if d.cfg.Drops {
		corr += math.Log10(2)
	}
	bestUp, bestDown := 0.0, 0.0
	for k, s := range sums {
		disp := d.dispersion(k, s)
		var u, dn float64
		if d.cfg.Continuous {
			u = scaledScoreUp(s.y, s.mu, disp)
			if d.cfg.Drops {
				dn = scaledScoreDown(s.y, s.mu, disp)
			}
		} else {
			u = countScoreUp(s.y, s.mu, disp)
			if d.cfg.Drops {
				dn = countScoreDown(s.y, s.mu, disp)
			}
		}
		if u > bestUp {
			bestUp, kUp = u, k
		}
		if dn > bestDown {
			bestDown, kDown = dn, k
		}
	}
	return math.Max(0, bestUp-corr), math.Max(0, bestDown-corr), kUp, kDown
}

func (d *Detector) evaluate(sums []windowSums) evaluation {
	var ev evaluation
	corr := math.Log10(float64(len(d.scales))) // Bonferroni over the windows
	var kUp, kDown int
	ev.volUp, ev.volDown, kUp, kDown = d.volumeScores(sums)
	if d.cfg.Drops {
		corr += math.Log10(2) // both directions
	}
	volScore, kv := ev.volUp, kUp
	if ev.volDown > ev.volUp {
		volScore, kv = ev.volDown, kDown
	}
	ev.signals = append(ev.signals, Signal{Name: SignalVolume, Observed: sums[kv].y, Expected: sums[kv].mu,
		Score: volScore, Window: time.Duration(d.scales[kv]) * d.cfg.Step})
	primary := []float64{volScore}
	var extra []float64
	ceiling := d.cfg.OpenScore

	// How far from normal: the largest ratio over the windows of at least
	// a quarter of an hour (shorter ones are too noisy to grade by).
	big := sums[len(sums)-1]
	ev.big, ev.bigK = big, len(sums)-1
	ev.ratio = ratio(big.y, big.mu)
	for k, s := range sums {
		if d.scales[k] >= d.termSteps && s.mu > 0 && ratio(s.y, s.mu) > ev.ratio {
			ev.ratio, ev.explain, ev.bigK = ratio(s.y, s.mu), s, k
		}
	}
	if ev.bigK == len(sums)-1 {
		ev.explain = big
	}
	if ev.volDown > ev.volUp && big.y > 0 {
		ev.ratio, ev.explain, ev.bigK = big.mu/big.y, big, len(sums)-1
	}

	if d.st.HasNeg {
		share := d.negShare()
		best, kb := 0.0, 0
		for k, s := range sums {
			if sc := binomScoreUp(s.neg, s.y, share, math.Max(d.st.NegDisp[k], 1)); sc > best {
				best, kb = sc, k
			}
		}
		ev.negScore = math.Max(0, best-corr)
		s := sums[kb]
		ev.signals = append(ev.signals, Signal{Name: SignalNegativeShare, Observed: ratio(s.neg, s.y), Expected: share,
			Score: ev.negScore, Window: time.Duration(d.scales[kb]) * d.cfg.Step})
		primary = append(primary, ev.negScore)
		tw := d.st.Ring.sums(d.termSteps)
		ev.negShare = ratio(tw.neg, tw.y)
	}
	if d.st.HasReach && d.st.VolSum > 0 {
		rho := math.Max(d.st.ReachSum/d.st.VolSum, 1)
		best, kb := 0.0, 0
		for k, s := range sums {
			// Reach per mention is heavy-tailed (one celebrity among
			// nobodies): the log excess follows a Laplace tail, whose
			// scale is the mean absolute deviation.
			u := math.Log1p(s.reach/rho) - math.Log1p(s.y) - d.st.ReachMu[k]
			if u <= 0 {
				continue
			}
			if sc := u/math.Max(d.st.ReachDev[k], minReachDev)/math.Ln10 + math.Log10(2); sc > best {
				best, kb = sc, k
			}
		}
		sc := math.Max(0, best-corr)
		s := sums[kb]
		ev.signals = append(ev.signals, Signal{Name: SignalReach, Observed: s.reach,
			Expected: rho * math.Max(s.y, s.mu) * math.Exp(d.st.ReachMu[kb]), Score: sc,
			Window: time.Duration(d.scales[kb]) * d.cfg.Step})
		extra = append(extra, math.Min(sc, ceiling))
	}
	if sig, ok := d.newTermSignal(); ok {
		ev.signals = append(ev.signals, sig)
		extra = append(extra, math.Min(sig.Score, ceiling))
	}

	// Combine: the strongest primary signal (Bonferroni) or all the
	// evidence together (Fisher), whichever is stronger, corrected for
	// taking the better of the two. Reach and new terms qualify a crisis
	// but are not one: they count only when volume or negativity already
	// stand out (p < 1 %), each capped at the open score.
	best := 0.0
	for _, s := range primary {
		best = math.Max(best, s)
	}
	comb := best - math.Log10(float64(len(primary)))
	if all := append(primary, extra...); len(all) > 1 && best >= minPrimary {
		comb = math.Max(comb, fisherScore(all)) - math.Log10(2)
	}
	ev.score = math.Max(0, comb)
	return ev
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		if a > 0 {
			return math.Inf(1)
		}
		return 0
	}
	return a / b
}

func (d *Detector) negShare() float64 {
	return (d.st.NegSum + negSharePrior*negSharePrior0) / (d.st.VolSum + negSharePrior)
}

// newTermSignal tests the terms and hashtags of the recent window against
// their usual frequency; it reports the most surprising one.
func (d *Detector) newTermSignal() (Signal, bool) {
	if len(d.termWin) == 0 && len(d.tagWin) == 0 {
		return Signal{}, false
	}
	vol := d.st.Ring.sums(d.termSteps).y
	if vol < minTermMentions {
		return Signal{Name: SignalNewTerm}, true
	}
	type cand struct {
		term string
		c, q float64
		lift float64
	}
	var top [termCandidates]cand
	consider := func(key string, c int) {
		if c < minTermMentions {
			return
		}
		q := d.st.Memory.share(key, d.st.Steps, d.termHL)
		lift := float64(c) / (vol * q)
		for i := range top {
			if top[i].term == "" || lift > top[i].lift {
				copy(top[i+1:], top[i:len(top)-1])
				top[i] = cand{key, float64(c), q, lift}
				return
			}
		}
	}
	for k, c := range d.termWin {
		consider(k, c)
	}
	for k, c := range d.tagWin {
		consider("#"+k, c)
	}
	sig := Signal{Name: SignalNewTerm}
	best := 0.0
	for _, c := range top {
		if c.term == "" {
			continue
		}
		if sc := binomScoreUp(c.c, vol, c.q, 1); sc > best || sig.Term == "" {
			best = sc
			sig.Term, sig.Observed, sig.Expected = c.term, c.c, vol*c.q
		}
	}
	// Every word seen in the window was a candidate, not only the tested
	// ones: the correction counts them all.
	sig.Score = math.Max(0, best-math.Log10(float64(max(len(d.termWin)+len(d.tagWin), 1))))
	sig.Window = time.Duration(d.termSteps) * d.cfg.Step
	return sig, true
}
