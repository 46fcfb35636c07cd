"""Compare `sejahtera evaluate did` with Python csdid (port of R `did`) on a CSV.

Usage: compare_did.py DATA.csv SEJAHTERA_BIN [--quick]
Prints one line per configuration with the largest absolute differences of
point estimates and analytic standard errors; exits 1 if any exceeds the
tolerances (1e-6 for estimates, 1e-4 relative for SEs).
"""
import json, subprocess, sys, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
from csdid.att_gt import ATTgt

data_path, binary = sys.argv[1], sys.argv[2]
df = pd.read_csv(data_path)
fail = False
configs = [(c, m, a) for c in ("never", "notyet") for m in ("reg", "ipw", "dr")
           for a in ("simple", "group", "dynamic", "calendar")]
for control, method, agg in configs:
    cg = "nevertreated" if control == "never" else "notyettreated"
    att = ATTgt(yname="y", tname="time", idname="id", gname="g", data=df.copy(),
                control_group=cg, xformla="y~x1+x2").fit(est_method=method, bstrap=False)
    ref_att = np.asarray(att.results["att"], float)
    ref_se = np.asarray(att.results["se"], float)
    att.aggte(typec=agg, bstrap=False)
    a = att.atte
    ours = json.loads(subprocess.run(
        [binary, "evaluate", "did", "--input", data_path, "--y", "y", "--id", "id", "--time", "time",
         "--group", "g", "--control", control, "--method", method, "--covariates", "x1,x2",
         "--aggregate", agg], check=True, capture_output=True, text=True).stdout)
    o_att = np.array([c["att"] for c in ours["att_gt"]], float)
    o_se = np.array([np.nan if c["se"] is None else c["se"] for c in ours["att_gt"]], float)
    d_att = np.nanmax(np.abs(o_att - ref_att))
    d_se = np.nanmax(np.abs(o_se - ref_se) / ref_se)
    e_att = np.asarray(a["att_egt"], float) if a["att_egt"] is not None else np.array([])
    e_se = np.asarray(a["se_egt"], float).ravel() if a["se_egt"] is not None else np.array([])
    oe_att = np.array([d["att"] for d in ours["aggregate"]["details"]], float)
    oe_se = np.array([d["se"] for d in ours["aggregate"]["details"]], float)
    d_agg = abs(ours["aggregate"]["att"] - float(a["overall_att"]))
    d_agg_se = abs(ours["aggregate"]["se"] - float(a["overall_se"])) / float(a["overall_se"])
    if len(e_att):
        d_agg = max(d_agg, np.max(np.abs(oe_att - e_att)))
        d_agg_se = max(d_agg_se, np.max(np.abs(oe_se - e_se) / e_se))
    ok = d_att < 1e-6 and d_se < 1e-4 and d_agg < 1e-6 and d_agg_se < 1e-4
    fail |= not ok
    print(f"{control:6} {method:3} {agg:8} cells={len(o_att):3} max|Δatt|={d_att:.2e} "
          f"max relΔse={d_se:.2e} agg |Δatt|={d_agg:.2e} relΔse={d_agg_se:.2e} {'OK' if ok else 'FAIL'}")
sys.exit(1 if fail else 0)
