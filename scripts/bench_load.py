#!/usr/bin/env python3
"""P2 and P7 of the federation benchmark, against a running console and fleet (scripts/bench).

    bench_load.py p2 FLEET_JSON CONSOLE_URL DURATION_S TTL_S
    bench_load.py p7 FLEET_JSON CONSOLE_URL SHARD_ID EXPORTER_URL WINDOW_S

Talks to PostgreSQL as the fleet's admin to read pg_stat_activity and pg_stat_statements: the
console's own numbers are never trusted for its own overhead.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import psycopg

PROBE_MARK = "console_shard_counts"


def admin(fleet, port):
    return psycopg.connect(
        host=fleet["host"], port=port, dbname=fleet["shard_database"], user=fleet["admin_user"],
        password=fleet["admin_password"], autocommit=True, application_name="shardscope-bench",
    )


def die(msg):
    """A figure that cannot be taken stops the benchmark with a message, never a wrong number."""
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(1)


def check_page(url):
    """The page under load must be a signed-in page (the overview or a shard's page), not a redirect
    to the sign-in form."""
    req = urllib.request.Request(url, headers={"Cookie": COOKIE})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        resp = urllib.request.build_opener(NoRedirect).open(req, timeout=30)
        body = resp.read().decode("utf-8", "replace")
    except OSError as e:
        die(f"{url} did not answer the signed-in viewer with the page ({e}); is BENCH_COOKIE a live session?")
    if resp.status != 200 or not ("shards answered" in body or 'data-node="primary"' in body):
        die(f"{url} answered {resp.status} without the page: the load would measure something else")


def probe_calls(conn):
    """The console's probe statements counted by pg_stat_statements, or None where the shard has
    no such extension (the demo leaves one shard without it): said, not crashed on."""
    installed = conn.execute(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"
    ).fetchone()
    if not installed:
        return None
    row = conn.execute(
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE %s",
        (f"%{PROBE_MARK}%",),
    ).fetchone()
    return int(row[0])


def p2(fleet_file, url, duration, ttl):
    fleet = json.load(open(fleet_file))
    check_page(url)
    conns = {s["id"]: admin(fleet, s["primary_port"]) for s in fleet["shards"]}
    before = {sid: probe_calls(c) for sid, c in conns.items()}
    peak = {sid: 0 for sid in conns}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for sid, c in conns.items():
                n = c.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'shardscope'"
                ).fetchone()[0]
                peak[sid] = max(peak[sid], n)
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out = subprocess.run(
        ["wrk", "-t2", "-c200", f"-d{duration}s", "--timeout", "10s", "--latency",
         "-H", f"Cookie: {COOKIE}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    stop.set()
    t.join()
    after = {sid: probe_calls(c) for sid, c in conns.items()}
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    reqs = re.search(r"(\d+) requests in", out)
    if not reqs or "50" not in lat or "99" not in lat:
        die("wrk's output has no request count or latency percentiles:\n" + out)
    reqs = reqs.group(1)
    errors = re.search(r"Socket errors: (.*)$", out, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    probes = {sid: (after[sid] - before[sid]) if before[sid] is not None and after[sid] is not None
              else "cannot count: no pg_stat_statements" for sid in conns}
    if all(isinstance(v, str) for v in probes.values()):
        die("no shard has pg_stat_statements: the probe count cannot be taken")
    allowed = int(duration / ttl) + 1
    print(f"P2 viewers: wrk -c 200 -d {duration}s on {url}")
    print(f"  requests {reqs}   p50 {lat.get('50')}   p99 {lat.get('99')}")
    print(f"  socket errors: {errors.group(1) if errors else 'none'}   non-2xx: {non2xx.group(1) if non2xx else 0}")
    print(f"  max console connections per shard (pg_stat_activity, sampled every 50 ms): {max(peak.values())}"
          f"   {peak}")
    print(f"  probes per shard during the run (pg_stat_statements): {probes}"
          f"   allowed at one per {ttl:g} s TTL: <= {allowed}")
    print("  raw wrk output:")
    print("    " + out.strip().replace("\n", "\n    "))


def p7(fleet_file, url, shard_id, exporter_url, window):
    fleet = json.load(open(fleet_file))
    shard = next(s for s in fleet["shards"] if s["id"] == shard_id)
    conn = admin(fleet, shard["primary_port"])
    roles = {"console": "shardscope_monitor", "postgres_exporter": "metrics_exporter"}
    check_page(url)
    try:
        urllib.request.urlopen(exporter_url, timeout=10).read()
    except OSError as e:
        die(f"postgres_exporter at {exporter_url} does not answer ({e})")
    # Never pg_stat_statements_reset(): that would erase every other reader's counts on the shard.
    # The calls are read before and after the window; the difference is this window's.
    def calls():
        out = {}
        for k, role in roles.items():
            row = conn.execute(
                "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid"
                " WHERE r.rolname = %s", (role,),
            ).fetchone()
            out[k] = int(row[0])
        return out

    try:
        before = calls()
    except psycopg.Error as e:
        die(f"pg_stat_statements is not usable on {shard_id} ({e.sqlstate})")
    conn_seconds = {k: 0.0 for k in roles}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for k, role in roles.items():
                n = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (role,)
                ).fetchone()[0]
                conn_seconds[k] += n * 1.0
            time.sleep(1.0)

    def viewer():  # someone keeps the overview open, reloading every second
        while not stop.is_set():
            try:
                req = urllib.request.Request(url, headers={"Cookie": COOKIE})
                urllib.request.urlopen(req, timeout=10).read()
            except OSError:
                pass
            time.sleep(1.0)

    def scraper():  # Prometheus scraping the exporter every 15 s
        while not stop.is_set():
            try:
                urllib.request.urlopen(exporter_url, timeout=10).read()
            except OSError:
                pass
            stop.wait(15.0)

    threads = [threading.Thread(target=f, daemon=True) for f in (sample, viewer, scraper)]
    for t in threads:
        t.start()
    time.sleep(window)
    stop.set()
    for t in threads:
        t.join()
    after = calls()
    stmts = {k: after[k] - before[k] for k in roles}
    minutes = window / 60.0
    page = urllib.parse.urlsplit(url).path or "/"
    print(f"P7 overhead on shard {shard_id}'s primary over {window} s (console at 15 s freshness with a viewer"
          f" reloading {page} every second; postgres_exporter scraped every 15 s):")
    for k in roles:
        print(f"  {k:18} statements/min {stmts[k] / minutes:7.1f}   connection-seconds {conn_seconds[k]:6.0f}"
              f"   (per minute {conn_seconds[k] / minutes:5.1f})")
    ok = stmts["console"] <= stmts["postgres_exporter"] and \
        conn_seconds["console"] <= conn_seconds["postgres_exporter"]
    print(f"  target console <= exporter on both: {'MET' if ok else 'NOT MET'}")


# The session cookie of a signed-in viewer (scripts/bench signs in first): pages need one.
COOKIE = os.environ.get("BENCH_COOKIE", "")

if __name__ == "__main__":
    if sys.argv[1] == "p2":
        p2(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif sys.argv[1] == "p7":
        p7(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        sys.exit("usage: bench_load.py p2|p7 ...")
