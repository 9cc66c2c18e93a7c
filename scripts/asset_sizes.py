#!/usr/bin/env python3
"""Print the size of each built asset as shipped: raw, gzip and brotli (the precompressed files
the server sends when the browser accepts them). With --check-wasm-gzip-kb N, exit 1 when the
wasm bundle's gzip size is over N KiB. With --routes app/src/routes.rs, also say how many pages'
code the bundle carries, found by their titles (pages are built for the server only, so a new
read-only page should add nothing): exit 1 if any is found."""
import re
import argparse
import pathlib
import sys

ap = argparse.ArgumentParser()
ap.add_argument("pkg_dir")
ap.add_argument("--check-wasm-gzip-kb", type=int)
ap.add_argument("--hash-file", help="the build's hash file: report only the files it names")
ap.add_argument("--routes", help="the route table (app/src/routes.rs): look for page titles in the wasm")
args = ap.parse_args()

pkg = pathlib.Path(args.pkg_dir)
hashes = None
if args.hash_file:
    hashes = [line.split(":", 1)[1].strip() for line in open(args.hash_file) if ":" in line]
rows = []
for f in sorted(pkg.iterdir()):
    if f.suffix in (".gz", ".br") or not f.is_file():
        continue
    if hashes is not None and not any(f".{h}." in f.name for h in hashes):
        continue
    gz = f.with_name(f.name + ".gz")
    br = f.with_name(f.name + ".br")
    size = lambda p: p.stat().st_size if p.exists() else None
    rows.append((f.name, size(f), size(gz), size(br)))

fmt = lambda n: "-" if n is None else f"{n / 1024:.1f} KiB"
print(f"{'asset':<44} {'raw':>12} {'gzip':>12} {'brotli':>12}")
for name, raw, gz, br in rows:
    print(f"{name:<44} {fmt(raw):>12} {fmt(gz):>12} {fmt(br):>12}")

if args.check_wasm_gzip_kb is not None:
    wasm = [r for r in rows if r[0].endswith(".wasm")]
    if len(wasm) != 1 or wasm[0][2] is None:
        sys.exit(f"expected one precompressed wasm bundle in {pkg} (pass --hash-file), found {len(wasm)}")
    kb = wasm[0][2] / 1024
    if kb > args.check_wasm_gzip_kb:
        sys.exit(f"wasm bundle is {kb:.1f} KiB gzipped: over the {args.check_wasm_gzip_kb} KiB target")
    print(f"wasm bundle {kb:.1f} KiB gzipped: within the {args.check_wasm_gzip_kb} KiB target")

if args.routes:
    titles = re.findall(r'page\(\s*"[^"]*",\s*"([^"]+)"', open(args.routes).read())
    if len(titles) < 5:
        sys.exit(f"found only {len(titles)} page titles in {args.routes}: has the table's shape changed?")
    wasm = [f for f in sorted(pkg.iterdir()) if f.suffix == ".wasm"
            and (hashes is None or any(f".{h}." in f.name for h in hashes))]
    if len(wasm) != 1:
        sys.exit(f"expected one wasm bundle in {pkg}, found {len(wasm)}")
    data = wasm[0].read_bytes()
    inside = [t for t in titles if t.encode() in data]
    print(f"pages whose code is in the wasm bundle: {len(inside)} of {len(titles)} {inside or ''}".rstrip())
    if inside:
        sys.exit("page code reached the wasm bundle: pages must be built for the server only (ssr)")
    print("a new read-only page adds 0 B to the bundle (pages are server-only; only islands ship)")
