#!/usr/bin/env python3
"""Reads Playwright's JSON report and says how many tests were expected to run, ran and passed,
and which were skipped and why. Fails if any test failed or was flaky, if none passed, or if a
test was skipped without a declared reason (a skip nobody wrote is a test that silently did not
run). Prints "N expected, P passed, S skipped (declared)" for scripts/test's tier count.

usage: playwright_counts.py REPORT.json
"""

import json
import sys


def walk(suite, out):
    for spec in suite.get("specs", []):
        for test in spec.get("tests", []):
            results = test.get("results", [])
            status = results[-1].get("status") if results else "skipped"
            reasons = [a.get("description", "") for a in test.get("annotations", [])
                       if a.get("type") == "skip"]
            out.append((f"{spec.get('file', '?')}: {spec.get('title', '?')} [{test.get('projectName', '?')}]",
                        test.get("status"), status, reasons))
    for child in suite.get("suites", []):
        walk(child, out)


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print(f"playwright_counts: cannot read {argv[0]}: {e}", file=sys.stderr)
        return 2
    tests = []
    for suite in report.get("suites", []):
        walk(suite, tests)
    passed = [t for t in tests if t[2] == "passed" and t[1] == "expected"]
    skipped = [t for t in tests if t[1] == "skipped"]
    undeclared = [t for t in skipped if not any(r.strip() for r in t[3])]
    bad = [t for t in tests if t[1] in ("unexpected", "flaky")]
    for name, _, _, reasons in skipped:
        print(f"  skipped: {name} — {'; '.join(reasons) or 'NO REASON GIVEN'}")
    for name, outcome, status, _ in bad:
        print(f"  {outcome}: {name} ({status})")
    expected = len(tests) - len(skipped)
    print(f"{expected} expected, {len(passed)} passed, {len(skipped)} skipped (declared: "
          f"{len(skipped) - len(undeclared)})")
    if bad:
        print(f"playwright_counts: {len(bad)} test(s) failed or were flaky", file=sys.stderr)
        return 1
    if not passed or len(passed) != expected:
        print(f"playwright_counts: {len(passed)} of {expected} expected tests passed", file=sys.stderr)
        return 1
    if undeclared:
        print(f"playwright_counts: {len(undeclared)} test(s) skipped without a declared reason",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
