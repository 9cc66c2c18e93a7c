#!/usr/bin/env python3
"""Runs every ClickHouse statement the console sends on ClickHouse 26.9 (embedded, chdb) and,
with --server, on a ClickHouse server over HTTP (the test fleet's 18.16), and fails if any
version rejects one.

usage: check_clickhouse_sql.py STATEMENTS.json [--server URL]

STATEMENTS.json is the output of `shardscope-server clickhouse-statements`: a JSON array of
{"name", "kind": "ddl"|"query", "sql"}, the ddl (migrations) first. On each version the checker
builds the schema in a scratch database from the ddl, inserts a few sample rows into each table
(timestamps inside the queries' windows, values matching their filters) and runs every query. The
SQL is sent byte for byte as given. Exit 0: all ran everywhere; 1: some failed; 2: usage error or
chdb missing (scripts/install puts it in .tools/pylib-chdb; run with PYTHONPATH set to it).
Python standard library + chdb only.
"""

import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

USAGE = "usage: check_clickhouse_sql.py STATEMENTS.json [--server URL]"
HTTP_TIMEOUT_S = 60


def usage_error(msg):
    print(f"check_clickhouse_sql: {msg}\n{USAGE}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    path, server = None, None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(USAGE)
            print(__doc__)
            sys.exit(0)
        if a == "--server":
            if i + 1 >= len(argv) or not argv[i + 1]:
                usage_error("--server needs a URL (e.g. http://127.0.0.1:25402)")
            server = argv[i + 1]
            i += 2
            continue
        if a.startswith("--server="):
            server = a.split("=", 1)[1]
            if not server:
                usage_error("--server needs a URL (e.g. http://127.0.0.1:25402)")
        elif a.startswith("-"):
            usage_error(f"unknown option {a}")
        elif path is None:
            path = a
        else:
            usage_error(f"unexpected argument {a}")
        i += 1
    if path is None:
        usage_error("missing STATEMENTS.json")
    if server is not None and not re.match(r"^https?://", server):
        usage_error(f"--server must be an http(s) URL, got {server!r}")
    return path, server


def load_statements(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        usage_error(f"cannot read {path}: {e}")
    if not isinstance(data, list) or not data:
        usage_error(f"{path}: expected a non-empty JSON array of statements")
    seen_query = False
    for i, s in enumerate(data):
        if not (isinstance(s, dict) and isinstance(s.get("name"), str)
                and isinstance(s.get("sql"), str) and s.get("kind") in ("ddl", "query")):
            usage_error(f"{path}: entry {i} is not {{name, kind: ddl|query, sql}}: {s!r:.200}")
        if s["kind"] == "query":
            seen_query = True
        elif seen_query:
            usage_error(f"{path}: ddl entry {s['name']} comes after a query")
    return data


def first_line(text):
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return str(text).strip() or "(empty error message)"


# ---- sample data ------------------------------------------------------------------------------

def anchor_time(statements):
    """The "now" the statements were rendered with: the latest toDateTime(N) in them, so the
    sample rows fall inside every query's window however long ago the file was written."""
    stamps = [int(m) for s in statements for m in re.findall(r"toDateTime\((\d{9,10})\)", s["sql"])]
    return max(stamps) if stamps else int(time.time())


def sample_inserts(now):
    """(label, INSERT) pairs: plain VALUES, DateTime as UTC text (the columns are DateTime('UTC')),
    values matching the panels' sample filters (us-1, core-api, core-api-1, org 101, the route)."""

    def ts(offset):
        return "'" + time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now - offset)) + "'"

    def rows(values):
        return ", ".join("(" + ", ".join(v) + ")" for v in values)

    http = [
        (ts(250), "101", "'us-1'", "'core-api'", "'core-api-1'", "'GET'", "'/v1/appointments'", "200", "12.5", "'r-1'"),
        (ts(200), "101", "'us-1'", "'core-api'", "'core-api-1'", "'GET'", "'/v1/appointments'", "200", "48.0", "'r-2'"),
        (ts(150), "101", "'us-1'", "'core-api'", "'core-api-1'", "'GET'", "'/v1/appointments'", "503", "1500.25", "'r-3'"),
        (ts(100), "202", "'eu-1'", "'billing'", "'billing-1'", "'POST'", "'/v1/invoices'", "200", "30.0", "'r-4'"),
        (ts(3000), "202", "'eu-1'", "'billing'", "'billing-1'", "'POST'", "'/v1/invoices'", "500", "800.0", "'r-5'"),
    ]
    # One instance's counters rise, stall, then restart (drop); a baseline sample just before the
    # hour the waits panels count; a second instance on another shard.
    pool = [
        (ts(3700), "'core-api'", "'core-api-1'", "'us-1'", "10", "4", "6", "20", "100", "5000"),
        (ts(290), "'core-api'", "'core-api-1'", "'us-1'", "10", "5", "5", "20", "110", "5600"),
        (ts(230), "'core-api'", "'core-api-1'", "'us-1'", "12", "9", "3", "20", "125", "6400"),
        (ts(170), "'core-api'", "'core-api-1'", "'us-1'", "12", "7", "5", "20", "125", "6400"),
        (ts(110), "'core-api'", "'core-api-1'", "'us-1'", "4", "1", "3", "20", "3", "90"),
        (ts(200), "'billing'", "'billing-1'", "'eu-1'", "8", "2", "6", "10", "0", "0"),
        (ts(60), "'billing'", "'billing-1'", "'eu-1'", "8", "3", "5", "10", "2", "40"),
    ]
    slow = [
        (ts(240), "'us-1'", "101", "'core-api'", "'r-2'", "1250.5",
         "'SELECT * FROM appointments WHERE org_id = 101 AND status = ''booked'' AND price > 12.50'"),
        (ts(120), "'us-1'", "101", "'core-api'", "'r-3'", "2310.0",
         "'SELECT * FROM appointments WHERE org_id = 7 AND status = ''cancelled'' AND price > 3'"),
        (ts(90), "'eu-1'", "202", "'billing'", "'r-4'", "980.0",
         "'UPDATE invoices SET paid = 1 WHERE id = 42'"),
    ]
    audit = [
        (ts(180), "'u-1'", "'admin'", "'sign_in'", "''", "0", "''", "'127.0.0.1'", "'ok'", "''", "''", "0", "[]",
         "1"),
        (ts(170), "'u-1'", "'admin'", "'view_org'", "'org:101'", "101", "'us-1'", "'127.0.0.1'", "'ok'", "''", "''", "0",
         "[]", "2"),
        (ts(160), "'u-1'", "'support'", "'lookup_patient'", "'phone:k1:ab12'", "0", "''", "'127.0.0.1'", "'ok'",
         "''", "'phone:k1:ab12'", "2", "['us-1','eu-1']", "3"),
    ]
    # A primary and a replica of us-1: one replica sample with its lag unknown (NULL), one paused.
    samples = [
        (ts(240), "'us-1'", "'h:5432/platform'", "'primary'", "1", "''", "12", "3", "8", "1", "0", "100", "1048576",
         "NULL", "NULL", "0", "16384"),
        (ts(240), "'us-1'", "'h:5433/platform'", "'replica'", "1", "''", "0", "0", "0", "0", "0", "0", "0",
         "NULL", "NULL", "0", "NULL"),
        (ts(120), "'us-1'", "'h:5433/platform'", "'replica'", "1", "''", "0", "0", "0", "0", "0", "0", "0",
         "2.5", "4096", "1", "NULL"),
        (ts(60), "'us-1'", "'h:5432/platform'", "'primary'", "0", "'refused'", "0", "0", "0", "0", "0", "0", "0",
         "NULL", "NULL", "0", "NULL"),
    ]
    return [
        ("sample rows/shard_samples", f"INSERT INTO shard_samples VALUES {rows(samples)}"),
        ("sample rows/http_requests", f"INSERT INTO http_requests VALUES {rows(http)}"),
        ("sample rows/pool_stats", f"INSERT INTO pool_stats VALUES {rows(pool)}"),
        ("sample rows/slow_queries", f"INSERT INTO slow_queries VALUES {rows(slow)}"),
        ("sample rows/audit_events", f"INSERT INTO audit_events VALUES {rows(audit)}"),
    ]


