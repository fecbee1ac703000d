#!/usr/bin/env bash
# Test peers for StreamKit: installs, builds (cached under eng/.cache/) and starts the local
# services the integration tests talk to. See eng/README.md.
#
#   eng/test-peers.sh prepare <peer>          install/build only (idempotent)
#   eng/test-peers.sh start   <peer> [args]   prepare, start in the background, print the address
#                                             as the LAST line of stdout (everything else: stderr)
#   eng/test-peers.sh stop    <peer>          stop it (no-op when not running)
#   eng/test-peers.sh status  <peer>          print the address if running, else exit 1
#
# Peers: kafka (librdkafka's mock cluster; args = topics to pre-create, topic[:partitions[:rf]]),
#        s3 (s3rver from npm; prints http://127.0.0.1:PORT), azurite (Azurite's blob service from npm;
#        prints http://127.0.0.1:PORT/devstoreaccount1), azurite-oauth (the same over https with a
#        self-signed certificate and Azurite's basic OAuth checks; prints https://127.0.0.1:PORT/devstoreaccount1).
#        kinesis (kinesalite from npm; in memory, plain HTTP; address http://127.0.0.1:PORT).
# Adding a peer = defining peer_<name>_prepare and peer_<name>_run (see the kafka ones) and
# listing it in PEERS.
set -euo pipefail
shopt -s inherit_errexit

PEERS=(kafka kinesis s3 azurite azurite-oauth)

ENG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$ENG_DIR")
CACHE_DIR=${STREAMKIT_ENG_CACHE:-$ENG_DIR/.cache}
RUN_DIR=$CACHE_DIR/run

# Only the result goes to the real stdout (fd 3); all logging and tool output goes to stderr.
exec 3>&1 1>&2

