"""Time `sejahtera evaluate did` against Python csdid on the same CSV.

Usage: bench.py DATA.csv SEJAHTERA_BIN RUNS PEER_RUNS
Both sides are timed end to end on the same file: reading the CSV, all
ATT(g,t) with covariates x1,x2 (doubly robust, never-treated controls),
analytic influence-function SEs and the simple aggregation. Prints medians.
"""
import resource, statistics, subprocess, sys, time, warnings
warnings.filterwarnings("ignore")

path, binary, runs, peer_runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cmd = [binary, "evaluate", "did", "--input", path, "--y", "y", "--id", "id", "--time", "time",
       "--group", "g", "--covariates", "x1,x2", "--method", "dr", "--control", "never",
       "--aggregate", "simple"]
def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

ours, ours_cpu = [], []
for _ in range(runs):
    t, c = time.perf_counter(), child_cpu()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    ours.append(time.perf_counter() - t)
    ours_cpu.append(child_cpu() - c)
import json
ours_att = json.loads(out)["aggregate"]["att"]
print(f"ours: wall runs={[round(x, 3) for x in ours]} median={statistics.median(ours):.3f}s "
      f"cpu median={statistics.median(ours_cpu):.3f}s att={ours_att:.6f}", flush=True)

if peer_runs > 0:
    import pandas as pd
    from csdid.att_gt import ATTgt
    peer, peer_cpu = [], []
    for _ in range(peer_runs):
        t, c = time.perf_counter(), time.process_time()
        df = pd.read_csv(path)
        m = ATTgt(yname="y", tname="time", idname="id", gname="g", data=df, control_group="nevertreated",
                  xformla="y~x1+x2").fit(est_method="dr", bstrap=False)
        m.aggte(typec="simple", bstrap=False)
        peer.append(time.perf_counter() - t)
        peer_cpu.append(time.process_time() - c)
        att = float(m.atte["overall_att"])
        print(f"  peer run {len(peer)}: wall {peer[-1]:.2f}s cpu {peer_cpu[-1]:.2f}s att={att:.6f}", flush=True)
    med, medc = statistics.median(peer), statistics.median(peer_cpu)
    print(f"peer (csdid): wall median={med:.3f}s (ratio {med / statistics.median(ours):.1f}x), "
          f"cpu median={medc:.3f}s (ratio {medc / statistics.median(ours_cpu):.1f}x), |Δatt|={abs(att - ours_att):.2e}")
