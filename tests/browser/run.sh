#!/usr/bin/env bash
# The review console's browser tests: headless Chromium (Debian's) driven by playwright-core.
# Installs what is missing (apt chromium, node/npm, npm ci), starts `crosscheck demo` on a free
# port with a small synthetic population, runs the tests, stops the server, and exits non-zero
# when anything fails. Screenshots of every page go to target/browser-screenshots/.
#
#   tests/browser/run.sh                     builds the release binary if needed (in
#                                            $CARGO_TARGET_DIR when set, else target/)
#   CROSSCHECK_BIN=path tests/browser/run.sh uses that binary instead
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

apt_ready=""
apt_install() {
    if [ -z "$apt_ready" ]; then
        apt-get update -qq
        apt_ready=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if [ ! -x /usr/bin/chromium ]; then
    echo "browser: installing Debian's chromium"
    apt_install chromium
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "browser: installing node and npm"
    apt_install nodejs npm
fi
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

bin="${CROSSCHECK_BIN:-}"
if [ -z "$bin" ]; then
    cargo build --release --locked -p crosscheck-cli
    bin="${CARGO_TARGET_DIR:-$root/target}/release/crosscheck"
fi

work="$(mktemp -d)"
port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
shots="$root/target/browser-screenshots"
rm -rf "$shots"
mkdir -p "$shots"

"$bin" demo --dir "$work" --people 2000 --subjects 200 --request-subjects 12 \
    --listen "127.0.0.1:$port" >"$work/demo.log" 2>&1 &
server=$!
stop() {
    if kill -0 "$server" 2>/dev/null; then
        kill -INT "$server" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server" 2>/dev/null || true
    fi
    wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap stop EXIT

accounts="$work/gateway/accounts.json"
for _ in $(seq 1 600); do
    if [ -s "$accounts" ] && curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "browser: the demo server stopped before serving:" >&2
        tail -n 30 "$work/demo.log" >&2
        exit 1
    fi
    sleep 0.5
done
if ! curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
    echo "browser: the demo server did not come up within 300 s" >&2
    tail -n 30 "$work/demo.log" >&2
    exit 1
fi
echo "browser: demo gateway on http://127.0.0.1:$port; screenshots in $shots"

status=0
(cd "$here" && BASE_URL="http://127.0.0.1:$port" ACCOUNTS="$accounts" SCREENSHOTS="$shots" \
    node --test --test-concurrency=1 --test-reporter=spec console.test.mjs) || status=$?
if [ "$status" -ne 0 ]; then
    echo "browser: tests failed; the server's log ends:" >&2
    tail -n 30 "$work/demo.log" >&2
fi
echo "browser: $(ls "$shots" | wc -l) screenshots in $shots"
exit "$status"