log() { printf '[test-peers %(%T)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }
# timed <label> <command...>: run a step and log how long it took.
timed() {
    local label=$1 t0; shift
    t0=$(now_ms)
    "$@"
    log "$label: $(($(now_ms) - t0)) ms"
}

usage() {
    cat >&2 <<EOF
usage: eng/test-peers.sh start|stop|status|prepare <peer> [peer args]
peers: ${PEERS[*]}
EOF
    exit 2
}

# ---------------------------------------------------------------------------------------------
# Generic helpers

as_root() {
    if [[ $(id -u) == 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo -n "$@"
    else die "need root (or sudo) to run: $*"
    fi
}

# apt-get that waits for another apt/dpkg run (lock) instead of failing.
apt_get() {
    local out attempt
    out=$(mktemp)
    for attempt in $(seq 1 60); do
        if as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q "$@" \
            >"$out" 2>&1; then
            rm -f "$out"; return 0
        fi
        if grep -q -E 'Could not get lock|Unable to lock|is another process using it' "$out"; then
            log "apt is locked by another process, waiting ($attempt)"; sleep 5; continue
        fi
        cat "$out" >&2; rm -f "$out"; return 1
    done
    cat "$out" >&2; rm -f "$out"; return 1
}

APT_UPDATED=0
# apt_ensure <package...>: install whichever Debian packages are missing (apt-get update once).
apt_ensure() {
    local p missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get"
    if ((!APT_UPDATED)); then
        timed "apt-get update" apt_get update
        APT_UPDATED=1
    fi
    timed "apt-get install ${missing[*]}" apt_get install -y --no-install-recommends "${missing[@]}"
}

# Background processes: pid in $RUN_DIR/<name>.pid, output in $RUN_DIR/<name>.log.
daemon_pid() {
    local pidfile=$RUN_DIR/$1.pid pid
    [[ -s $pidfile && -s $RUN_DIR/$1.cmd ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a recycled pid: the process must still be the one we started.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -F -- "$(<"$RUN_DIR/$1.cmd")" || return 1
    echo "$pid"
}

# daemon_start <name> <command...>
daemon_start() {
    local name=$1; shift
    mkdir -p "$RUN_DIR"
    printf '%s' "$1" >"$RUN_DIR/$name.cmd"
    # setsid: own session, so the caller's Ctrl-C / job control does not reach it; 3>&- so a
    # caller reading our stdout through $(...) is not kept waiting by the daemon;
    # 9>&-: it must not inherit (and so hold) the prepare/start lock.
    setsid "$@" </dev/null >"$RUN_DIR/$name.log" 2>&1 3>&- 9>&- &
    echo $! >"$RUN_DIR/$name.pid"
}

daemon_stop() {
    local name=$1 pid
    if pid=$(daemon_pid "$name"); then
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && { log "$name did not stop, killing"; kill -KILL "$pid" || true; }
    fi
    rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.address"
}

# wait_for_file <file> <seconds> <name>: wait until the daemon writes its address file.
wait_for_file() {
    local file=$1 deadline=$(($(now_ms) + $2 * 1000)) name=$3
    until [[ -s $file ]]; do
        daemon_pid "$name" >/dev/null || { cat "$RUN_DIR/$name.log" >&2; die "$name exited"; }
        (($(now_ms) < deadline)) || die "$name did not start within $2 s"
        sleep 0.05
    done
}

# ---------------------------------------------------------------------------------------------
# kafka: librdkafka's mock cluster, from the librdkafka.redist NuGet package, as a standalone broker

KAFKA_DIR=$CACHE_DIR/kafka
MOCK_BIN=$KAFKA_DIR/bin/kafka-mock-broker
# librdkafka.so.1 -> the package's centos8 build: self-contained (OpenSSL, SASL PLAIN/SCRAM, codecs linked in).
# The package's main linux-x64 build needs libsasl2.so.3, which Debian 12 lacks (Confluent.Kafka falls back
# to the centos8 build as well).
MOCK_LIB=$KAFKA_DIR/lib/librdkafka.so.1
KAFKA_PROJECT=$ENG_DIR/kafka/librdkafka.csproj

# The librdkafka.redist package folder: a restore of eng/kafka/librdkafka.csproj (version from
# Directory.Packages.props, through the repository's NuGet configuration), outputs under $KAFKA_DIR/obj; the
# folder is the Pkglibrdkafka_redist property that restore writes into nuget.g.props (GeneratePathProperty).
kafka_package_dir() {
    local props=$KAFKA_DIR/obj/librdkafka.csproj.nuget.g.props dir
    command -v dotnet >/dev/null || die "dotnet is needed to restore librdkafka.redist"
    timed "restore librdkafka.redist" dotnet restore "$KAFKA_PROJECT" -v q --nologo \
        -p:BaseIntermediateOutputPath="$KAFKA_DIR/obj/" >&2
    dir=$(sed -n -E 's|.*<Pkglibrdkafka_redist[^>]*>([^<]+)</Pkglibrdkafka_redist>.*|\1|p' "$props")
    [[ -d $dir ]] || die "no librdkafka.redist folder in $props"
    echo "$dir"
}

kafka_build_mock() {
    local source=$ENG_DIR/kafka/mock-broker.c dep package native
    if [[ -x $MOCK_BIN && -e $MOCK_LIB ]]; then
        local stale=0
        for dep in "$source" "$KAFKA_PROJECT" "$REPO_DIR/Directory.Packages.props"; do
            [[ $MOCK_BIN -nt $dep ]] || stale=1
        done
        ((stale)) || return 0
    fi
    apt_ensure gcc libc6-dev
    package=$(kafka_package_dir)
    native=$package/runtimes/linux-x64/native
    [[ -s $native/centos8-librdkafka.so && -s $package/build/native/include/librdkafka/rdkafka_mock.h ]] \
        || die "librdkafka.redist at '$package' lacks the linux-x64 centos8 build or rdkafka_mock.h"
    mkdir -p "$(dirname "$MOCK_BIN")" "$(dirname "$MOCK_LIB")"
    ln -sfn "$native/centos8-librdkafka.so" "$MOCK_LIB"
    # rpath relative to the binary: finds the packaged librdkafka, never Debian's librdkafka1 (2.0.2).
    # shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker, not the shell
    gcc -O2 -Wall -Wextra -Werror -o "$MOCK_BIN.tmp" "$source" \
        -isystem "$package/build/native/include" \
        -L"$(dirname "$MOCK_LIB")" -l:librdkafka.so.1 -Wl,-rpath,'$ORIGIN/../lib'
    mv -f "$MOCK_BIN.tmp" "$MOCK_BIN"
}

peer_kafka_prepare() {
    timed "mock broker" kafka_build_mock
    timed "kcat" apt_ensure kcat
}

# peer_<name>_run [args]: start the daemon and leave its address in $RUN_DIR/<name>.address.
peer_kafka_run() {
    rm -f "$RUN_DIR/kafka.address"
    daemon_start kafka "$MOCK_BIN" -b 3 -f "$RUN_DIR/kafka.address" "$@"
    wait_for_file "$RUN_DIR/kafka.address" 10 kafka
}

# ---------------------------------------------------------------------------------------------
# npm-based emulators: installed under $CACHE_DIR/<name>, started with node on a free loopback port

S3RVER_NPM=s3rver@3.7.1
AZURITE_NPM=azurite@3.36.0   # 3.37.0 does not install (a dependency is missing from the registry)

# npm_ensure <dir> <package@version>: install it into <dir> unless that exact install finished before.
# Two peers may share one install (azurite, azurite-oauth) and take different peer locks: the install takes its
# own lock, and a marker written after npm succeeds tells a finished install from an interrupted one.
npm_ensure() {
    local dir=$1 spec=$2 marker=$1/.installed
    mkdir -p "$dir"
    (
        exec 7>"$dir.lock"
        flock 7
        [[ -f $marker && $(<"$marker") == "$spec" ]] && exit 0
        command -v npm >/dev/null || apt_ensure nodejs npm ca-certificates
        rm -rf "$dir/node_modules" "$marker"
        timed "npm install $spec" npm install --prefix "$dir" --no-audit --no-fund --silent "$spec" >/dev/null
        echo "$spec" >"$marker"
    )
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_port <port> <seconds> <name>: wait until 127.0.0.1:<port> accepts connections.
wait_for_port() {
    local port=$1 deadline=$(($(now_ms) + $2 * 1000)) name=$3
    until (exec 8<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        daemon_pid "$name" >/dev/null || { cat "$RUN_DIR/$name.log" >&2; die "$name exited"; }
        (($(now_ms) < deadline)) || die "$name did not listen on $port within $2 s"
        sleep 0.05
    done
}

# s3: s3rver (S3 REST API over plain HTTP, path-style; checks SigV4 with access key and secret both
# "S3RVER"). Its objects live in a fresh directory under $RUN_DIR, deleted on every start; no bucket
# is created. It does NOT honour conditional PUT headers (If-Match / If-None-Match), see docs/state-stores.md.
peer_s3_prepare() { npm_ensure "$CACHE_DIR/s3rver" "$S3RVER_NPM"; }

peer_s3_run() {
    local port data=$RUN_DIR/s3-data
    port=$(free_port)
    rm -rf "$data" && mkdir -p "$data"
    rm -f "$RUN_DIR/s3.address"
    daemon_start s3 "$(command -v node)" "$CACHE_DIR/s3rver/node_modules/s3rver/bin/s3rver.js" \
        -d "$data" -a 127.0.0.1 -p "$port" --silent
    wait_for_port "$port" 30 s3
    echo "http://127.0.0.1:$port" >"$RUN_DIR/s3.address"
}

# azurite: Azurite's blob service only, in memory, account devstoreaccount1 with its well-known key.
peer_azurite_prepare() { npm_ensure "$CACHE_DIR/azurite" "$AZURITE_NPM"; }

peer_azurite_run() {
    local port
    port=$(free_port)
    rm -f "$RUN_DIR/azurite.address"
    daemon_start azurite "$(command -v node)" "$CACHE_DIR/azurite/node_modules/azurite/dist/src/blob/main.js" \
        --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence --disableTelemetry \
        --skipApiVersionCheck --silent
    wait_for_port "$port" 60 azurite
    echo "http://127.0.0.1:$port/devstoreaccount1" >"$RUN_DIR/azurite.address"
}

# azurite-oauth: the same blob service over https (a self-signed certificate for 127.0.0.1, made once)
# with "--oauth basic": bearer tokens are accepted when their issuer, audience and lifetime are right
# (Azurite does not check token signatures). Shared Key works as well.
AZURITE_TLS=$CACHE_DIR/azurite-tls

peer_azurite-oauth_prepare() {
    npm_ensure "$CACHE_DIR/azurite" "$AZURITE_NPM"
    [[ -s $AZURITE_TLS/cert.pem && -s $AZURITE_TLS/key.pem ]] && return 0
    command -v openssl >/dev/null || apt_ensure openssl
    mkdir -p "$AZURITE_TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$AZURITE_TLS/key.pem" -out "$AZURITE_TLS/cert.pem" 2>/dev/null
}

peer_azurite-oauth_run() {
    local port
    port=$(free_port)
    rm -f "$RUN_DIR/azurite-oauth.address"
    daemon_start azurite-oauth "$(command -v node)" "$CACHE_DIR/azurite/node_modules/azurite/dist/src/blob/main.js" \
        --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence --disableTelemetry \
        --skipApiVersionCheck --silent --oauth basic \
        --cert "$AZURITE_TLS/cert.pem" --key "$AZURITE_TLS/key.pem"
    wait_for_port "$port" 60 azurite-oauth
    echo "https://127.0.0.1:$port/devstoreaccount1" >"$RUN_DIR/azurite-oauth.address"
}

# kinesis: kinesalite (npm), an in-memory Kinesis Data Streams emulator speaking the JSON protocol

KINESALITE_VERSION=3.3.3
KINESALITE_DIR=$CACHE_DIR/kinesalite

peer_kinesis_prepare() { npm_ensure "$KINESALITE_DIR" "kinesalite@$KINESALITE_VERSION"; }

peer_kinesis_run() {
    rm -f "$RUN_DIR/kinesis.address"
    # A small launcher (kinesalite's CLI cannot bind to loopback only): port 0, address file once listening.
    daemon_start kinesis node "$ENG_DIR/kinesis/kinesalite-server.js" \
        "$KINESALITE_DIR/node_modules/kinesalite" "$RUN_DIR/kinesis.address"
    wait_for_file "$RUN_DIR/kinesis.address" 15 kinesis
}

# ---------------------------------------------------------------------------------------------

peer_known() { local p; for p in "${PEERS[@]}"; do [[ $p == "$1" ]] && return 0; done; return 1; }

with_lock() {
    mkdir -p "$CACHE_DIR"
    exec 9>"$CACHE_DIR/.lock-$1"
    flock 9
}

main() {
    (($# >= 2)) || usage
    local action=$1 peer=$2; shift 2
    peer_known "$peer" || usage
    local t0; t0=$(now_ms)
    case $action in
        prepare)
            with_lock "$peer"
            "peer_${peer}_prepare" ;;
        start)
            with_lock "$peer"
            "peer_${peer}_prepare"
            if daemon_pid "$peer" >/dev/null && [[ -s $RUN_DIR/$peer.address ]]; then
                log "$peer already running (pid $(daemon_pid "$peer"))"
            else
                daemon_stop "$peer"
                timed "start $peer" "peer_${peer}_run" "$@"
            fi
            log "$peer ready in $(($(now_ms) - t0)) ms; log: $RUN_DIR/$peer.log"
            tail -n 1 "$RUN_DIR/$peer.address" >&3 ;;
        stop)
            with_lock "$peer"
            daemon_stop "$peer" ;;
        status)
            daemon_pid "$peer" >/dev/null && [[ -s $RUN_DIR/$peer.address ]] || exit 1
            tail -n 1 "$RUN_DIR/$peer.address" >&3 ;;
        *) usage ;;
    esac
}

main "$@"
