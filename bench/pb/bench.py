#!/usr/bin/env python3
"""Benchmark: `sejahtera pb solve --rule mes` vs pabutools 1.2.3, side by side in one run.

For every .pb file of a folder: our CLI end to end (process start, read, parse, rule,
explanations, JSON output; wall and user+sys CPU of the process) and its in-process read+parse
and rule times (--timings, wall and thread CPU), for MES without completion and with Add1;
pabutools' parse_pabulib and method_of_equal_shares times (wall and process CPU; Add1 only with
--peer-add1). Each figure is the median of --runs runs (pabutools: --peer-runs runs).
Ratios: "rule-only" = pabutools' method_of_equal_shares / our rule (both after parsing);
"end-to-end" = pabutools' method_of_equal_shares alone / our whole process.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def ours(binary: Path, path: Path, completion: str, runs: int):
    """Medians over runs: wall end to end, CPU end to end (user+sys of the process), and the
    in-process wall / CPU times of read+parse and of the rule (--timings)."""
    walls, cpus, parse, rule, cparse, crule = [], [], [], [], [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(
            [str(binary), "pb", "solve", str(path), "--rule", "mes", "--completion", completion,
             "--format", "json", "--timings"],
            capture_output=True, text=True, check=True,
        )
        walls.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        m = re.search(
            r"parse_ms=([\d.]+) rule_ms=([\d.]+) mes_iterations=(\d+) exact_fallbacks=(\d+)"
            r" cpu_parse_ms=([\d.]+) cpu_rule_ms=([\d.]+)",
            p.stderr,
        )
        parse.append(float(m.group(1)) / 1e3)
        rule.append(float(m.group(2)) / 1e3)
        cparse.append(float(m.group(5)) / 1e3)
        crule.append(float(m.group(6)) / 1e3)
        iters, fallbacks = int(m.group(3)), int(m.group(4))
    med = statistics.median
    return {
        "wall": med(walls), "cpu": med(cpus), "parse": med(parse), "rule": med(rule),
        "cpu_parse": med(cparse), "cpu_rule": med(crule), "iters": iters, "fallbacks": fallbacks,
    }


def peer(path: Path, completion: str, runs: int):
    """pabutools: medians of wall and CPU (process_time) for parse_pabulib and the rule."""
    from pabutools.election import Additive_Cardinal_Sat, Cost_Sat, parse_pabulib
    from pabutools.rules import method_of_equal_shares

    parse, rule, cparse, crule = [], [], [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        inst, prof = parse_pabulib(str(path))
        t1, c1 = time.perf_counter(), time.process_time()
        vt = inst.meta.get("vote_type", "approval")
        sat = Additive_Cardinal_Sat if vt in ("cumulative", "scoring") else Cost_Sat
        kw = {"voter_budget_increment": 1} if completion == "add1" else {}
        method_of_equal_shares(inst, prof, sat_class=sat, **kw)
        t2, c2 = time.perf_counter(), time.process_time()
        parse.append(t1 - t0)
        rule.append(t2 - t1)
        cparse.append(c1 - c0)
        crule.append(c2 - c1)
    med = statistics.median
    return {"parse": med(parse), "rule": med(rule), "cpu_parse": med(cparse), "cpu_rule": med(crule)}


def main() -> int:
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", nargs="?", default=str(repo.parent / "shared" / "data" / "pabulib"))
    ap.add_argument("--binary", default=str(repo / "target" / "release" / "sejahtera"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--peer-runs", type=int, default=3)
    ap.add_argument("--peer-add1", action="store_true", help="also time pabutools with Add1 (slow)")
    args = ap.parse_args()
    binary = Path(args.binary)
    print(
        "| instance | sat | ours MES end-to-end wall / CPU (ms) | ours parse / rule CPU (ms) "
        "| pabutools parse / MES CPU (s) | ratio MES rule-only (CPU; wall) "
        "| ratio pabutools MES vs ours end-to-end (CPU; wall) | ours MES+Add1 end-to-end wall / CPU (ms) "
        "| Add1 runs | exact fallbacks | pabutools MES+Add1 CPU (s) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for path in sorted(Path(args.folder).glob("*.pb")):
        o = ours(binary, path, "none", args.runs)
        a = ours(binary, path, "add1", args.runs)
        r = peer(path, "none", args.peer_runs)
        ref_add1 = f"{peer(path, 'add1', 1)['cpu_rule']:.1f}" if args.peer_add1 else "—"
        vt = "points" if "cumulative" in path.read_text(encoding="utf-8-sig")[:3000] else "cost"
        ratio = lambda x, y: f"{x / y:,.0f}x" if y > 0 else "—"
        print(
            f"| {path.stem} | {vt} | {o['wall'] * 1e3:.1f} / {o['cpu'] * 1e3:.1f} "
            f"| {o['cpu_parse'] * 1e3:.1f} / {o['cpu_rule'] * 1e3:.2f} "
            f"| {r['cpu_parse']:.2f} / {r['cpu_rule']:.3f} "
            f"| {ratio(r['cpu_rule'], o['cpu_rule'])}; {ratio(r['rule'], o['rule'])} "
            f"| {ratio(r['cpu_rule'], o['cpu'])}; {ratio(r['rule'], o['wall'])} "
            f"| {a['wall'] * 1e3:.1f} / {a['cpu'] * 1e3:.1f} | {a['iters']} | {o['fallbacks'] + a['fallbacks']} | {ref_add1} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
