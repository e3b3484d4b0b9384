"""Reference statistics of noise.cir's TRNOISE sources, as ngspice 39 defines them.

Run: /work/pyref/bin/python tests/e2e/data/noise/reference.py (writes reference.json
beside this file; numpy only). Read by tests/e2e/noise.rs.

ngspice 39 (src/frontend/trannoise/1-f-code.c, vsrcload.c, vsrcacct.c, its own
FFT: no FFTW):
- 1/f: P = tstop/nt + 10 rounded up to a power of 2 = 2048 samples of
  x = h (*) w, a circular convolution over P points of Kasdin's filter
  h_0 = 1, h_k = h_{k-1} (alpha/2 + k - 1)/k with white noise w of rms NAMP;
  sample k of the source is x_k - x_0 (k = 0 .. N-1, N = 2039 in the run).
  Circular autocovariance C(m) = NAMP^2 sum_j h_j h_{(j+m) mod P}; the
  anchored samples have covariance S_kl = C(k-l) - C(k) - C(l) + C(0).
- Random telegraph: 0 from t = 0 for an exponential time of mean RTSCAPT,
  then RTSAM for one of mean RTSEMT, and so on: the two-state Markov chain
  of rates a = 1/RTSCAPT, b = 1/RTSEMT from the empty state, so
  P(trapped at t) = p (1 - exp(-(a+b) t)), p = a/(a+b), and
  P(trapped at s and t) = P(trapped at s) (p + (1-p) exp(-(a+b)(t-s))), s <= t.
"""
import json
import os

import numpy as np

NT, TSTOP = 1e-6, 2038e-6
ALPHA, NAMP = 1.0, 1e-3
NA = 1e-3
RTSAM, RTSCAPT, RTSEMT = 5e-3, 5e-6, 10e-6

N = int(round(TSTOP / NT)) + 1            # samples k = 0 .. 2038 in the run
P = 1 << int(np.ceil(np.log2(int(TSTOP / NT + 1e-9) + 10)))  # 2048

h = np.ones(P)
for k in range(1, P):
    h[k] = h[k - 1] * (ALPHA / 2 + k - 1) / k
H2 = np.abs(np.fft.fft(h)) ** 2
C = NAMP**2 * np.real(np.fft.ifft(H2))    # circular autocovariance C(m)
k = np.arange(N)
S = C[np.abs(k[:, None] - k[None, :])] - C[k][:, None] - C[k][None, :] + C[0]

# Expected periodogram I_i = |sum_k x_k exp(-2 pi i ik/N)|^2 / N, i = 0 .. N/2.
B = np.fft.fft(S, axis=0)
EI = np.real(np.diag(np.fft.ifft(B, axis=1)))[: N // 2 + 1]
band = np.arange(8, 512)
slope = np.polyfit(np.log(band), np.log(EI[band]), 1)[0]

# Structure function of one 1/f source, D(m) = mean over the run of
# (x_{k+m} - x_k)^2: expectation 2 (C(0) - C(m)), and the standard deviation
# of one run's estimate (a Gaussian quadratic form: 2 tr(Sd^2) / n^2).
structure = []
for m in (1, 8, 64):
    n = N - m
    A = np.zeros((n, N))
    A[np.arange(n), np.arange(n) + m] = 1.0
    A[np.arange(n), np.arange(n)] -= 1.0
    Sd = A @ S @ A.T
    structure.append({"lag": m, "mean_v2": 2 * (C[0] - C[m]), "sd_v2": np.sqrt(2 * np.sum(Sd * Sd)) / n})

# The sum source, v - 1 V = white + 1/f + telegraph, independent parts.
a, b = 1 / RTSCAPT, 1 / RTSEMT
lam, p = a + b, a / (a + b)
t = k * NT
ph = p * (1 - np.exp(-lam * t))           # P(trapped at t_k), from empty at 0
stay = p + (1 - p) * np.exp(-lam * NT)    # P(trapped at t + NT | trapped at t)
both = ph[:-1] * stay                     # P(trapped at t_k and t_{k+1})
white = np.full(N, NA**2)
white[0] = 0.0                            # sample 0 is 0
# Mean of v - 1 over the run (its sd: the covariances of the parts summed).
first = np.minimum.outer(ph, ph)
dt = np.abs(t[:, None] - t[None, :])
cov_r = RTSAM**2 * (first * (p + (1 - p) * np.exp(-lam * dt)) - np.outer(ph, ph))
sum_mean = RTSAM * ph.sum() / N
sum_mean_sd = np.sqrt(white.sum() + S.sum() + cov_r.sum()) / N
# Mean square of the first differences v_{k+1} - v_k over the run.
diff_ms = (np.sum(white[1:] + white[:-1]) + np.sum(2 * (C[0] - C[1]) * np.ones(N - 1))
           + RTSAM**2 * np.sum(ph[1:] + ph[:-1] - 2 * both)) / (N - 1)


def simulate_diff_ms(rng, runs):
    """Monte Carlo of the same statistic (for its standard deviation only)."""
    Hf = np.fft.fft(h)
    out = []
    for _ in range(runs):
        w = rng.normal(0.0, NAMP, P)
        x = np.real(np.fft.ifft(Hf * np.fft.fft(w)))[:N]
        f = x - x[0]
        wn = rng.normal(0.0, NA, N)
        wn[0] = 0.0
        r = np.zeros(N)
        s = 0
        for i in range(1, N):
            u = rng.random()
            s = (u < stay) if s else (u < p * (1 - np.exp(-lam * NT)))
            r[i] = RTSAM * s
        v = f + wn + r
        out.append(np.mean(np.diff(v) ** 2))
    return np.array(out)


sims = simulate_diff_ms(np.random.default_rng(1), 2000)

out = {
    "generated_by": "tests/e2e/data/noise/reference.py",
    "samples": N,
    "flicker_len": P,
    "periodogram": EI.tolist(),
    "slope_bins": [int(band[0]), int(band[-1])],
    "slope": slope,
    "structure": structure,
    "sum_mean_v": 1.0 + sum_mean,
    "sum_mean_sd_v": sum_mean_sd,
    "sum_diff_mean_square_v2": diff_ms,
    "sum_diff_mean_square_sd_v2": sims.std(ddof=1),
    "sum_diff_mean_square_monte_carlo_v2": sims.mean(),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print({k: v for k, v in out.items() if k != "periodogram"})
