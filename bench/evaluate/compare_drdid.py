"""Compare `sejahtera evaluate drdid` with Python `drdid` (R DRDID port).

Usage: compare_drdid.py PANEL.csv SEJAHTERA_BIN
Builds a two-period panel (periods 3 and 4; cohort 4 treated, never-treated
controls) from a gen_panel.py file, runs reg / std_ipw / dr_trad through both,
and checks estimates (1e-6) and SEs (1e-4 relative; SE = sd(IF)·sqrt(n-1)/n,
R DRDID's convention). The `drdid` port lacks Abadie's ipw and the improved
dr_imp estimators; those are compared with the `differences` package
(`ipw_did_panel`, `drdid_panel_improved`: the same DRDID formulas, logit by
statsmodels GLM, inverse probability tilting by scipy trust-exact, whose
solution is polished by Newton steps — see `drdid_imp_polished`), with
SE = sd(IF)·sqrt(n-1)/n for ipw and sd(IF)/sqrt(n) for dr_imp (DRDID's
`ipw_did_panel` / `drdid_imp_panel`). `differences` neither caps nor trims
the propensity score; the script prints the largest comparison-unit score
to show that DRDID's trimming at 0.995 does not bind on this panel.
"""
import json, os, subprocess, sys, tempfile
import numpy as np, pandas as pd
from drdid.reg_did import reg_did_panel
from drdid.ipwd_did import std_ipw_did_panel
from drdid.drdid import drdid_panel

src, binary = sys.argv[1], sys.argv[2]
df = pd.read_csv(src)
df = df[df.time.isin([3, 4]) & df.g.isin([0, 4])].copy()
df["d"] = (df.g == 4).astype(int)
tmp = os.path.join(tempfile.mkdtemp(), "two.csv")
df.to_csv(tmp, index=False)
w = df.pivot(index="id", columns="time", values="y")
first = df[df.time == 3].set_index("id").loc[w.index]
X = first[["x1", "x2"]].to_numpy()
D = first["d"].to_numpy()
fail = False
for name, f in (("reg", reg_did_panel), ("std_ipw", std_ipw_did_panel), ("dr_trad", drdid_panel)):
    att, inf = f(w[4].to_numpy(), w[3].to_numpy(), D, covariates=X)
    n = len(inf)
    se = np.sqrt(np.sum((inf - inf.mean()) ** 2)) / n
    out = json.loads(subprocess.run([binary, "evaluate", "drdid", "--input", tmp, "--y", "y", "--id", "id",
        "--time", "time", "--treat", "d", "--covariates", "x1,x2", "--method", name],
        check=True, capture_output=True, text=True).stdout)
    da, ds = abs(out["att"] - att), abs(out["se"] - se) / se
    ok = da < 1e-6 and ds < 1e-4
    fail |= not ok
    print(f"{name:8} n={n} att={att:.6f} ours={out['att']:.6f} |Δatt|={da:.2e} relΔse={ds:.2e} {'OK' if ok else 'FAIL'}")

from differences.models.did.did_cal import ipw_did_panel, drdid_panel_improved
from differences.models.did.pscore_cal import pscore_mle
dy = (w[4] - w[3]).to_numpy()
exog = np.column_stack([np.ones(len(D)), X])
ones = np.ones(len(D))
ps, _ = pscore_mle(treated=D, exog=exog, weights=ones)
print(f"largest comparison-unit propensity score: {ps[D == 0].max():.4f} (trimming at 0.995)")
from differences.models.did.pscore_cal import pscore_ipt
from differences.models.did.utility import wols_out_reg
from differences.models.did import att_if


def drdid_imp_polished(endog, exog, treated, weights):
    """`differences`' drdid_panel_improved with the tilting solved to machine
    precision: scipy's trust-exact stops at a gradient of ~1e-5, which moves
    the influence function (not the ATT, which is first-order insensitive)
    by ~1e-5 relative; a few Newton steps on the IPT first-order condition
    from its solution reach ~1e-17."""
    ps, = pscore_ipt(treated=treated, exog=exog, weights=weights)
    gam = np.linalg.lstsq(exog, np.log(ps / (1 - ps)), rcond=None)[0]
    for _ in range(6):
        e = np.exp(exog @ gam)
        grad = -np.mean((weights * np.where(treated == 1, 1.0, -e))[:, None] * exog, axis=0)
        hess = (exog.T @ ((weights * np.where(treated == 1, 0.0, e))[:, None] * exog)) / len(treated)
        gam = gam - np.linalg.solve(hess, grad)
    ps = 1 / (1 + np.exp(-(exog @ gam)))
    out = wols_out_reg(endog=endog, exog=exog, weights=weights, mask=treated == 0, pscore_fit=ps)
    att, inf = att_if.dr_improved_panel_att_if(endog=endog[:, None], treated=treated[:, None],
        weights=weights[:, None], out_delta=out[:, None], ps_fit=ps[:, None])
    return {"att": att, "influence_func": inf}


r = drdid_panel_improved(endog=dy, exog=exog, treated=D, weights=ones)
inf = np.asarray(r["influence_func"]).ravel()
print(f"dr_imp as packaged (trust-exact tolerance): att={float(np.squeeze(r['att'])):.12f} "
      f"se={np.std(inf, ddof=1) / np.sqrt(len(inf)):.10f}")
for name, f, conv in (("ipw", ipw_did_panel, "centered"), ("dr_imp", drdid_imp_polished, "sd")):
    r = f(endog=dy, exog=exog, treated=D, weights=ones)
    att, inf = float(np.squeeze(r["att"])), np.asarray(r["influence_func"]).ravel()
    n = len(inf)
    se = (np.sqrt(np.sum((inf - inf.mean()) ** 2)) / n if conv == "centered"
          else np.std(inf, ddof=1) / np.sqrt(n))
    out = json.loads(subprocess.run([binary, "evaluate", "drdid", "--input", tmp, "--y", "y", "--id", "id",
        "--time", "time", "--treat", "d", "--covariates", "x1,x2", "--method", name],
        check=True, capture_output=True, text=True).stdout)
    da, ds = abs(out["att"] - att), abs(out["se"] - se) / se
    ok = da < 1e-6 and ds < 1e-4
    fail |= not ok
    print(f"{name:8} n={n} att={att:.6f} ours={out['att']:.6f} |Δatt|={da:.2e} relΔse={ds:.2e} {'OK' if ok else 'FAIL'} (differences)")
sys.exit(1 if fail else 0)
