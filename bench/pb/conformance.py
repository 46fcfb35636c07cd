#!/usr/bin/env python3
"""Conformance of `sejahtera pb solve` against pabutools 1.2.3.

For every .pb file of a folder (default ../shared/data/pabulib relative to the repository) and
every rule x completion x satisfaction that applies to its ballot type, runs pabutools and
sejahtera and compares the funded projects: in selection order for greedy and MES (pabutools
returns them in that order), as a set for Phragmén (pabutools returns a sorted allocation).

Run through conformance.sh, which creates the virtual environment and builds the release binary.
Each pabutools case runs in its own process with a time limit (--timeout, seconds; 0 = none);
a case that exceeds it is reported as `timeout`, never as a match.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import subprocess
import sys
import time
from pathlib import Path

SATS_APPROVAL = ["cost", "cardinality"]
SATS_POINTS = ["points"]


def cases_for(vote_type: str):
    sats = SATS_POINTS if vote_type in ("cumulative", "scoring") else SATS_APPROVAL
    for sat in sats:
        yield ("greedy", "none", sat)
        for completion in ("none", "add1", "greedy"):
            yield ("mes", completion, sat)
    if vote_type in ("approval", "choose-1"):
        yield ("phragmen", "none", "-")


def pabutools_case(path: str, rule: str, completion: str, sat: str, queue) -> None:
    from pabutools.election import (
        Additive_Cardinal_Sat,
        Cardinality_Sat,
        Cost_Sat,
        parse_pabulib,
    )
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
        sequential_phragmen,
    )

    sat_class = {"cost": Cost_Sat, "cardinality": Cardinality_Sat, "points": Additive_Cardinal_Sat}.get(sat)
    t0 = time.perf_counter()
    inst, prof = parse_pabulib(path)
    t1 = time.perf_counter()
    if rule == "greedy":
        res = greedy_utilitarian_welfare(inst, prof, sat_class=sat_class)
    elif rule == "phragmen":
        res = sequential_phragmen(inst, prof)
    elif completion == "none":
        res = method_of_equal_shares(inst, prof, sat_class=sat_class)
    elif completion == "add1":
        res = method_of_equal_shares(inst, prof, sat_class=sat_class, voter_budget_increment=1)
    else:
        res = completion_by_rule_combination(
            inst,
            prof,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": sat_class}, {"sat_class": sat_class}],
        )
    t2 = time.perf_counter()
    queue.put(([p.name for p in res], t1 - t0, t2 - t1))


def run_pabutools(path: Path, rule: str, completion: str, sat: str, timeout: float):
    queue = mp.Queue()
    proc = mp.Process(target=pabutools_case, args=(str(path), rule, completion, sat, queue))
    proc.start()
    try:
        result = queue.get(timeout=timeout if timeout > 0 else None)
    except Exception:
        proc.kill()
        proc.join()
        return None
    proc.join()
    return result


def run_ours(binary: Path, path: Path, rule: str, completion: str, sat: str, timeout: float):
    cmd = [str(binary), "pb", "solve", str(path), "--rule", rule, "--completion", completion, "--format", "json"]
    if sat != "-":
        cmd += ["--sat", sat]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout if timeout > 0 else None)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - t0
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout)["selected"], elapsed


def vote_type_of(path: Path) -> str:
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            parts = line.strip().split(";")
            if parts[0].strip() == "vote_type" and len(parts) > 1:
                return parts[1].strip()
            if parts[0].strip().upper() == "PROJECTS":
                break
    return "approval"


def stored(path: Path, rule: str, completion: str, sat: str):
    """The stored pabutools outcome of a long case (bench/pb/reference), if any."""
    ref = Path(__file__).resolve().parent / "reference" / f"{path.stem}.{rule}.{completion}.{sat}.json"
    return json.loads(ref.read_text()) if ref.exists() else None


def main() -> int:
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?", default=str(repo.parent / "shared" / "data" / "pabulib"))
    ap.add_argument("--binary", default=str(repo / "target" / "release" / "sejahtera"))
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per pabutools case; 0 = no limit")
    ap.add_argument("--only", default="", help="substring filter on file names")
    ap.add_argument("--json", default="", help="also write the rows as JSON to this file")
    args = ap.parse_args()

    files = sorted(p for p in Path(args.folder).glob("*.pb") if args.only in p.name)
    if not files:
        print(f"no .pb files in {args.folder}", file=sys.stderr)
        return 2
    rows = []
    print("| instance | rule | completion | sat | pabutools (s) | sejahtera (s) | compared | result |")
    print("|---|---|---|---|---:|---:|---|---|")
    for path in files:
        vt = vote_type_of(path)
        for rule, completion, sat in cases_for(vt):
            ours, ours_t = run_ours(Path(args.binary), path, rule, completion, sat, args.timeout)
            ref = None if ours is None else run_pabutools(path, rule, completion, sat, args.timeout)
            how = "set" if rule == "phragmen" else "order"
            if ours is None:
                result, ref_t = "timeout (sejahtera)", None
            elif ref is None and stored(path, rule, completion, sat) is not None:
                # pabutools exceeded the limit here; its outcome computed once without a limit
                # (bench/pb/reference, pabutools_one.py) is the reference.
                stored_ref = stored(path, rule, completion, sat)
                names, ref_t = stored_ref["selected"], stored_ref["rule_s"]
                same = sorted(names) == sorted(ours) if how == "set" else names == ours
                result = ("identical" if same else f"DIFFERENT: pabutools {names} vs ours {ours}") + " (stored pabutools run)"
            elif ref is None:
                result, ref_t = "timeout", None
            else:
                names, _parse_t, ref_t = ref
                same = sorted(names) == sorted(ours) if how == "set" else names == ours
                result = "identical" if same else f"DIFFERENT: pabutools {names} vs ours {ours}"
            row = {
                "instance": path.name,
                "rule": rule,
                "completion": completion if rule == "mes" else "-",
                "sat": sat,
                "pabutools_s": ref_t,
                "sejahtera_s": ours_t,
                "compared": how,
                "result": result,
            }
            rows.append(row)
            ref_s = f"{ref_t:.3f}" if ref_t is not None else f"> {args.timeout:.0f}"
            print(
                f"| {path.stem} | {rule} | {row['completion']} | {sat} | {ref_s} | {ours_t:.3f} | {how} | {result} |",
                flush=True,
            )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    bad = [r for r in rows if r["result"].startswith("DIFFERENT")]
    timeouts = [r for r in rows if r["result"].startswith("timeout")]
    print(f"\n{len(rows)} cases: {len(rows) - len(bad) - len(timeouts)} identical, {len(bad)} different, {len(timeouts)} timed out")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
