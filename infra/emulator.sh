# Sourced (not run) by the scripts that need a local AWS emulator for as long as they run:
# infra/test.sh, dev.sh, contract.sh, bench.sh. One place for "pick a port, start moto, stop it
# on any exit, drop its log"; infra/moto.sh does the starting and stopping itself.
#
#   source "$ROOT/infra/emulator.sh"   installs the EXIT/INT/TERM traps (Ctrl-C and kill end the
#                                      script through its EXIT path, so nothing is left behind)
#   emulator_start VAR [PORT]          start moto on PORT, or on a free port when none is given,
#                                      and set VAR to the port; non-zero when it does not start
#   emulator_keep_log PORT             keep .tools/moto-PORT.log at exit (removed by default)
#
# A script with more to undo (a work directory, a background process) defines a function
# `cleanup`; it runs first at exit, before the emulators are stopped (last started first).

_emulator_moto="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/moto.sh"
_emulator_ports=()
_emulator_kept=" "

emulator_start() { # VAR [PORT]
  local var="$1" port="${2:-}"
  [[ -n "$port" ]] || port="$("$_emulator_moto" free-port)" || return 1
  # Registered before the start, so that a half-started emulator is stopped too.
  _emulator_ports+=("$port")
  printf -v "$var" '%s' "$port"
  "$_emulator_moto" start "$port" || return 1
}

emulator_keep_log() { # PORT
  _emulator_kept+="$1 "
}

_emulator_exit() {
  # Once: a second Ctrl-C while shutting down must not leave an emulator running.
  trap '' INT TERM
  trap - EXIT
  if declare -F cleanup >/dev/null; then cleanup || true; fi
  local i port
  for ((i = ${#_emulator_ports[@]} - 1; i >= 0; i--)); do
    port="${_emulator_ports[i]}"
    "$_emulator_moto" stop "$port" >/dev/null 2>&1 || true
    # moto.sh start writes the log next to its pid file.
    [[ "$_emulator_kept" == *" $port "* ]] || rm -f "$(dirname "$_emulator_moto")/../.tools/moto-$port.log"
  done
}

trap _emulator_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
