#!/usr/bin/env bash
# Local AWS emulator (moto server: DynamoDB, S3, SES in one process), started through
# infra/moto_server.py: moto with transactions that cost what they touch, no dashboard copies
# of DynamoDB items, and a cheap "mail since" endpoint for infra/mail.py (docs/moto-transactions.md).
#
#   infra/moto.sh start PORT   start moto on 127.0.0.1:PORT in the background (pid and log in
#                              .tools/moto-PORT.{pid,log}) and wait until it answers;
#                              a no-op when our moto already runs there
#   infra/moto.sh stop PORT    stop the moto started by `start PORT` (no-op if none)
#   infra/moto.sh status PORT  exit 0 when something answers on PORT as moto
#   infra/moto.sh free-port    print a free TCP port on 127.0.0.1
#
# Mail that SES accepted: curl http://127.0.0.1:PORT/moto-api/accounts/mail  (Message[]), or
# moto's whole state: curl http://127.0.0.1:PORT/moto-api/data.json  (ses.Message)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
STATE="$ROOT/.tools"
PY="$VENV/bin/python"

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

answers() { # PORT -> 0 when moto's API answers there
  # Its dashboard page: constant size (data.json grows with the state and takes seconds).
  "$PY" - "$1" <<'PYEOF' 2>/dev/null
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PYEOF
}

port_arg() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] || { echo "moto: a numeric PORT is required" >&2; usage; }
  echo "$1"
}

cmd="${1:-}"
case "$cmd" in
  start)
    port="$(port_arg "${2:-}")"
    pidfile="$STATE/moto-$port.pid" logfile="$STATE/moto-$port.log"
    [[ -x "$VENV/bin/moto_server" ]] || "$ROOT/infra/tools.sh"
    mkdir -p "$STATE"
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && answers "$port"; then
      echo "moto: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
      exit 0
    fi
    rm -f "$pidfile"
    if answers "$port"; then
      echo "moto: something not started by this script already answers on port $port; stop it or pick another MOTO_PORT" >&2
      exit 1
    fi
    echo "moto: starting on 127.0.0.1:$port (log $logfile)"
    # Own session so a Ctrl-C in the terminal reaches it only through our trap / stop.
    server=("$PY" "$ROOT/infra/moto_server.py")
    # MOTO_PLAIN=1: moto as released, without those changes (to compare, e.g. bench/soak.py).
    [[ "${MOTO_PLAIN:-}" == 1 ]] && server=("$VENV/bin/moto_server")
    setsid "${server[@]}" -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 < /dev/null &
    echo $! >"$pidfile"
    for _ in $(seq 1 150); do
      if answers "$port"; then
        echo "moto: ready on http://127.0.0.1:$port"
        exit 0
      fi
      if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "moto: exited during start-up; last log lines:" >&2
        tail -n 20 "$logfile" >&2 || true
        rm -f "$pidfile"
        exit 1
      fi
      sleep 0.2
    done
    echo "moto: no answer on port $port after 30 s; last log lines:" >&2
    tail -n 20 "$logfile" >&2 || true
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
    exit 1
    ;;
  stop)
    port="$(port_arg "${2:-}")"
    pidfile="$STATE/moto-$port.pid"
    if [[ ! -f "$pidfile" ]]; then
      echo "moto: not running on port $port (no $pidfile)"
      exit 0
    fi
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
      echo "moto: stopped (port $port, pid $pid)"
    else
      echo "moto: pid $pid on port $port was already gone"
    fi
    rm -f "$pidfile"
    ;;
  status)
    port="$(port_arg "${2:-}")"
    if answers "$port"; then echo "moto: answering on port $port"; else echo "moto: nothing on port $port"; exit 1; fi
    ;;
  free-port)
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    ;;
  *)
    usage
    ;;
esac
