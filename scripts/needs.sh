#!/usr/bin/env bash
# What this machine must provide, made ready or named in one line. The one place that knows it:
# `npm test` runs it before jest (pretest), `.ci/run` runs it through `npm run needs`, and the demo
# asks it for the redis-server binary. Safe to run again; it changes nothing already in place.
#
#   bash scripts/needs.sh node redis chromium   # what the test suite needs (pretest)
#   bash scripts/needs.sh redis-server          # only the redis-server binary (the demo)
#
# node          the Node the scripts run on is the major in package.json's engines (24): the node@24
#               devDependency that `npm ci` installs, first on PATH under `npm test`/`npm run`
# redis         a Redis answering at TEST_REDIS_URL (default redis://127.0.0.1:6379); when none
#               answers on a local address, a private redis-server is started there (daemonized,
#               nothing persisted; it keeps running for the next test run)
# chromium      Debian's headless Chromium at CHROMIUM_PATH (default /usr/bin/chromium)
# redis-server  the redis-server binary on the PATH
#
# A missing Debian package is installed with apt-get when running as root; otherwise the script
# stops with one line saying what to install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { echo "needs: $*"; }
stop() { echo "needs: $*" >&2; exit 1; }

# ensure_package <binary or absolute path> <debian package>
ensure_package() {
  local bin="$1" pkg="$2"
  if [[ "$bin" == /* ]]; then [[ -x "$bin" ]] && return 0; else command -v "$bin" >/dev/null 2>&1 && return 0; fi
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    stop "$bin is missing: install the Debian package '$pkg' (sudo apt-get install -y $pkg), then run this again"
  fi
  say "$bin is missing: apt-get install -y $pkg"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  if [[ "$bin" == /* ]]; then [[ -x "$bin" ]]; else command -v "$bin" >/dev/null 2>&1; fi ||
    stop "apt-get installed $pkg but $bin is still missing"
}

# redis_answers <host> <port>: something answers a PING there (PONG, or NOAUTH from a Redis with a password)
redis_answers() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && IFS= read -r -t 2 reply <&3 && [[ "$reply" == +PONG* || "$reply" == -NOAUTH* ]]' "$1" "$2" 2>/dev/null
}

need_node() {
  local want have
  command -v node >/dev/null 2>&1 || stop "no node on the PATH: run npm ci (a node devDependency provides the one the tests use)"
  want="$(node -p "String(require(process.argv[1]).engines.node).replace(/\\.x\$/, '')" "$ROOT/package.json")"
  [[ "$want" =~ ^[0-9]+$ ]] || stop "package.json's engines.node must read \"<major>.x\""
  have="$(node -p 'process.versions.node')"
  if [[ "${have%%.*}" != "$want" ]]; then
    stop "Node $have ($(command -v node)) would run the tests, Node $want expected: run npm ci, then npm test (npm puts node_modules/.bin/node, Node $want, first on the PATH)"
  fi
  say "node v$have ($(command -v node))"
}

need_redis() {
  local url="${TEST_REDIS_URL:-redis://127.0.0.1:6379}" hostport host port
  hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
  host="${hostport%%:*}"; port="${hostport##*:}"; [[ "$port" == "$hostport" ]] && port=6379
  if redis_answers "$host" "$port"; then say "redis answers at $host:$port"; return 0; fi
  case "$host" in
    127.0.0.1 | localhost) ;;
    *) stop "no Redis answers at $host:$port (TEST_REDIS_URL): start one there or point TEST_REDIS_URL at one" ;;
  esac
  ensure_package redis-server redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "${TMPDIR:-/tmp}" --pidfile "${TMPDIR:-/tmp}/aag-redis-$port.pid" --logfile "" >/dev/null
  for _ in $(seq 1 50); do redis_answers 127.0.0.1 "$port" && break; sleep 0.2; done
  redis_answers 127.0.0.1 "$port" || stop "started redis-server on 127.0.0.1:$port but it does not answer"
  say "redis: none answered at 127.0.0.1:$port, started a private redis-server there (nothing persisted; stop it with: redis-cli -p $port shutdown nosave)"
}

need_chromium() {
  local bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [[ -n "${CHROMIUM_PATH:-}" ]]; then
    [[ -x "$bin" ]] || stop "CHROMIUM_PATH=$bin is not an executable"
  else
    ensure_package "$bin" chromium
  fi
  say "$("$bin" --version 2>/dev/null | head -1) ($bin)"
}

[[ $# -gt 0 ]] || set -- node redis chromium
for what in "$@"; do
  case "$what" in
    node) need_node ;;
    redis) need_redis ;;
    chromium) need_chromium ;;
    redis-server) ensure_package redis-server redis-server ;;
    *) stop "unknown need '$what' (node, redis, chromium, redis-server)" ;;
  esac
done
