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
# kafka: librdkafka built from source + its mock cluster as a standalone broker

LIBRDKAFKA_VERSION=2.15.1          # what Confluent.Kafka 2.15.1 expects
LIBRDKAFKA_VERSION_HEX=0x020f01ff
LIBRDKAFKA_NPM=@confluentinc/kafka-javascript@1.10.1   # ships librdkafka 2.15.1 source
LIBRDKAFKA_CONFIGURE=(--disable-gssapi --disable-curl --disable-sasl)  # PLAIN/SCRAM stay builtin
MOCK_MAX_SIZE='(size_t)1024 * 1024 * 1024'   # per-partition retention in the mock (default 5 MiB)
MOCK_MAX_CNT=10000000                        # message sets per partition (default 100 K)
RDK_PREFIX=$CACHE_DIR/librdkafka
MOCK_BIN=$CACHE_DIR/bin/kafka-mock-broker
NUGET_FEED=$CACHE_DIR/nuget-local
NUGET_CONFIG=$CACHE_DIR/NuGet.kafka.config
NUGET_PROBE_ANSWER=$CACHE_DIR/nuget-probe/librdkafka.redist-$LIBRDKAFKA_VERSION

kafka_build_key() {
    echo "librdkafka $LIBRDKAFKA_VERSION from $LIBRDKAFKA_NPM; configure ${LIBRDKAFKA_CONFIGURE[*]};" \
        "mock max_size $MOCK_MAX_SIZE max_cnt $MOCK_MAX_CNT"
}

kafka_build_librdkafka() {
    local stamp=$RDK_PREFIX/.build-key
    if [[ -f $stamp && "$(<"$stamp")" == "$(kafka_build_key)" && -e $RDK_PREFIX/lib/librdkafka.so.1 ]]; then
        return 0
    fi
    apt_ensure gcc make pkg-config python3 libssl-dev zlib1g-dev libzstd-dev liblz4-dev
    command -v npm >/dev/null || apt_ensure npm ca-certificates

    local dl=$CACHE_DIR/dl src=$CACHE_DIR/src/librdkafka-$LIBRDKAFKA_VERSION tgz
    mkdir -p "$dl"
    tgz=$dl/confluentinc-kafka-javascript-${LIBRDKAFKA_NPM##*@}.tgz
    if [[ ! -s $tgz ]]; then
        timed "npm pack $LIBRDKAFKA_NPM" npm pack "$LIBRDKAFKA_NPM" --pack-destination "$dl" --silent >/dev/null
        [[ -s $tgz ]] || die "npm pack did not produce $tgz"
    fi
    rm -rf "$src" && mkdir -p "$src"
    tar -xzf "$tgz" -C "$src" --strip-components=3 package/deps/librdkafka
    grep -q "define RD_KAFKA_VERSION $LIBRDKAFKA_VERSION_HEX" "$src/src/rdkafka.h" \
        || die "$LIBRDKAFKA_NPM does not carry librdkafka $LIBRDKAFKA_VERSION"

    # Raise the mock's per-partition retention (it silently drops older data beyond it).
    sed -i -E \
        -e "s/^([[:space:]]*mpart->max_size[[:space:]]*=[[:space:]]*).*;/\1$MOCK_MAX_SIZE;/" \
        -e "s/^([[:space:]]*mpart->max_cnt[[:space:]]*=[[:space:]]*).*;/\1$MOCK_MAX_CNT;/" \
        "$src/src/rdkafka_mock.c"
    if ! grep -q -F "mpart->max_size = $MOCK_MAX_SIZE;" "$src/src/rdkafka_mock.c" ||
        ! grep -q -E "mpart->max_cnt +=  *$MOCK_MAX_CNT;" "$src/src/rdkafka_mock.c"; then
        die "could not patch the mock partition limits in rdkafka_mock.c"
    fi

    rm -rf "$RDK_PREFIX"
    (
        cd "$src"
        timed "librdkafka configure" ./configure --prefix="$RDK_PREFIX" "${LIBRDKAFKA_CONFIGURE[@]}" >/dev/null
        # Only the C shared library: no C++ wrapper, static archives or examples.
        timed "librdkafka make" make -C src -j"$(nproc)" librdkafka.so.1 >/dev/null
        install -D -m 0755 src/librdkafka.so.1 "$RDK_PREFIX/lib/librdkafka.so.1"
        ln -sf librdkafka.so.1 "$RDK_PREFIX/lib/librdkafka.so"
        install -D -m 0644 -t "$RDK_PREFIX/include/librdkafka" src/rdkafka.h src/rdkafka_mock.h
    )
    rm -rf "$CACHE_DIR/src"   # ~100 MB of objects; the tarball stays cached
    kafka_build_key >"$stamp"
    rm -f "$MOCK_BIN"
}

kafka_build_mock() {
    local source=$ENG_DIR/kafka/mock-broker.c
    [[ -x $MOCK_BIN && $MOCK_BIN -nt $source && $MOCK_BIN -nt $RDK_PREFIX/.build-key ]] && return 0
    mkdir -p "$(dirname "$MOCK_BIN")"
    # rpath relative to the binary: finds our librdkafka, never Debian's librdkafka1 (2.0.2).
    # shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker, not the shell
    gcc -O2 -Wall -Wextra -Werror -o "$MOCK_BIN" "$source" -isystem "$RDK_PREFIX/include" \
        -L"$RDK_PREFIX/lib" -lrdkafka -Wl,-rpath,'$ORIGIN/../librdkafka/lib'
}

# The NuGet shim: a local librdkafka.redist package, made only where the registry lacks it.
kafka_nuget_probe() {
    # Prints "available" or "missing"; cached (delete the answer file to ask again).
    if [[ -s $NUGET_PROBE_ANSWER ]]; then cat "$NUGET_PROBE_ANSWER"; return 0; fi
    local tmp answer
    tmp=$(mktemp -d)
    # Outside the repo (no Directory.*.props), the repo's NuGet.config, a private packages
    # folder so an already extracted shim cannot answer for the registry.
    cp "$REPO_DIR/NuGet.config" "$tmp/NuGet.config"
    cat >"$tmp/probe.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="librdkafka.redist" Version="[$LIBRDKAFKA_VERSION]" /></ItemGroup>
</Project>
EOF
    if dotnet restore "$tmp/probe.csproj" --packages "$tmp/packages" --no-http-cache \
        --configfile "$tmp/NuGet.config" >"$tmp/out" 2>&1; then
        answer=available
    elif grep -q -E 'NU110[12]' "$tmp/out"; then
        answer=missing
    else
        cat "$tmp/out" >&2; rm -rf "$tmp"
        log "NuGet probe inconclusive (network?); assuming librdkafka.redist is missing, not caching"
        echo missing; return 0
    fi
    rm -rf "$tmp"
    mkdir -p "$(dirname "$NUGET_PROBE_ANSWER")"
    echo "$answer" >"$NUGET_PROBE_ANSWER"
    echo "$answer"
}

kafka_nuget_shim() {
    if ! command -v dotnet >/dev/null; then
        log "no dotnet on PATH: skipping the librdkafka.redist check"; return 0
    fi
    local answer nupkg=$NUGET_FEED/librdkafka.redist.$LIBRDKAFKA_VERSION.nupkg
    # STREAMKIT_LIBRDKAFKA_SHIM=auto (default: only where the registry lacks the package),
    # always (e.g. to test the shim) or never.
    case ${STREAMKIT_LIBRDKAFKA_SHIM:-auto} in
        auto) answer=$(kafka_nuget_probe) ;;
        always) answer=missing ;;
        never) answer=available ;;
        *) die "STREAMKIT_LIBRDKAFKA_SHIM must be auto, always or never" ;;
    esac
    if [[ $answer == available ]]; then
        rm -rf "$NUGET_FEED" "$NUGET_CONFIG" "$CACHE_DIR/nuget-packages"
        return 0
    fi
    if [[ ! -s $nupkg || $RDK_PREFIX/.build-key -nt $nupkg || ! -s $NUGET_CONFIG ]]; then
        log "librdkafka.redist $LIBRDKAFKA_VERSION: registry lacks it (or shim forced); writing $NUGET_FEED"
        mkdir -p "$NUGET_FEED"
        python3 - "$nupkg" "$RDK_PREFIX/lib/librdkafka.so.1" "$LIBRDKAFKA_VERSION" <<'EOF'
