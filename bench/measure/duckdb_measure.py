"""DuckDB side of the measure benchmark, and the exactness check.

Loads the columns written by `bench_measure gen` into an in-memory DuckDB
table, computes every indicator of `sejahtera measure` for every group and for
the whole input (group -1) with SQL (2 threads, several runs, median), then
compares every statistic of every group with the Rust output and reports the
largest relative difference.

usage: duckdb_measure.py DATA_DIR RUNS OURS.csv
"""

import csv
import math
import statistics
import sys
import time

import duckdb
import numpy as np
import pyarrow as pa

COLUMNS = [
    "n", "population", "mean", "median", "p0", "p1", "p2", "p0_se", "p1_se", "p2_se",
    "gini", "theil_t", "mld", "atkinson_0_5", "atkinson_1", "atkinson_2", "palma",
    "poor_population",
]

# The same definitions as crates/measure, in SQL. Group -1 is the whole input:
# its rows are appended to the table once more (UNION ALL), so one partitioned
# window pass sorts every group and the total.
QUERY = """
WITH base AS (
    SELECT g, y, w, z, c FROM t
    UNION ALL
    SELECT -1 AS g, y, w, z, c FROM t
),
x AS (
    SELECT g, y, w, c,
           CASE WHEN y < z THEN 1.0 ELSE 0.0 END AS x0,
           CASE WHEN y < z THEN (z - y) / z ELSE 0.0 END AS x1,
           CASE WHEN y < z THEN ((z - y) / z) * ((z - y) / z) ELSE 0.0 END AS x2
    FROM base
),
mom AS (
    -- DuckDB identifiers are case-insensitive: the group weight is `pop`, not `W`.
    SELECT g, count(*) AS n, sum(w) AS pop, sum(w * y) AS T,
           sum(w * x0) AS a0, sum(w * x1) AS a1, sum(w * x2) AS a2,
           sum(CASE WHEN y > 0 THEN w * y * ln(y) ELSE 0 END) AS wylny,
           sum(CASE WHEN y > 0 THEN w * ln(y) ELSE 0 END) AS wlny,
           sum(w * sqrt(y)) AS wsqrt,
           sum(CASE WHEN y > 0 THEN w / y ELSE 0 END) AS winv,
           count(*) FILTER (WHERE y = 0) AS zeros
    FROM x GROUP BY g
),
clu AS (
    SELECT g, c, sum(w * x0) AS a0, sum(w * x1) AS a1, sum(w * x2) AS a2, sum(w) AS b
    FROM x GROUP BY g, c
),
se AS (
    SELECT clu.g,
           sqrt(coalesce(count(*) * var_samp((clu.a0 - mom.a0 / mom.pop * clu.b) / mom.pop), 0)) AS p0_se,
           sqrt(coalesce(count(*) * var_samp((clu.a1 - mom.a1 / mom.pop * clu.b) / mom.pop), 0)) AS p1_se,
           sqrt(coalesce(count(*) * var_samp((clu.a2 - mom.a2 / mom.pop * clu.b) / mom.pop), 0)) AS p2_se
    FROM clu JOIN mom USING (g) GROUP BY clu.g
),
cum AS (
    SELECT g, y, w,
           sum(w) OVER win AS S,
           sum(w * y) OVER win AS C,
           sum(w) OVER (PARTITION BY g) AS wg
    FROM base
    WINDOW win AS (PARTITION BY g ORDER BY y ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
ord AS (
    SELECT g,
           sum(w * y * (2 * S - w - wg)) AS gini_num,
           min(y) FILTER (WHERE 2 * S >= wg) AS median,
           arg_min(C - w * y + (0.4 * wg - (S - w)) * y, S) FILTER (WHERE S >= 0.4 * wg) AS t40,
           arg_min(C - w * y + (0.9 * wg - (S - w)) * y, S) FILTER (WHERE S >= 0.9 * wg) AS t90
    FROM cum GROUP BY g
)
SELECT mom.g, n, pop AS population, T / pop AS mean, median,
       a0 / pop AS p0, a1 / pop AS p1, a2 / pop AS p2, p0_se, p1_se, p2_se,
       CASE WHEN T > 0 THEN gini_num / (pop * T) END AS gini,
       CASE WHEN T > 0 THEN wylny / T - ln(T / pop) END AS theil_t,
       CASE WHEN T > 0 AND zeros = 0 THEN ln(T / pop) - wlny / pop END AS mld,
       CASE WHEN T > 0 THEN 1 - (wsqrt / pop) * (wsqrt / pop) / (T / pop) END AS atkinson_0_5,
       CASE WHEN T > 0 AND zeros = 0 THEN 1 - exp(wlny / pop) / (T / pop) END AS atkinson_1,
       CASE WHEN T > 0 AND zeros = 0 THEN 1 - 1 / ((T / pop) * (winv / pop)) END AS atkinson_2,
       CASE WHEN T > 0 AND t40 > 0 THEN (T - coalesce(t90, T)) / t40 END AS palma,
       a0 AS poor_population
FROM mom JOIN se USING (g) JOIN ord USING (g)
ORDER BY mom.g
"""


