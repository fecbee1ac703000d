#!/usr/bin/env bash
# Chaos runs: kill -9 the clickstream samples at random moments, restart them, and compare what they wrote with a
# clean run's answers on the same input. Per path it prints the rows lost, duplicated and wrong, and fails when a
# path breaks its guarantee:
#   files      Clickstream --state-dir, --output DIR/ (part files published at checkpoints)   0 lost, 0 duplicated, 0 wrong
#   functions  AwsLambda.Clickstream --invoke --state-dir, every killed invocation retried     0 lost, 0 duplicated, 0 wrong
#   kafka      Clickstream kafka:// to kafka:// --bounded --state-dir (test broker)             0 lost, 0 wrong (conflicting
#              values for one (window, key)); duplicates are counted, and carry the key of the first copy, so a
#              compacted results topic keeps one value per window (docs/kafka.md)
#
#   eng/chaos.sh [--rounds N] [--events N] [--paths kafka,files,functions] [--query Q] [--seed S] [--short]
#
# --rounds: kills per path (default 8); --events: input size (default 150000; Kafka at most 150000: the test broker
# keeps 5 MiB per partition); --query: tumbling (default), hopping, sessions or filter; --short: what CI runs,
# 3 rounds over 30000 events. Loopback only (the test broker from eng/test-peers.sh), every loop bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

rounds=8 events=150000 paths=kafka,files,functions query=tumbling seed=$RANDOM
while (($#)); do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --events) events=$2; shift 2 ;;
        --paths) paths=$2; shift 2 ;;
        --query) query=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --short) rounds=3 events=30000; shift ;;
        *) echo "usage: eng/chaos.sh [--rounds N] [--events N] [--paths kafka,files,functions] [--query Q] [--seed S] [--short]" >&2; exit 2 ;;
    esac
done
[[ $rounds =~ ^[0-9]+$ && $events =~ ^[1-9][0-9]*$ && $seed =~ ^[0-9]+$ ]] || { echo "eng/chaos.sh: --rounds, --events and --seed take numbers" >&2; exit 2; }
RANDOM=$seed # the kill moments repeat with the seed (the machine's speed still moves them)

log() { printf '[chaos %(%T)T] %s\n' -1 "$*" >&2; }
now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

