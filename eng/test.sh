#!/usr/bin/env bash
# Runs every test in the solution, the way CI does: installs the independent implementations the interop tests
# compare against, runs `dotnet test`, and ends with the totals alone on a line: "N passed, N failed[, N skipped]".
#
#   eng/test.sh                      everything (what CI runs)
#   eng/test.sh --filter EXPR        passed on to dotnet test, e.g. --filter "Category!=Interop"
set -uo pipefail
cd "$(dirname "$0")/.."

eng/install-interop.sh >&2 || { echo "eng/test.sh: installing the interop peers failed" >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test StreamKit.sln -c Release --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Sum the per-assembly summaries: "Passed!  - Failed:     0, Passed:   274, Skipped:     0, Total:   274, ..."
totals=$(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/' |
    awk '{ f += $1; p += $2; s += $3 } END { printf "%d %d %d", p, f, s }')
read -r passed failed skipped <<<"${totals:-0 0 0}"
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$status" -eq 0 ]; then
    echo "eng/test.sh: no test ran" >&2
    status=1
fi

line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
exit "$status"
