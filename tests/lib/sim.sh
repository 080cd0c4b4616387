# tests/lib/sim.sh — start, wait for and stop a dstack-simulator from a test script, always
# by its own PID. Source it (bash):
#
#   . tests/lib/sim.sh
#   trap 'sim_kill; rm -rf "$dir"' EXIT          # never leave it running
#   sim_start "$dir/sim.log" build/bin/dstack-simulator --config appkeys.json \
#     --dstack-sock "$dir/dstack.sock" --tappd-sock ""  || exit 1
#   ...                                           # talk to it
#   sim_stop || echo "simulator exit status $SIM_STATUS"
#
# sim_start returns once the simulator printed its start-up block (the `export
# DSTACK_SIMULATOR_ENDPOINT=…` line, written after its sockets listen). The variables
# SIM_PID (the running simulator, empty when none) and SIM_STATUS (its exit status after
# sim_stop) are the state; one simulator at a time.

SIM_PID=
SIM_STATUS=
SIM_LOG=

# sim_start LOG BIN ARGS... — runs BIN ARGS in the background, stdout and stderr to LOG, and
# waits up to SIM_START_TIMEOUT seconds (default 20) for its start-up block. Returns 0; or 1
# with the log printed when it exited or did not get ready in time (then it is killed).
sim_start() {
  SIM_LOG=$1
  shift
  "$@" >"$SIM_LOG" 2>&1 &
  SIM_PID=$!
  local tries=$((${SIM_START_TIMEOUT:-20} * 100))
  while [ "$tries" -gt 0 ]; do
    grep -q '^  export DSTACK_SIMULATOR_ENDPOINT' "$SIM_LOG" && return 0
    if ! kill -0 "$SIM_PID" 2>/dev/null; then
      SIM_STATUS=0
      wait "$SIM_PID" || SIM_STATUS=$?
      SIM_PID=
      cat "$SIM_LOG"
      echo "simulator exited during start-up (status $SIM_STATUS)"
      return 1
    fi
    sleep 0.01
    tries=$((tries - 1))
  done
  cat "$SIM_LOG"
  echo "simulator not ready after ${SIM_START_TIMEOUT:-20} s"
  sim_kill
  return 1
}

# sim_stop — SIGTERM to SIM_PID, then waits for it. SIM_STATUS gets its exit status.
# Returns 0 when it exited with status 0, 1 otherwise (or when none was running).
sim_stop() {
  [ -n "$SIM_PID" ] || { SIM_STATUS=; return 1; }
  kill -TERM "$SIM_PID" 2>/dev/null || true
  SIM_STATUS=0
  wait "$SIM_PID" || SIM_STATUS=$?
  SIM_PID=
  [ "$SIM_STATUS" -eq 0 ]
}

# sim_kill — for EXIT traps: SIGKILL to SIM_PID if it still runs, and reaps it.
sim_kill() {
  if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
    kill -KILL "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
  fi
  SIM_PID=
  return 0
}