import sys, zipfile
nupkg, lib, version = sys.argv[1:]
nuspec = f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>librdkafka.redist</id>
    <version>{version}</version>
    <authors>StreamKit eng/test-peers.sh</authors>
    <license type="expression">BSD-2-Clause</license>
    <description>Local stand-in for librdkafka.redist {version} (linux-x64 only), built from librdkafka's source where the package registry lacks the real package. Test use only; never publish.</description>
  </metadata>
</package>
"""
types = """<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="nuspec" ContentType="application/octet" /><Default Extension="so" ContentType="application/octet" /></Types>
"""
def add(z, name, data):
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    z.writestr(info, data)
with zipfile.ZipFile(nupkg + ".tmp", "w") as z:
    add(z, "librdkafka.redist.nuspec", nuspec)
    add(z, "[Content_Types].xml", types)
    with open(lib, "rb") as f:
        add(z, "runtimes/linux-x64/native/librdkafka.so", f.read())
import os; os.replace(nupkg + ".tmp", nupkg)
EOF
        # NuGet config = the repo's sources + the local folder, which serves librdkafka.redist only.
        python3 - "$REPO_DIR/NuGet.config" "$NUGET_CONFIG" <<'EOF'
import sys, xml.etree.ElementTree as ET
src, dst = sys.argv[1:]
tree = ET.parse(src); root = tree.getroot()
sources = root.find("packageSources")
keys = [a.get("key") for a in sources.findall("add")]
add = ET.SubElement(sources, "add"); add.set("key", "streamkit-local-librdkafka"); add.set("value", "nuget-local")
mapping = root.find("packageSourceMapping")
if mapping is None:
    mapping = ET.SubElement(root, "packageSourceMapping")
    for k in keys:
        ps = ET.SubElement(mapping, "packageSource"); ps.set("key", k)
        ET.SubElement(ps, "package").set("pattern", "*")
ps = ET.SubElement(mapping, "packageSource"); ps.set("key", "streamkit-local-librdkafka")
ET.SubElement(ps, "package").set("pattern", "librdkafka.redist")
# Own packages folder: the shim must never land in the machine-wide ~/.nuget/packages, where it
# would shadow the real package for every other project.
config = root.find("config")
if config is None:
    config = ET.SubElement(root, "config")
gpf = ET.SubElement(config, "add"); gpf.set("key", "globalPackagesFolder"); gpf.set("value", "nuget-packages")
ET.indent(tree)
comment = ET.Comment(" Generated by eng/test-peers.sh (prepare kafka): the registry lacks librdkafka.redist. ")
comment.tail = root.text
root.insert(0, comment)
tree.write(dst, encoding="utf-8", xml_declaration=True)
EOF
    fi
}

peer_kafka_prepare() {
    timed "librdkafka $LIBRDKAFKA_VERSION" kafka_build_librdkafka
    timed "mock broker" kafka_build_mock
    timed "kcat" apt_ensure kcat
    timed "NuGet shim" kafka_nuget_shim
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
