#!/usr/bin/env python3
"""Per-binary and per-tier test floors: a checked-in minimum for each, so a test module dropped
from a `main.rs`, a lost test binary, or a tier that quietly runs fewer tests fails the run instead
of passing on whatever is left. Raise a floor when tests are added (scripts/test-floors.txt).

usage:
  test_floors.py binaries FLOORS NEXTEST_LIST.json   every nextest binary named in FLOORS exists
                                                     and holds at least its floor of tests
  test_floors.py tier FLOORS NAME COUNT              the tier NAME ran at least its floor
  test_floors.py skips FLOORS COUNT                  Playwright skipped no more than its cap
"""

import json
import sys


def read_floors(path):
    floors = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            key, _, value = line.rpartition(" ")
            if not key or not value.isdigit():
                raise SystemExit(f"{path}:{n}: expected 'NAME NUMBER', got {line!r}")
            floors[key.strip()] = int(value)
    return floors


def binaries(floors, list_path):
    with open(list_path, encoding="utf-8") as f:
        listing = json.load(f)
    counts = {}
    for binary_id, suite in listing.get("rust-suites", {}).items():
        cases = suite.get("testcases", {})
        counts[binary_id] = sum(1 for c in cases.values() if not c.get("ignored", False))
    bad = []
    for key, floor in sorted(floors.items()):
        if not key.startswith("binary:"):
            continue
        name = key[len("binary:"):]
        have = counts.get(name)
        if have is None:
            bad.append(f"binary {name}: missing (floor {floor})")
        elif have < floor:
            bad.append(f"binary {name}: {have} tests, below its floor of {floor}")
        else:
            print(f"    binary {name}: {have} tests (floor {floor})")
    unlisted = sorted(b for b, n in counts.items() if n > 0 and f"binary:{b}" not in floors)
    for b in unlisted:
        bad.append(f"binary {b}: {counts[b]} tests but no floor in the floors file (add one)")
    for b in bad:
        print(f"test_floors: {b}", file=sys.stderr)
    return 1 if bad else 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    mode, floors = argv[0], read_floors(argv[1])
    if mode == "binaries" and len(argv) == 3:
        return binaries(floors, argv[2])
    if mode == "tier" and len(argv) == 4:
        name, count = argv[2], int(argv[3])
        floor = floors.get(f"tier:{name}")
        if floor is None:
            print(f"test_floors: tier {name!r} has no floor in {argv[1]}", file=sys.stderr)
            return 1
        if count < floor:
            print(f"test_floors: tier {name!r} ran {count} tests, below its floor of {floor}",
                  file=sys.stderr)
            return 1
        print(f"    floor: {count} >= {floor}")
        return 0
    if mode == "skips" and len(argv) == 3:
        cap, count = floors.get("playwright-skips-max", 0), int(argv[2])
        if count > cap:
            print(f"test_floors: Playwright skipped {count} tests, more than its cap of {cap}",
                  file=sys.stderr)
            return 1
        print(f"    Playwright skips: {count} (cap {cap})")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
