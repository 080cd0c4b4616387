#!/bin/sh
# tests/robust/valgrind-sim.sh — the simulator under valgrind memcheck, as a drop-in
# DSTACK_SIMULATOR_BIN (make test-valgrind). Exit status 99 on any memcheck error or
# definite/indirect leak; otherwise the simulator's own. The report goes to the
# simulator's log (its stderr), which the suites print when a run fails.
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
  --track-origins=no --num-callers=30 \
  "${VALGRIND_SIM_BIN:-build/bin/dstack-simulator}" "$@"
