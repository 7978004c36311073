#!/usr/bin/env bash
# A newcomer's first run: the README's two commands on a fresh clone of HEAD, in an environment
# emptied with `env -i` (the Debian PATH, so the machine's Node and npm; HOME for npm's cache and
# settings; nothing from this shell, nothing from this checkout's node_modules).
#
#   1. git clone of HEAD into a temp dir (uncommitted changes are not part of it)
#   2. npm ci                  then node_modules/.bin/node must be Node 24
#   3. npm run demo            with REDIS_URL at a port where nothing answers, so the demo must start
#                              (and afterwards stop) its own redis-server
#   4. npm test -- <subset>    with TEST_REDIS_URL at a port where nothing answers, so the pretest
#                              (scripts/needs.sh) must start one; the subset, not the whole suite,
#                              since the whole suite runs in CI beside this anyway and would double
#                              its time. The subset touches everything a fresh machine must provide:
#                              test/unit/runtime.test.ts         jest, ts-jest, spawned children on Node 24
#                              test/browser/dashboard.test.ts    Chromium, Redis, the whole stack
#                              test/component/process.test.ts    web and worker processes over Redis
#
# Every stage has a time limit; the temp dir and the Redis servers started here are removed at the end,
# whatever happened. Exit 0 only when every stage passed. `npm run check:fresh-clone`; CI runs it.
# npm's cache is used first (npm_config_prefer_offline=true), which npm passes on to the node
# package's own install of its binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMIT="$(git -C "$ROOT" rev-parse HEAD)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aag-fresh-clone-XXXXXX")"
REPO="$WORK/repo"
LOG="$WORK/log"
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
T0=$SECONDS

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
answers() { timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "PING\r\n" >&3 && IFS= read -r -t 2 r <&3 && [[ "$r" == +PONG* ]]' "$1" 2>/dev/null; }
DEMO_PORT="$(free_port)"
TEST_PORT="$(free_port)"
while [[ "$TEST_PORT" == "$DEMO_PORT" ]]; do TEST_PORT="$(free_port)"; done

cleanup() {
  local pidfile="/tmp/aag-redis-$TEST_PORT.pid"   # written by scripts/needs.sh (TMPDIR is unset in the clean env)
  if answers "$TEST_PORT"; then
    timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "SHUTDOWN NOSAVE\r\n" >&3' "$TEST_PORT" 2>/dev/null || true
  fi
  [[ -f "$pidfile" ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
  rm -rf "$WORK"
}
trap cleanup EXIT
STAGE=''
# on an interrupt: stop the running stage's whole process group (TERM, then KILL after 10 s), then clean up
stop_stage() {
  [[ -n "$STAGE" ]] || return 0
  kill -TERM -- -"$STAGE" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 -- -"$STAGE" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL -- -"$STAGE" 2>/dev/null || true
}
trap 'stop_stage; exit 130' INT TERM

stage() { printf '%6ss  %s\n' "$((SECONDS - T0))" "$*"; }
fail() {
  stage "✗ $*"
  echo "--- last lines of output ($LOG):"
  tail -40 "$LOG" 2>/dev/null || true
  exit 1
}
# clean <seconds> <command...>: in the clone, with an empty environment, bounded in time (the whole
# process group), output to $LOG; in a session of its own so an interrupt here stops all of it
clean() {
  local limit="$1"; shift
  (cd "$REPO" && exec setsid timeout -k 10 "$limit" env -i \
    PATH="$CLEAN_PATH" HOME="$HOME" LANG=C.UTF-8 \
    npm_config_prefer_offline=true "$@") >"$LOG" 2>&1 &
  STAGE=$!
  wait "$STAGE"
}

stage "fresh clone of ${COMMIT:0:12} in $WORK"
git clone -q --no-checkout "$ROOT" "$REPO" || fail "git clone"
git -C "$REPO" checkout -q --detach "$COMMIT" || fail "git checkout $COMMIT"
[[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]] || stage "  (this checkout has uncommitted changes; they are not part of the clone)"

clean 600 npm ci || fail "npm ci"
v="$("$REPO/node_modules/.bin/node" --version 2>/dev/null || true)"
[[ "$v" == v24.* ]] || fail "npm ci left node_modules/.bin/node at '${v:-nothing}', not Node 24"
stage "✓ npm ci (on the machine's Node $(env -i PATH="$CLEAN_PATH" node --version), npm $(env -i PATH="$CLEAN_PATH" HOME="$HOME" npm --version)); node_modules/.bin/node is $v"

answers "$DEMO_PORT" && fail "something answers on $DEMO_PORT already"
clean 240 REDIS_URL="redis://127.0.0.1:$DEMO_PORT" npm run demo || fail "npm run demo"
grep -q "started a private redis-server" "$LOG" || fail "the demo did not start its own redis-server"
grep -q "^demo passed" "$LOG" || fail "the demo did not say it passed"
answers "$DEMO_PORT" && fail "the demo left a Redis running on $DEMO_PORT"
stage "✓ npm run demo with no Redis at 127.0.0.1:$DEMO_PORT: $(grep -o 'started a private redis-server on [0-9.:]*' "$LOG"), $(grep '^demo passed' "$LOG"), stopped after"

SUBSET=(test/unit/runtime.test.ts test/browser/dashboard.test.ts test/component/process.test.ts)
answers "$TEST_PORT" && fail "something answers on $TEST_PORT already"
clean 300 TEST_REDIS_URL="redis://127.0.0.1:$TEST_PORT" npm test -- "${SUBSET[@]}" || fail "npm test -- ${SUBSET[*]}"
grep -q "^needs: node v24\." "$LOG" || fail "npm test did not run on Node 24"
grep -q "started a private redis-server there" "$LOG" || fail "npm test did not start a Redis at 127.0.0.1:$TEST_PORT"
stage "✓ npm test -- ${SUBSET[*]}: $(grep -m1 '^needs: node' "$LOG" | sed 's/^needs: //'); Redis started by the pretest on $TEST_PORT; $(grep '^Tests:' "$LOG")"
stage "fresh clone passed"
