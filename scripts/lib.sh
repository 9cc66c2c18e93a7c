# Shared helpers for shardscope's scripts: paths, timed steps with logs, the Leptos build environment.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export PATH="$HOME/.cargo/bin:$ROOT/.tools/node_modules/.bin:$PATH"
LOG_DIR="${SHARDSCOPE_LOG_DIR:-$ROOT/target/logs}"
mkdir -p "$LOG_DIR"

# The variables cargo-leptos sets, so plain `cargo test` / `cargo build` reuse its artifacts.
leptos_env() {
  export LEPTOS_OUTPUT_NAME=shardscope
  export LEPTOS_SITE_ROOT="$ROOT/target/site"
  export LEPTOS_SITE_PKG_DIR=pkg
  export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:${SHARDSCOPE_HTTP_PORT:-3000}}"
  export LEPTOS_RELOAD_PORT="${LEPTOS_RELOAD_PORT:-3001}"
  export LEPTOS_LIB_DIR=app
  export LEPTOS_BIN_DIR=server
  export LEPTOS_ENV=DEV
  export RUSTFLAGS="--cfg erase_components"
}

# The production build's own site root and hashed, precompressed assets (scripts/build --release).
# Call after leptos_env. The server reads the hash file beside its binary: target/release/hash.txt.
release_env() {
  export LEPTOS_SITE_ROOT="$ROOT/target/site-release"
  export LEPTOS_HASH_FILES=true
  export LEPTOS_ENV=PROD
}

# step "what" command... : prints the step, its duration, and on failure its log file.
step() {
  local what="$1"; shift
  local slug; slug="$(echo "$what" | tr -c 'a-zA-Z0-9' '-' | tr -s '-' | sed 's/-$//')"
  local log="$LOG_DIR/$slug.log"
  local t0; t0=$(date +%s)
  printf '==> %s ... ' "$what"
  if "$@" >"$log" 2>&1; then
    printf 'ok (%ss)\n' "$(( $(date +%s) - t0 ))"
  else
    local rc=$?
    printf 'FAILED after %ss (exit %s)\n' "$(( $(date +%s) - t0 ))" "$rc"
    echo "---- last lines of $log ----" >&2
    tail -n 40 "$log" >&2
    echo "---- step '$what' failed; full log: $log ----" >&2
    exit "$rc"
  fi
}

# Like step, but streams output (long compiles whose progress matters).
step_live() {
  local what="$1"; shift
  local t0; t0=$(date +%s)
  echo "==> $what"
  if "$@"; then
    echo "    ok: $what ($(( $(date +%s) - t0 ))s)"
  else
    local rc=$?
    echo "FAILED: step '$what' (exit $rc)" >&2
    exit "$rc"
  fi
}

die() { echo "error: $*" >&2; exit 1; }

# need_disk GIB WHAT: stop at once, saying how much is free and where, when the file system holding
# the checkout has less than GIB GiB free (a build that runs out of space fails much later, in a
# step that has nothing to do with disk: pip, the linker, PostgreSQL's WAL).
need_disk() {
  local want="$1" what="$2" free_kb
  free_kb="$(df -Pk "$ROOT" | awk 'NR==2 {print $4}')"
  if [ "$free_kb" -lt $((want * 1024 * 1024)) ]; then
    die "$what needs about ${want} GiB free on the file system holding $ROOT; it has $((free_kb / 1024 / 1024)) GiB ($(df -h "$ROOT" | awk 'NR==2 {print $6}')). Free some (old clones' target/ directories are the usual cause) and run it again."
  fi
}
