#!/usr/bin/env python3
"""Check the guarantee ledger: every test it names exists.

Usage (from the repository root):

    python3 scripts/check_ledger.py docs/testing.md

The ledger is the Markdown table under the heading `## Guarantee ledger`, with the columns
`| doc | guarantee | test |`. Every backticked reference in a row's test cell is one of

    `path/to/file.rs::test_fn_name`           a Rust test (path from the repository root)
    `end2end/tests/file.spec.ts::exact title`  a Playwright test (its title as in the source)

several separated by `<br>`; or the cell starts with `**none**` (no test holds the guarantee:
counted, not a failure). A Rust reference holds when the file contains `fn name(` (optionally
`pub`, `async`) carrying a `#[test]` or `#[tokio::test…]` attribute among the lines just above
it, or defined inside a `proptest!` block. A Playwright reference holds when the file calls
`test(` (or `test.only(` / `test.skip(` / `test.fixme(`) with exactly that title as a '…', "…"
or `…` string literal (a template literal's title is compared as written, `${…}` included).

It does not judge whether a test checks what its row says: that is the ledger's job. It exits 1
if any named test is missing, a test cell is malformed, or the ledger is not found or has fewer
than MIN_ROWS rows.
"""

import os
import re
import sys

HEADING = "## Guarantee ledger"
COLUMNS = ["doc", "guarantee", "test"]
MIN_ROWS = 40
# How many lines above `fn` may hold its attributes, doc comments and other attributes.
ATTRIBUTE_WINDOW = 12

RUST_REF = re.compile(r"^(?P<path>[\w./-]+\.rs)::(?P<name>[A-Za-z_][A-Za-z0-9_]*)$")
PLAYWRIGHT_REF = re.compile(r"^(?P<path>[\w./-]+\.spec\.ts)::(?P<title>.+)$")
# A span that names a test file but is not a well-formed reference.
LOOKS_LIKE_REF = re.compile(r"\.(rs|spec\.ts)(::|\b)")
TEST_ATTRIBUTE = re.compile(r"#\[\s*(?:tokio::)?test\b")


def split_row(line):
    """The cells of a Markdown table row; `|` inside backticks or escaped as `\\|` stays in its cell."""
    text = line.strip()
    if not (text.startswith("|") and text.endswith("|")):
        return None
    cells, cell, in_code, i = [], [], False, 1
    body = text[: len(text)]
    while i < len(body) - 1:
        c = body[i]
        if c == "\\" and i + 1 < len(body) - 1 and body[i + 1] == "|":
            cell.append("|")
            i += 2
            continue
        if c == "`":
            in_code = not in_code
        if c == "|" and not in_code:
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(c)
        i += 1
    cells.append("".join(cell).strip())
    return cells


def ledger_rows(markdown):
    """(line number, cells) of every data row of the ledger table; raises ValueError if absent."""
    lines = markdown.split("\n")
    start = next((i for i, l in enumerate(lines) if l.strip() == HEADING), None)
    if start is None:
        raise ValueError(f"no '{HEADING}' heading")
    i = start + 1
    # The section ends at the next heading of the same or a higher level.
    end = next(
        (j for j in range(i, len(lines)) if re.match(r"^#{1,2} ", lines[j])), len(lines)
    )
    header = None
    while i < end:
        cells = split_row(lines[i])
        if cells is not None:
            header = i
            break
        i += 1
    if header is None:
        raise ValueError(f"no table under '{HEADING}'")
    names = [c.lower() for c in split_row(lines[header])]
    if names != COLUMNS:
        raise ValueError(f"the table's columns are {names}, not {COLUMNS}")
    separator = split_row(lines[header + 1]) if header + 1 < end else None
    if not separator or not all(re.fullmatch(r":?-{3,}:?", c) for c in separator):
        raise ValueError("the table's header is not followed by a |---| separator row")
    rows = []
    for n in range(header + 2, end):
        cells = split_row(lines[n])
        if cells is None:
            if lines[n].strip():
                break  # the table ended
            continue
        rows.append((n + 1, cells))
    return rows


def strip_strings_and_comments(text):
    """Rust source with string literals and comments blanked (newlines kept), for brace counting."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:]):
            hashes = re.match(r"r(#*)\"", text[i:]).group(1)
            close = '"' + hashes
            j = text.find(close, i + 2 + len(hashes))
            j = n if j < 0 else j + len(close)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'" and re.match(r"'(\\.|[^\\'\n])'", text[i:]):
            m = re.match(r"'(\\.|[^\\'\n])'", text[i:])
            out.append(" " * len(m.group(0)))
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def inside_proptest(code, offset):
    """Whether `offset` in (string-stripped) Rust `code` lies inside a `proptest! { … }` block."""
    for m in re.finditer(r"\bproptest!\s*\{", code[:offset]):
        depth = 0
        for c in code[m.end() - 1 : offset]:
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    break
        if depth > 0:
            return True
    return False


def read_cached(root, path, cache, derive=None):
    """The file's text (and `derive(text)`, when given), read once per run; None if no file."""
    full = os.path.join(root, path)
    if full not in cache:
        if not os.path.isfile(full):
            return None
        with open(full, encoding="utf-8") as f:
            text = f.read()
        cache[full] = (text, derive(text) if derive else None)
    return cache[full]


