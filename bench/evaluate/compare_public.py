"""Compare `sejahtera evaluate did` with Python csdid on public data shipped offline
by the `causaldata` package: castle-doctrine laws (Cheng & Hoekstra 2013; the
Callaway–Sant'Anna example of Cunningham's *Causal Inference: The Mixtape*),
50 US states × 2000–2010, staggered adoption, outcome log homicide rate.

Usage: compare_public.py SEJAHTERA_BIN [OUT_DIR]

Conversion to our CSV convention (id, time, y, group; group = first treated year,
0 = never treated). causaldata's `castle` has no `effyear` column and its `post`
is truncated to 0/1 (0 in the partial adoption year), so the adoption year is
reconstructed as (first year with post = 1) − 1. This yields the Mixtape's cohorts
2005 (1 state), 2006 (13), 2007 (4), 2008 (2), 2009 (1) and 29 never-treated states.
The panel is balanced and l_homicide has no missing value, so csdid drops nothing.
Time-invariant covariates: the state's year-2000 poverty rate (`pov`) and log
income (`inc`).

For every control group (never, notyet) × method (reg, ipw, dr) × covariate set
(none, pov, pov+inc), csdid's ATTgt is fitted once and aggregated four ways
(simple, group, dynamic, calendar); `sejahtera evaluate did` is run with the same
options. Every ATT(g,t) and every aggregate (overall and per-event/group/period)
is compared: point estimates to 1e-6 absolute, analytic SEs to 1e-4 relative.
A configuration csdid cannot fit is reported as SKIP with its error (not hidden).
Exits 1 on any FAIL.
"""
import contextlib, io, json, os, subprocess, sys, tempfile, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
import causaldata
from csdid.att_gt import ATTgt

TOL_ATT, TOL_SE = 1e-6, 1e-4
binary = sys.argv[1]
out_dir = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp()

raw = causaldata.castle.load_pandas().data
first_post = raw[raw.post > 0].groupby("sid").year.min() - 1
base = raw[raw.year == 2000].set_index("sid")
df = pd.DataFrame({"id": raw.sid.astype(int), "time": raw.year.astype(int),
                   "y": raw.l_homicide.astype(float),
                   "group": raw.sid.map(first_post).fillna(0).astype(int),
                   "pov": raw.sid.map(base.poverty).astype(float),
                   "inc": raw.sid.map(base.l_income).astype(float)})
path = os.path.join(out_dir, "castle.csv")
df.to_csv(path, index=False, float_format="%.17g")
cohorts = df[df.time == 2000].group.value_counts().sort_index().to_dict()
print(f"castle: {df.id.nunique()} states × {df.time.nunique()} years, cohorts {cohorts}")


def rel(a, b):
    """Relative SE difference; NaN on both sides counts as agreement."""
    if np.isnan(a) and np.isnan(b):
        return 0.0
    return abs(a - b) / max(abs(b), 1e-300)


