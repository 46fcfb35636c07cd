#!/usr/bin/env python3
"""Prepares the work of bench/web/staff.lua: signs the demo's agency operators in through
the API and writes a Lua file with their session cookies and CSRF tokens, the households
to decide on (eligible for a program, in no decision of it yet) and the participants and
training sessions to record attendance for.

Usage: staff_data.py BASE_URL BIN DB OUT.lua [PER_PROGRAM]
  The eligible households of each program are listed by
  `BIN --db DB eligibility list '<the program's expression>'` (the same registry).
"""
import csv
import http.cookiejar
import io
import json
import subprocess
import sys
import urllib.request
import zlib

# The demo's agency operators and the agencies they work for (crates/app/src/accounts.rs
# DEMO_USERS, crates/app/src/demo_programs.rs AGENCY_*), and their password.
ACCOUNTS = {
    "opd.p3a.kupang": "Dinas Pemberdayaan Perempuan dan Perlindungan Anak Kota Kupang",
    "opd.koperasi.kupang": "Dinas Koperasi, Usaha Kecil dan Menengah Kota Kupang",
    "opd.pertanian.sarolangun": "Dinas Pertanian Kabupaten Sarolangun",
    "opd.koperasi.sarolangun": "Dinas Koperasi, Usaha Kecil, Menengah dan Perdagangan Kabupaten Sarolangun",
}
PASSWORD = "sejahtera-demo"
PARTICIPANT = {"enrolled", "active", "graduated"}


class Client:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        with self.opener.open(req) as r:
            return json.load(r)

    def login(self, user):
        r = self.call("POST", "/api/v1/session", {"username": user, "password": PASSWORD})
        self.csrf = r["csrf_token"]
        self.user = r["user"]

    def cookie(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def lua_str(s):
    return json.dumps(s)  # a JSON string of ASCII is a valid Lua string literal


def main():
    base, binary, db, out = sys.argv[1:5]
    per_program = int(sys.argv[5]) if len(sys.argv) > 5 else 300
    clients = {}
    for a in ACCOUNTS:
        c = Client(base)
        c.login(a)
        clients[a] = c
    programs = Client(base).call("GET", "/api/v1/programs")["items"]
    by_agency = {agency: name for name, agency in ACCOUNTS.items()}
    decisions, marks, summary = [], [], []
    for p in programs:
        account = by_agency.get(p["agency"])
        if account is None:
            continue
        c = clients[account]
        enrolled = c.call("GET", f"/api/v1/programs/{p['id']}/enrollments")["items"]
        in_program = {e["no_kk"] for e in enrolled}
        participants = sorted(e["no_kk"] for e in enrolled if e["status"] in PARTICIPANT)
        sessions = [s["id"] for s in c.call("GET", f"/api/v1/programs/{p['id']}/sessions")["items"]]
        listed = subprocess.run([binary, "--db", db, "--quiet", "eligibility", "list", p["eligibility"]],
                                check=True, capture_output=True, text=True).stdout
        fresh = [row["no_kk"] for row in csv.DictReader(io.StringIO(listed))
                 if row["no_kk"] not in in_program]
        fresh = fresh[:per_program]
        decisions += [(p["id"], account, kk) for kk in fresh]
        if participants:
            marks += [(s, account, participants) for s in sessions]
        summary.append(f"program {p['id']} ({account}): {len(fresh)} households to decide on, "
                       f"{len(participants)} participants, {len(sessions)} sessions")
    # Interleave the programs so that every stretch of requests spreads over them.
    decisions.sort(key=lambda d: (zlib.crc32(f"{d[0]}:{d[2]}".encode()), d))
    with open(out, "w", encoding="utf-8") as f:
        f.write("accounts = {\n")
        for name, c in clients.items():
            f.write(f"  [{lua_str(name)}] = {{ cookie = {lua_str(c.cookie())}, csrf = {lua_str(c.csrf)} }},\n")
        f.write("}\ndecisions = {\n")
        for pid, account, kk in decisions:
            f.write(f"  {{ program = {pid}, account = {lua_str(account)}, no_kk = {lua_str(kk)} }},\n")
        f.write("}\nmarks = {\n")
        for sid, account, kks in marks:
            f.write(f"  {{ session = {sid}, account = {lua_str(account)}, no_kk = {{ "
                    + ", ".join(lua_str(k) for k in kks) + " } },\n")
        f.write("}\n")
    for line in summary:
        print(line)
    print(f"{len(decisions)} households to decide on, {len(marks)} sessions to record attendance for")


if __name__ == "__main__":
    main()