def load(data):
    y = np.fromfile(f"{data}/income.f64", dtype="<f8")
    w = np.fromfile(f"{data}/weight.f64", dtype="<f8")
    z = np.fromfile(f"{data}/line.f64", dtype="<f8")
    g = np.fromfile(f"{data}/group.u32", dtype="<u4").astype(np.int32)
    c = np.fromfile(f"{data}/cluster.u32", dtype="<u4").astype(np.int32)
    return pa.table({"g": g, "y": y, "w": w, "z": z, "c": c})


def rel(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def main():
    data, runs, ours_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    con = duckdb.connect()
    con.execute("SET threads = 2")
    arrow_table = load(data)
    con.execute("CREATE TABLE t AS SELECT * FROM arrow_table")
    del arrow_table
    times = []
    result = None
    for r in range(runs):
        t0 = time.perf_counter()
        result = con.execute(QUERY).fetchall()
        dt = time.perf_counter() - t0
        times.append(dt)
        print(f"duckdb run {r + 1}: {dt:.3f} s", flush=True)
    print(f"duckdb {duckdb.__version__} median {statistics.median(times):.3f} s")

    theirs = {int(row[0]): row[1:] for row in result}
    worst = {c: (0.0, None) for c in COLUMNS}
    null_mismatch = 0
    with open(ours_path) as f:
        ours = {int(r["g"]): r for r in csv.DictReader(f)}
    if set(ours) != set(theirs):
        print(f"GROUP MISMATCH: ours {len(ours)} groups, duckdb {len(theirs)}")
        sys.exit(1)
    for g, row in ours.items():
        for i, col in enumerate(COLUMNS):
            a = row[col]
            b = theirs[g][i]
            if a == "" or b is None or (isinstance(b, float) and math.isnan(b)):
                if not (a == "" and (b is None or math.isnan(b))):
                    null_mismatch += 1
                    print(f"undefined mismatch: group {g} {col}: ours {a!r} duckdb {b!r}")
                continue
            d = rel(float(a), float(b))
            if d > worst[col][0]:
                worst[col] = (d, g)
    overall = max(v[0] for v in worst.values())
    print("max relative difference per statistic (group):")
    for col in COLUMNS:
        print(f"  {col:<16} {worst[col][0]:.3e} ({worst[col][1]})")
    print(f"compared {len(ours)} rows x {len(COLUMNS)} statistics; undefined mismatches {null_mismatch}; "
          f"max relative difference {overall:.3e}")
    if overall > 1e-9 or null_mismatch:
        print("FAIL: differences above 1e-9 relative")
        sys.exit(1)
    print("OK: every statistic agrees within 1e-9 relative")


if __name__ == "__main__":
    main()