work=$(mktemp -d "${TMPDIR:-/tmp}/streamkit-chaos.XXXXXX")
broker_started=0
cleanup() {
    ((broker_started)) && eng/test-peers.sh stop kafka >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

log "seed $seed, $rounds rounds, $events events, paths $paths, query $query; building"
for project in samples/Clickstream samples/AwsLambda.Clickstream eng/chaos; do
    dotnet build "$project" -c Release -v q --nologo >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
done
clickstream=(dotnet samples/Clickstream/bin/Release/net10.0/Clickstream.dll)
lambda=(dotnet samples/AwsLambda.Clickstream/bin/Release/net10.0/AwsLambda.Clickstream.dll)
tool=(dotnet eng/chaos/bin/Release/net10.0/Chaos.dll)

"${tool[@]}" generate "$events" "$seed" "$work/input.jsonl"
t0=$(now_ms)
"${clickstream[@]}" --input "$work/input.jsonl" --query "$query" --output "$work/reference.jsonl" 2>"$work/reference.log"
clean_ms=$(($(now_ms) - t0))
log "clean run: $(wc -l <"$work/reference.jsonl") rows in $clean_ms ms"

# start_and_kill LOG COMMAND...: starts COMMAND, kill -9s it after a random moment within the clean run's time (it
# may finish first); returns 0 when it was killed.
start_and_kill() {
    local out=$1 pid delay_ms; shift
    "$@" >>"$out" 2>&1 &
    pid=$!
    delay_ms=$((RANDOM * 32768 + RANDOM))
    # Within three quarters of a clean run: a run resumed after a kill has less left to do.
    delay_ms=$((delay_ms % (limit_ms * 3 / 4 > 0 ? limit_ms * 3 / 4 : 1)))
    sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        echo "  killed after $delay_ms ms" >>"$out"
        return 0
    fi
    wait "$pid" || { echo "eng/chaos.sh: a run failed on its own:" >&2; tail -20 "$out" >&2; exit 1; }
    return 1
}

# finish LOG COMMAND...: runs COMMAND to completion (a run that found nothing new exits 0 too).
finish() {
    local out=$1; shift
    "$@" >>"$out" 2>&1 || { echo "eng/chaos.sh: the final run failed:" >&2; tail -20 "$out" >&2; exit 1; }
}

failed=0
# verdict PATH RESULT ALLOW_DUPLICATES: prints the comparison and checks the guarantee.
verdict() {
    local path=$1 result=$2 allow=$3 lost duplicated wrong
    lost=$(sed -E 's/.*lost=([0-9]+).*/\1/' <<<"$result")
    duplicated=$(sed -E 's/.*duplicated=([0-9]+).*/\1/' <<<"$result")
    wrong=$(sed -E 's/.*wrong=([0-9]+).*/\1/' <<<"$result")
    local ok=1
    ((lost == 0 && wrong == 0)) || ok=0
    ((allow || duplicated == 0)) || ok=0
    printf 'chaos %-9s %2d rounds, %2d killed mid-run: %s %s\n' "$path" "$rounds" "$kills" "$result" "$( ((ok)) && echo OK || echo FAILED)"
    ((ok)) || failed=1
}

run_files() {
    local dir=$work/files
    mkdir -p "$dir"
    limit_ms=$clean_ms kills=0
    local cmd=("${clickstream[@]}" --input "$work/input.jsonl" --query "$query" --output "$dir/out/" --state-dir "$dir/state" --checkpoint-ms 200)
    for ((r = 0; r < rounds; r++)); do
        start_and_kill "$dir/log" "${cmd[@]}" && kills=$((kills + 1))
    done
    finish "$dir/log" "${cmd[@]}"
    verdict files "$("${tool[@]}" compare "$query" "$work/reference.jsonl" "$dir/out")" 0
}

run_functions() {
    local dir=$work/functions batch=$(((events + 19) / 20)) n i t0
    mkdir -p "$dir"
    "${tool[@]}" kinesis "$work/input.jsonl" "$dir/events" "$batch"
    local files=("$dir"/events/event-*.json)
    n=${#files[@]}
    local cmd=("${lambda[@]}" --query "$query" --state-dir "$dir/state" --output "$dir/out.jsonl")
    # One clean invocation's time bounds the kill moments.
    t0=$(now_ms)
    "${lambda[@]}" --invoke "${files[0]}" --query "$query" --state-dir "$dir/probe-state" --output "$dir/probe.jsonl" >/dev/null 2>&1
    limit_ms=$(($(now_ms) - t0)) kills=0
    # Each kill lands on a random invocation (the --flush one included); a killed invocation is retried with the
    # same event, as the platform does, until one attempt is left alone.
    local -A doomed=()
    for ((r = 0; r < rounds; r++)); do
        i=$((RANDOM % (n + 1)))
        doomed[$i]=$((${doomed[$i]:-0} + 1))
    done
    for ((i = 0; i <= n; i++)); do
        local invoke=(--invoke "${files[i < n ? i : n - 1]}")
        ((i < n)) || invoke+=(--flush)
        while ((${doomed[$i]:-0} > 0)); do
            doomed[$i]=$((doomed[$i] - 1))
            start_and_kill "$dir/log" "${cmd[@]}" "${invoke[@]}" && kills=$((kills + 1))
        done
        finish "$dir/log" "${cmd[@]}" "${invoke[@]}"
    done
    verdict functions "$("${tool[@]}" compare "$query" "$work/reference.jsonl" "$dir/out.jsonl")" 0
}

run_kafka() {
    local dir=$work/kafka bootstrap id
    mkdir -p "$dir"
    if ((events > 150000)); then
        echo "eng/chaos.sh: kafka takes at most 150000 events (the test broker keeps 5 MiB per partition)" >&2
        exit 2
    fi
    eng/test-peers.sh status kafka >/dev/null 2>&1 || broker_started=1
    bootstrap=$(eng/test-peers.sh start kafka -d 0 2>"$dir/broker.log" | tail -1) || { cat "$dir/broker.log" >&2; exit 1; }
    id=$(date +%s)-$$
    "${tool[@]}" produce "$bootstrap" "chaos-in-$id" "$work/input.jsonl"
    local cmd=("${clickstream[@]}" --input "kafka://$bootstrap/chaos-in-$id" --query "$query" --output "kafka://$bootstrap/chaos-out-$id"
        --bounded --state-dir "$dir/state" --checkpoint-ms 200)
    limit_ms=$((clean_ms + 1000)) kills=0 # a bounded Kafka run also waits for metadata and end offsets
    for ((r = 0; r < rounds; r++)); do
        start_and_kill "$dir/log" "${cmd[@]}" && kills=$((kills + 1))
    done
    finish "$dir/log" "${cmd[@]}"
    "${tool[@]}" consume "$bootstrap" "chaos-out-$id" "$dir/out.jsonl"
    verdict kafka "$("${tool[@]}" compare "$query" "$work/reference.jsonl" "$dir/out.jsonl")" 1
}

IFS=, read -r -a selected <<<"$paths"
for path in "${selected[@]}"; do
    case $path in
        files | functions | kafka) t0=$(now_ms); "run_$path"; log "$path: $(($(now_ms) - t0)) ms" ;;
        *) echo "eng/chaos.sh: unknown path '$path' (kafka, files, functions)" >&2; exit 2 ;;
    esac
done
exit "$failed"