# ---- engines ----------------------------------------------------------------------------------

class StatementError(Exception):
    pass


class ChdbEngine:
    role = "chdb"

    def __init__(self):
        from chdb import session  # checked importable in main()
        self._dir = tempfile.TemporaryDirectory(prefix="chk-chdb-")
        self._s = session.Session(self._dir.name)

    def run(self, sql, fmt="TSV"):
        try:
            res = self._s.query(sql, fmt)
        except Exception as e:  # chdb raises ChdbError (a RuntimeError) with the server's message
            raise StatementError(first_line(e)) from None
        err = getattr(res, "error_message", None)
        if callable(err):
            err = err()
        if err:
            raise StatementError(first_line(err))
        return str(res) if res is not None else ""

    def setup(self, db):
        self.run(f"CREATE DATABASE {db}")
        self.run(f"USE {db}")

    def teardown(self, db):
        try:
            self._s.close()
        finally:
            self._dir.cleanup()


class HttpEngine:
    role = "server"

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self._base = urllib.parse.urlunsplit((u.scheme, u.hostname + (f":{u.port}" if u.port else ""), "/", "", ""))
        self._auth = {}
        if u.username:
            self._auth["user"] = urllib.parse.unquote(u.username)
        if u.password:
            self._auth["password"] = urllib.parse.unquote(u.password)
        self._db = None

    def run(self, sql, use_db=True, fmt=None):
        params = dict(self._auth)
        if use_db and self._db:
            params["database"] = self._db
        if fmt:
            params["default_format"] = fmt
        url = self._base + ("?" + urllib.parse.urlencode(params) if params else "")
        req = urllib.request.Request(url, data=sql.encode("utf-8"), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as r:
                return r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:  # ClickHouse: status 500 (or 4xx), message as body
            body = e.read().decode("utf-8", "replace")
            raise StatementError(first_line(body) if body.strip() else f"HTTP {e.code} {e.reason}") from None
        except (urllib.error.URLError, OSError) as e:
            raise StatementError(f"cannot reach {self._base}: {getattr(e, 'reason', e)}") from None

    def setup(self, db):
        self.run(f"CREATE DATABASE {db}", use_db=False)
        self._db = db

    def teardown(self, db):
        self._db = None
        self.run(f"DROP DATABASE IF EXISTS {db}", use_db=False)


def version_label(engine):
    v = engine.run("SELECT version()").strip()
    return ".".join(v.split(".")[:2]) or "?"


def run_all(engine, db, statements, inserts):
    """Runs the ddl, the sample inserts and the queries. Returns (results, extra): results[i] is
    ("ok", rows) or ("fail", message) per statement; extra lists failed inserts."""
    results = [None] * len(statements)
    extra = []
    order = [i for i, s in enumerate(statements) if s["kind"] == "ddl"]
    queries = [i for i, s in enumerate(statements) if s["kind"] == "query"]
    for i in order:
        results[i] = _one(engine, statements[i]["sql"])
    for label, sql in inserts:
        r = _one(engine, sql)
        if r[0] == "fail":
            extra.append((label, r[1]))
    for i in queries:
        results[i] = _one(engine, statements[i]["sql"], statements[i].get("columns") or None)
    return results, extra


def _one(engine, sql, columns=None):
    """Runs one statement. With `columns` (the names of the Rust row it is read into, in order),
    the result's column names must be exactly those: modern servers check them (row validation),
    18.16 does not, so a wrong alias would fail only where the users run."""
    try:
        if columns:
            out = engine.run(sql, fmt="TSVWithNames")
        else:
            out = engine.run(sql)
    except StatementError as e:
        return ("fail", str(e))
    lines = [line for line in out.split("\n") if line]
    if columns:
        names = lines[0].split("\t") if lines else []
        if names != list(columns):
            return ("fail", f"columns {names} but the row reads {list(columns)}")
        lines = lines[1:]
    return ("ok", len(lines))


def main():
    path, server = parse_args(sys.argv[1:])
    statements = load_statements(path)
    try:
        import chdb  # noqa: F401
    except ImportError as e:
        print("check_clickhouse_sql: chdb is not importable (" + str(e) + ").\n"
              "  Run scripts/install (it pip-installs chdb-core==26.9.0 into .tools/pylib-chdb), then\n"
              "  run this with PYTHONPATH=<repo>/.tools/pylib-chdb.", file=sys.stderr)
        sys.exit(2)

    db = f"chk_{os.getpid()}"
    inserts = sample_inserts(anchor_time(statements))
    engines = [ChdbEngine()]
    if server:
        engines.append(HttpEngine(server))

    labels, results, extras, seconds = [], [], [], []
    for eng in engines:
        t0 = time.monotonic()
        try:
            label = version_label(eng)
            eng.setup(db)
        except StatementError as e:
            where = "chdb" if eng.role == "chdb" else server
            print(f"FAIL cannot set up a scratch database on {where}: {e}", file=sys.stderr)
            if eng.role == "server":
                try:
                    eng.teardown(db)
                except StatementError:
                    pass
            sys.exit(1)
        try:
            r, x = run_all(eng, db, statements, inserts)
        finally:
            try:
                eng.teardown(db)
            except StatementError as e:
                print(f"warning: could not drop scratch database {db} ({eng.role}): {e}", file=sys.stderr)
        labels.append(label)
        results.append(r)
        extras.append(x)
        seconds.append(time.monotonic() - t0)

    width = max(len(x) for x in labels)
    nwidth = len(str(len(statements)))
    failures = []
    row_diffs = []
    for i, s in enumerate(statements):
        per = [res[i] for res in results]
        ok = all(p[0] == "ok" for p in per)
        cols = "  ".join((lab if p[0] == "ok" else "-" * len(lab)).ljust(width) for lab, p in zip(labels, per))
        rows = [p[1] for p in per if p[0] == "ok"]
        note = ""
        if s["kind"] == "query" and ok:
            note = f"  ({rows[0]} rows)" if len(set(rows)) == 1 else "  (rows " + ", ".join(
                f"{lab}: {n}" for lab, n in zip(labels, rows)) + ")"
            if len(set(rows)) > 1:
                row_diffs.append(f"[{i:0{nwidth}}] {s['name']}")
        print(f"{'ok  ' if ok else 'FAIL'} {cols}  [{i:0{nwidth}}] {s['name']}{note}")
        for lab, p in zip(labels, per):
            if p[0] == "fail":
                print(f"       {lab}: {p[1]}")
                failures.append(f"[{i:0{nwidth}}] {s['name']} on {lab}: {p[1]}")
    for lab, x in zip(labels, extras):
        for label, msg in x:
            print(f"FAIL {label} on {lab} (the checker's sample rows): {msg}")
            failures.append(f"{label} on {lab}: {msg}")

    where = " and ".join(f"{lab} ({eng.role})" for lab, eng in zip(labels, engines))
    took = ", ".join(f"{lab} {sec:.1f}s" for lab, sec in zip(labels, seconds))
    if row_diffs:
        print(f"note: row counts differ between versions for {len(row_diffs)} queries: " + "; ".join(row_diffs))
    if failures:
        print(f"{len(failures)} failure(s) running {len(statements)} statements on ClickHouse {where}:")
        for f in failures:
            print(f"  {f}")
        sys.exit(1)
    print(f"{len(statements)} statements ran on ClickHouse {where}: all passed ({took})")


if __name__ == "__main__":
    main()
