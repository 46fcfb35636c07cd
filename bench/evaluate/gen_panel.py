"""Generate a staggered-adoption panel with covariate-driven selection and
known effects. Usage: gen_panel.py OUT.csv N_UNITS N_PERIODS SEED

Columns: id,time,g,y,x1,x2,treat
 * g = first treated period (0 = never); cohorts 3..T and never, with
   probabilities depending on x1 (selection on observables);
 * y = unit effect + time effect + 0.3*x1*time (covariate-specific trend,
   so unconditional parallel trends fail) + effect + noise,
   effect = 1 + 0.5*(t - g) for t >= g;
 * treat = 1 if the unit is ever treated (for the two-period drdid test).
"""
import sys
import numpy as np

def main():
    out, n, T, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, size=n).astype(float)
    cohorts = [0] + list(range(3, T + 1))
    k = len(cohorts)
    # logits: never-treated more likely for low x1
    scores = np.column_stack([-0.8 * x1] + [0.3 * x1 + 0.2 * x2 - 0.1 * j for j in range(1, k)])
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    u = rng.random(n)
    g = np.array(cohorts)[(p.cumsum(axis=1) < u[:, None]).sum(axis=1)]
    alpha = rng.normal(size=n) + 0.5 * x1
    import pandas as pd
    frames = []
    for t in range(1, T + 1):
        eff = np.where((g > 0) & (t >= g), 1.0 + 0.5 * (t - g), 0.0)
        y = alpha + 0.2 * t + 0.3 * x1 * t + eff + rng.normal(size=n)
        frames.append(pd.DataFrame({"id": np.arange(1, n + 1), "time": t, "g": g, "y": y,
                                    "x1": x1, "x2": x2.astype(int), "treat": (g > 0).astype(int)}))
    pd.concat(frames).to_csv(out, index=False, float_format="%.10g")

if __name__ == "__main__":
    main()