def rust_test_exists(root, path, name, cache):
    """None if the test exists, else why not."""
    read = read_cached(root, path, cache, strip_strings_and_comments)
    if read is None:
        return f"no file {path}"
    text, code = read
    lines = text.split("\n")
    fn = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+" + re.escape(name) + r"\s*[(<]")
    found_fn = False
    offset = 0
    for i, line in enumerate(lines):
        if fn.match(line):
            found_fn = True
            above = lines[max(0, i - ATTRIBUTE_WINDOW) : i]
            # Walk up over attributes, doc comments, comments and blank lines only.
            for prev in reversed(above):
                s = prev.strip()
                if TEST_ATTRIBUTE.search(s):
                    return None
                if not (s == "" or s.startswith("#[") or s.startswith("//") or s.endswith(")]")
                        or s.startswith("#![")):
                    break
            if inside_proptest(code, offset + len(line) - len(line.lstrip())):
                return None
        offset += len(line) + 1
    if found_fn:
        return f"fn {name}( in {path} carries no #[test] / #[tokio::test] attribute and is not in a proptest! block"
    return f"no fn {name}( in {path}"


def playwright_test_exists(root, path, title, cache):
    """None if a test with this exact title exists, else why not."""
    read = read_cached(root, path, cache)
    if read is None:
        return f"no file {path}"
    text = read[0]
    call = r"\btest(?:\.(?:only|skip|fixme))?\(\s*"
    for quote in ("'", '"', "`"):
        if re.search(call + re.escape(quote + title + quote), text):
            return None
    # A title written with escaped quotes in the source ('it\'s').
    for quote in ("'", '"'):
        escaped = title.replace("\\", "\\\\").replace(quote, "\\" + quote)
        if re.search(call + re.escape(quote + escaped + quote), text):
            return None
    return f"no test titled {title!r} in {path}"


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    ledger_path = argv[1]
    root = os.getcwd()
    try:
        with open(ledger_path, encoding="utf-8") as f:
            markdown = f.read()
        rows = ledger_rows(markdown)
    except (OSError, ValueError) as e:
        print(f"ledger: {ledger_path}: {e}")
        return 1

    problems = []
    named = set()
    without = 0
    cache = {}
    for line_no, cells in rows:
        shown = " | ".join(cells)
        if len(cells) != len(COLUMNS):
            problems.append((line_no, shown, f"{len(cells)} cells, not {len(COLUMNS)}"))
            continue
        doc, guarantee, tests = cells
        if not doc or not guarantee:
            problems.append((line_no, shown, "an empty doc or guarantee cell"))
        if tests.startswith("**none**"):
            without += 1
            for span in re.findall(r"`([^`]+)`", tests):
                if RUST_REF.match(span) or PLAYWRIGHT_REF.match(span):
                    problems.append((line_no, shown, f"a **none** row names a test: {span}"))
            continue
        refs = []
        for part in re.split(r"<br\s*/?>", tests):
            part = part.strip()
            spans = re.findall(r"`([^`]+)`", part)
            if not spans or re.sub(r"`[^`]+`", "", part).strip():
                problems.append((line_no, shown, f"not one backticked test reference: {part!r}"))
                continue
            refs.extend(spans)
        for ref in refs:
            m = RUST_REF.match(ref)
            if m:
                why = rust_test_exists(root, m.group("path"), m.group("name"), cache)
            else:
                m = PLAYWRIGHT_REF.match(ref)
                if m:
                    why = playwright_test_exists(root, m.group("path"), m.group("title"), cache)
                elif LOOKS_LIKE_REF.search(ref):
                    why = "malformed reference (want path.rs::fn_name or path.spec.ts::title)"
                else:
                    why = "not a test reference (want path.rs::fn_name or path.spec.ts::title)"
            named.add(ref)
            if why:
                problems.append((line_no, shown, f"{ref}: {why}"))

    for line_no, shown, why in problems:
        print(f"{ledger_path}:{line_no}: {why}\n    row: {shown}")
    summary = (
        f"ledger: {len(rows)} guarantees, {len(named)} tests named, {without} without a test"
    )
    if len(rows) < MIN_ROWS:
        print(f"{summary}; FAILED: fewer than {MIN_ROWS} rows")
        return 1
    if problems:
        print(f"{summary}; FAILED: {len(problems)} problem(s) above")
        return 1
    print(f"{summary}, all named tests exist")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
