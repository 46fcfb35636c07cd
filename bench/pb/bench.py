#!/usr/bin/env python3
"""Benchmark: `sejahtera pb solve --rule mes` vs pabutools 1.2.3, side by side in one run.

For every .pb file of a folder: our CLI end to end (process start, read, parse, rule, JSON
output) and its in-process read+parse and rule times (--timings), for MES without completion
and with Add1; pabutools' parse and `method_of_equal_shares` times (Add1 only with --peer-add1).
Each figure is the median of --runs runs (pabutools: --peer-runs runs).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path


def ours(binary: Path, path: Path, completion: str, runs: int):
    walls, parse, rule = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(
            [str(binary), "pb", "solve", str(path), "--rule", "mes", "--completion", completion,
             "--format", "json", "--timings"],
            capture_output=True, text=True, check=True,
        )
        walls.append(time.perf_counter() - t0)
        m = re.search(r"parse_ms=([\d.]+) rule_ms=([\d.]+) mes_iterations=(\d+) exact_fallbacks=(\d+)", p.stderr)
        parse.append(float(m.group(1)) / 1e3)
        rule.append(float(m.group(2)) / 1e3)
        iters, fallbacks = int(m.group(3)), int(m.group(4))
    return statistics.median(walls), statistics.median(parse), statistics.median(rule), iters, fallbacks


def peer(path: Path, completion: str, runs: int):
    from pabutools.election import Additive_Cardinal_Sat, Cost_Sat, parse_pabulib
    from pabutools.rules import method_of_equal_shares

    parse, rule = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        inst, prof = parse_pabulib(str(path))
        t1 = time.perf_counter()
        vt = inst.meta.get("vote_type", "approval")
        sat = Additive_Cardinal_Sat if vt in ("cumulative", "scoring") else Cost_Sat
        kw = {"voter_budget_increment": 1} if completion == "add1" else {}
        method_of_equal_shares(inst, prof, sat_class=sat, **kw)
        t2 = time.perf_counter()
        parse.append(t1 - t0)
        rule.append(t2 - t1)
    return statistics.median(parse), statistics.median(rule)


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
    print("| instance | sat | ours MES end-to-end (s) | ours parse / rule (ms) | pabutools parse / MES (s) "
          "| ratio MES rule | ratio pabutools MES vs ours end-to-end | ours MES+Add1 end-to-end (s) "
          "| Add1 iterations | pabutools MES+Add1 (s) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for path in sorted(Path(args.folder).glob("*.pb")):
        w, pp, pr, _, _ = ours(binary, path, "none", args.runs)
        wa, _, _, iters, _ = ours(binary, path, "add1", args.runs)
        ref_parse, ref_rule = peer(path, "none", args.peer_runs)
        ref_add1 = f"{peer(path, 'add1', 1)[1]:.1f}" if args.peer_add1 else "—"
        vt = "points" if "cumulative" in path.read_text(encoding="utf-8-sig")[:3000] else "cost"
        print(
            f"| {path.stem} | {vt} | {w:.4f} | {pp * 1e3:.1f} / {pr * 1e3:.2f} | {ref_parse:.2f} / {ref_rule:.3f} "
            f"| {ref_rule / pr:,.0f}x | {ref_rule / w:,.0f}x | {wa:.4f} | {iters} | {ref_add1} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
