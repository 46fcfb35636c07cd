"""DuckDB side of the eligibility benchmark (issue 6).

Loads households.parquet and persons.parquet (written by `bench_eligibility gen`)
into native in-memory DuckDB tables, then times the SQL equivalent of

    desil <= 4 and kepala.jenis_kelamin == "P" and any(anggota, umur >= 18 and umur <= 55)

counted per district (households and all their members), in two formulations:
a head join with EXISTS, and one GROUP BY over persons. Coded values are small
integers as on the Rust side (jenis_kelamin 2 = P, hubungan 1 = kepala). Prints
the median of each and checks both against ours.csv.

usage: duckdb_eligibility.py DATA_DIR RUNS THREADS
"""

import csv
import statistics
import sys
import time

import duckdb

QUERIES = {
    "head join + EXISTS": """
        SELECT h.district, count(*) AS households, sum(h.size) AS persons
        FROM households h
        JOIN persons k ON k.pid = h.head
        WHERE h.desil <= 4
          AND k.jenis_kelamin = 2
          AND EXISTS (SELECT 1 FROM persons p WHERE p.hh = h.hh AND p.umur >= 18 AND p.umur <= 55)
        GROUP BY h.district ORDER BY h.district
    """,
    "GROUP BY persons": """
        WITH m AS (
            SELECT hh,
                   bool_or(hubungan = 1 AND jenis_kelamin = 2) AS female_head,
                   bool_or(umur >= 18 AND umur <= 55) AS adult,
                   count(*) AS size
            FROM persons GROUP BY hh
        )
        SELECT h.district, count(*) AS households, sum(m.size) AS persons
        FROM households h JOIN m ON m.hh = h.hh
        WHERE h.desil <= 4 AND m.female_head AND m.adult
        GROUP BY h.district ORDER BY h.district
    """,
}


def main():
    data, runs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    t = time.perf_counter()
    con.execute(f"CREATE TABLE households AS SELECT * FROM read_parquet('{data}/households.parquet')")
    con.execute(f"CREATE TABLE persons AS SELECT * FROM read_parquet('{data}/persons.parquet')")
    print(f"duckdb {duckdb.__version__}: loaded in {time.perf_counter() - t:.2f} s", file=sys.stderr)
    ours = {}
    with open(f"{data}/ours.csv") as f:
        for row in csv.DictReader(f):
            if row["households"] != "0":
                ours[int(row["district"])] = (int(row["households"]), int(row["persons"]))
    best = None
    for name, q in QUERIES.items():
        times = []
        cpu0 = time.process_time()
        for i in range(runs):
            t0 = time.perf_counter()
            rows = con.execute(q).fetchall()
            times.append(time.perf_counter() - t0)
        cpu = time.process_time() - cpu0
        got = {int(d): (int(h), int(p)) for d, h, p in rows}
        same = got == ours
        med = statistics.median(times)
        print(
            f"duckdb [{name}]: median {med:.4f} s (runs: {', '.join(f'{x:.4f}' for x in times)}), "
            f"same counts as ours: {same}; CPU time of the {runs} runs {cpu:.2} s (user+sys), wall {sum(times):.2} s"
        )
        if not same:
            sys.exit(f"count mismatch for {name}")
        best = med if best is None else min(best, med)
    print(f"duckdb best median {best:.4f}")


if __name__ == "__main__":
    main()
