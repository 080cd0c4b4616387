# tests/lib/procs.sh — the background processes of a test script, always stopped by their
# own PIDs, and the waits and ports that go with them. Source it (bash):
#
#   . tests/lib/procs.sh
#   trap 'procs_stop; rm -rf "$WORK"' EXIT     # never leave one running
#   some-server --listen "$WORK/s.sock" &
#   PIDS+=($!)
#   wait_sock "$WORK/s.sock" || …
#   DEAD=$(free_port)                          # a port with nothing listening

PIDS=()

# procs_stop — SIGTERM to every PID in PIDS, then waits for each (for EXIT traps).
procs_stop() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}

# wait_sock PATH — waits up to 20 s for a socket at PATH. Returns 0, or 1 when none came.
wait_sock() {
  for _ in $(seq 400); do [ -S "$1" ] && return 0; sleep 0.05; done
  return 1
}

# free_port — prints a loopback TCP port that was free a moment ago (bound, then closed).
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