n_cmp = n_cfg = 0
worst = {"att_gt att": 0.0, "att_gt se": 0.0, "aggregate att": 0.0, "aggregate se": 0.0}
fails, skips = [], []
for covs in ([], ["pov"], ["pov", "inc"]):
    for control in ("never", "notyet"):
        for method in ("reg", "ipw", "dr"):
            cname = "+".join(covs) or "none"
            tag = f"{control:6} {method:3} x={cname:7}"
            cg = "nevertreated" if control == "never" else "notyettreated"
            xf = "y~" + "+".join(covs) if covs else None
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    ref = ATTgt(yname="y", tname="time", idname="id", gname="group",
                                data=df.copy(), control_group=cg, xformla=xf
                                ).fit(est_method=method, bstrap=False)
                ref_cells = {(int(g), int(t)): (float(a), float(s)) for g, t, a, s in zip(
                    ref.results["group"], ref.results["year"], ref.results["att"],
                    ref.results["se"])}
            except Exception as e:  # reported, not hidden
                skips.append(f"{tag} csdid error: {type(e).__name__}: {e}")
                print(f"{tag} SKIP (csdid: {type(e).__name__}: {str(e)[:80]})")
                continue
            for agg in ("simple", "group", "dynamic", "calendar"):
                cmd = [binary, "evaluate", "did", "--input", path, "--y", "y", "--id", "id",
                       "--time", "time", "--group", "group", "--control", control,
                       "--method", method, "--aggregate", agg]
                if covs:
                    cmd += ["--covariates", ",".join(covs)]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    fails.append(f"{tag} {agg}: sejahtera error {r.stderr.strip()[:200]}")
                    print(f"{tag} {agg:8} FAIL (sejahtera error)")
                    continue
                ours = json.loads(r.stdout)
                with contextlib.redirect_stdout(io.StringIO()):
                    ref.aggte(typec=agg, bstrap=False)
                a = ref.atte
                bad = []
                d = {k: 0.0 for k in worst}
                our_cells = {(c["group"], c["time"]): c for c in ours["att_gt"]}
                if set(our_cells) != set(ref_cells):
                    bad.append(f"cells differ: {sorted(set(our_cells) ^ set(ref_cells))}")
                for k in set(our_cells) & set(ref_cells):
                    ra, rs = ref_cells[k]
                    oa = our_cells[k]["att"]
                    os_ = np.nan if our_cells[k]["se"] is None else our_cells[k]["se"]
                    d["att_gt att"] = max(d["att_gt att"], abs(oa - ra))
                    d["att_gt se"] = max(d["att_gt se"], rel(os_, rs))
                    if agg == "simple":  # the cells are the same for every aggregation
                        n_cmp += 2
                pairs = [(ours["aggregate"]["att"], ours["aggregate"]["se"],
                          float(a["overall_att"]), float(a["overall_se"]))]
                if agg != "simple":
                    key = {"group": "group", "dynamic": "event_time", "calendar": "time"}[agg]
                    od = {int(x[key]): x for x in ours["aggregate"]["details"]}
                    rk = [int(e) for e in np.asarray(a["egt"]).ravel()]
                    if set(od) != set(rk):
                        bad.append(f"{agg} keys differ: ours {sorted(od)} csdid {rk}")
                    for e, ra, rs in zip(rk, np.asarray(a["att_egt"], float).ravel(),
                                         np.asarray(a["se_egt"], float).ravel()):
                        if e in od:
                            pairs.append((od[e]["att"], od[e]["se"], ra, rs))
                for oa, os_, ra, rs in pairs:
                    os_ = np.nan if os_ is None else os_
                    d["aggregate att"] = max(d["aggregate att"], abs(oa - ra))
                    d["aggregate se"] = max(d["aggregate se"], rel(os_, rs))
                    n_cmp += 2
                for k in worst:
                    worst[k] = max(worst[k], d[k])
                ok = (not bad and d["att_gt att"] < TOL_ATT and d["aggregate att"] < TOL_ATT
                      and d["att_gt se"] < TOL_SE and d["aggregate se"] < TOL_SE)
                n_cfg += 1
                if not ok:
                    fails.append(f"{tag} {agg}: {d} {bad}")
                print(f"{tag} {agg:8} cells={len(our_cells):3} max|Δatt|={d['att_gt att']:.2e} "
                      f"max relΔse={d['att_gt se']:.2e} agg |Δatt|={d['aggregate att']:.2e} "
                      f"relΔse={d['aggregate se']:.2e} {'OK' if ok else 'FAIL'}")

print(f"castle summary: {n_cfg} configurations, {n_cmp} distinct comparisons, "
      + ", ".join(f"max {k} {'|Δ|' if 'att' in k.split()[-1] else 'relΔ'}={v:.2e}"
                  for k, v in worst.items())
      + f", {len(skips)} skipped, {len(fails)} failed")
for s in skips:
    print("SKIP", s)
for f in fails:
    print("FAIL", f)
sys.exit(1 if fails else 0)
