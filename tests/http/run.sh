#!/usr/bin/env bash
# HTTP-level checks of a real `cms serve` on a throwaway seeded SQLite database:
#   1. graphql-http's GraphQL-over-HTTP audit (tests/http/audit.mjs): fails on a failed MUST;
#   2. schemathesis in GraphQL mode, bounded and deterministic (fixed seed, fixed number of
#      examples per operation): every query anonymously, every mutation with a write token.
# Run from anywhere (CI: `bash tests/http/run.sh`); needs .venv (pip install -e '.[test]'),
# node >= 18 and npm. Exits non-zero when the audit's MUSTs or schemathesis failed.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Schemathesis settings: same seed and bounds give the same requests on every run.
SEED="${CMS_HTTP_SEED:-20240601}"
EXAMPLES="${CMS_HTTP_EXAMPLES:-100}"

scratch=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export CMS_DATABASE_URL="sqlite://$scratch/http.sqlite3"
export PYTHONDONTWRITEBYTECODE=1

echo "== database: $CMS_DATABASE_URL"
.venv/bin/cms migrate > /dev/null
.venv/bin/cms fixtures load
token=$(.venv/bin/cms tokens create --name http-fuzz --scope write | tail -n 1)

port=$(.venv/bin/python -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port/graphql"

echo "== cms serve on port $port"
.venv/bin/cms serve --port "$port" > "$scratch/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "$url?query=%7B__typename%7D" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "cms serve exited early:" >&2
    cat "$scratch/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
curl -fsS -o /dev/null "$url?query=%7B__typename%7D" || {
  echo "cms serve did not answer within 30 s:" >&2
  cat "$scratch/server.log" >&2
  exit 1
}

status=0

echo "== graphql-http audit"
npm ci --prefix tests/http --no-audit --no-fund --loglevel=error
node tests/http/audit.mjs "$url" || status=1

# Checks: 5xx and INTERNAL_SERVER_ERROR-style errors (not_a_server_error), malformed or
# schema-violating responses (response_schema_conformance), and invalid queries the server
# accepted (negative_data_rejection). Nothing found is stored for later runs (no database).
# It runs in the scratch directory, where its caches (.schemathesis/, .hypothesis/) go away.
repo=$PWD
schemathesis=(
  "$repo/.venv/bin/schemathesis" --config-file "$repo/tests/http/schemathesis.toml"
  run "$url"
  --seed "$SEED"
  --max-examples "$EXAMPLES"
  --workers 1
  --phases examples,coverage,fuzzing
  --checks not_a_server_error,response_schema_conformance,negative_data_rejection
  --generation-database none
  --request-timeout 10
  --no-color
)

echo "== schemathesis: queries, anonymous (seed $SEED, $EXAMPLES examples per operation)"
(cd "$scratch" && "${schemathesis[@]}" --include-name-regex '^Query\.') || status=1

echo "== schemathesis: mutations, with a write token (seed $SEED, $EXAMPLES examples per operation)"
(cd "$scratch" && "${schemathesis[@]}" --include-name-regex '^Mutation\.' \
  --header "Authorization: Bearer $token") || status=1

if [ "$status" -ne 0 ]; then
  echo "== FAILED (server log: last 40 lines)"
  tail -n 40 "$scratch/server.log"
fi
exit "$status"
