#!/usr/bin/env bash
# Regenerate cassettes/ from the embedded sandbox account with `pagetape record`.
# The shipped cassettes use a fixed, public secret so anyone can reproduce them byte for byte
# (except recorded_at); the sandbox data is fictitious, so the secret protects nothing here.
set -euo pipefail
cd "$(dirname "$0")/.."
PAGETAPE="${PAGETAPE:-pagetape}"
PORT="${PORT:-4599}"
export PAGETAPE_SECRET="pagetape-shipped-cassettes"
export AWS_ACCESS_KEY_ID="AKIASANDBOXSHIPPED00" AWS_SECRET_ACCESS_KEY="sandbox-not-a-secret"
export AWS_ENDPOINT_URL="http://127.0.0.1:${PORT}" AWS_DEFAULT_REGION="us-east-1"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

"$PAGETAPE" sandbox --port "$PORT" >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/${PORT}") 2>/dev/null && break
  sleep 0.1
done

"$PAGETAPE" record --manifest cassettes/manifest.toml --force
