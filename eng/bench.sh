#!/usr/bin/env bash
# Runs the StreamKit benchmark suite and checks StreamKit's allocation budgets.
#
#   eng/bench.sh [--quick|--full] [--artifacts DIR] [--update-docs] [-- extra BenchmarkDotNet arguments]
#
#   --quick        (default) in-process, few iterations: the whole suite in a few minutes; what CI runs
#   --full         BenchmarkDotNet's default job, one process per benchmark: slower, tighter figures
#   --artifacts    where results go (default: artifacts/benchmarks, git-ignored)
#   --update-docs  also write the chart to docs/performance.svg
#   after --        passed to BenchmarkSwitcher, e.g. -- --filter '*Q2*' (missing budgeted results are then allowed)
#
# Exit status: 1 when a benchmark fails or StreamKit allocates over its budget in
# benchmarks/StreamKit.Benchmarks/allocation-budget.json (an over-budget benchmark is measured once more
# and its second figure counts); the summary (means, Ratio vs the hand-written loop, targets met or not) is
# printed either way and saved as <artifacts>/summary.md, the chart as <artifacts>/performance.svg.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/benchmarks/StreamKit.Benchmarks"
mode="--quick"
artifacts="$root/artifacts/benchmarks"
update_docs=0
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick|--full) mode="$1"; shift ;;
    --artifacts) artifacts="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    --update-docs) update_docs=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

start=$(date +%s)
echo "== build (Release)"
dotnet build "$project/StreamKit.Benchmarks.csproj" -c Release --nologo -v quiet
exe=(dotnet "$project/bin/Release/net10.0/StreamKit.Benchmarks.dll")

echo "== run ($mode), artifacts in $artifacts"
rm -rf "$artifacts/results"
mkdir -p "$artifacts"
run_status=0
(cd "$artifacts" && "${exe[@]}" "$mode" --artifacts "$artifacts" "${extra[@]}") || run_status=$?

echo "== allocation budgets and summary"
check_args=(--budget "$project/allocation-budget.json" --markdown "$artifacts/summary.md"
            --chart "$artifacts/performance.svg" --failed-list "$artifacts/over-budget.txt")
if [[ ${#extra[@]} -gt 0 ]]; then check_args+=(--allow-missing); fi
check_status=0
"${exe[@]}" --check-budget "$artifacts/results" "${check_args[@]}" || check_status=$?

# BenchmarkDotNet counts the whole process's allocations over one extra iteration, so a stray allocation on
# another thread can land on an operation. Measure an over-budget benchmark once more: a real hot-path
# allocation (1M events per operation) shows again; the second figure is the one that counts.
if [[ $check_status -ne 0 && -s "$artifacts/over-budget.txt" ]]; then
  mapfile -t retry < "$artifacts/over-budget.txt"
  echo "== over budget: measuring again: ${retry[*]}"
  rm -rf "$artifacts/retry"
  (cd "$artifacts" && "${exe[@]}" "$mode" --artifacts "$artifacts/retry" --filter "${retry[@]}") || run_status=$?
  check_status=0
  "${exe[@]}" --check-budget "$artifacts/results" "$artifacts/retry/results" "${check_args[@]}" || check_status=$?
fi

if [[ $update_docs -eq 1 && -f "$artifacts/performance.svg" ]]; then
  cp "$artifacts/performance.svg" "$root/docs/performance.svg"
  echo "Chart copied to docs/performance.svg"
fi

echo "== done in $(( $(date +%s) - start )) s"
if [[ $run_status -ne 0 ]]; then echo "bench.sh: the benchmark run failed (exit $run_status)" >&2; exit 1; fi
if [[ $check_status -ne 0 ]]; then exit 1; fi
