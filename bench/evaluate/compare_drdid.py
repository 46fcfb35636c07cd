"""Compare `sejahtera evaluate drdid` with Python `drdid` (R DRDID port).

Usage: compare_drdid.py PANEL.csv SEJAHTERA_BIN
Builds a two-period panel (periods 3 and 4; cohort 4 treated, never-treated
controls) from a gen_panel.py file, runs reg / std_ipw / dr_trad through both,
and checks estimates (1e-6) and SEs (1e-4 relative; SE = sd(IF)·sqrt(n-1)/n,
R DRDID's convention). ipw (Abadie) and dr_imp have no Python reference; they
are checked in the crate's tests (ipw against its closed form, dr_imp by the
IPT balancing property and agreement with dr_trad under correct models).
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
sys.exit(1 if fail else 0)
