#!/usr/bin/env bash
# Cold start and per-invocation figures of the Lambda function sample (docs/performance.md, "AWS Lambda").
# Not part of the tests.
#
#   eng/lambda-coldstart.sh [RUNS]   (default 15 runs per variant)
#
# Cold start = process start -> first response posted to a loopback Runtime API server (the function's first
# invocation: a 100-record Kinesis batch for the tumbling query), for the empty handler (the Runtime API loop alone)
# and the clickstream function, each published Native AOT (the sample's default: the `bootstrap` executable
# provided.al2023 runs), from the build output (JIT), published framework-dependent ReadyToRun (the function also as
# a composite of its own assemblies), and published self-contained as one composite image with the framework; the
# Native AOT and self-contained composite functions also with their state in S3 (s3rver through eng/test-peers.sh;
# the others keep it in a directory). Then the per-invocation figures for a 10,000-record Kinesis batch per query.
# Published builds go to artifacts/lambda-coldstart (git-ignored).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-15}"
out="$root/artifacts/lambda-coldstart"
cd "$root"

dotnet build -c Release benchmarks/StreamKit.Lambda.Benchmarks
dotnet build -c Release benchmarks/StreamKit.Lambda.EmptyFunction
# The plain and the composite publish share obj/; ReadyToRun's incremental step would hand one the other's images.
publish() { # PROJECT OUTPUT ARGS...
  rm -rf "$1/obj/Release/net10.0/linux-x64/R2R"
  dotnet publish "$1" -c Release -r linux-x64 -p:PublishAot=false -p:PublishReadyToRun=true -o "$2" "${@:3}"
  rm -rf "$1/obj/Release/net10.0/linux-x64/R2R"
}
for project in samples/AwsLambda.Clickstream benchmarks/StreamKit.Lambda.EmptyFunction; do
  name="$(basename "$project")"
  # Native AOT: no JIT at all. The sample names its executable bootstrap; the empty handler keeps its own name.
  dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -o "$out/aot/$name"
  publish "$project" "$out/r2r/$name" --self-contained false -p:PublishReadyToRunComposite=false
  # The framework compiled into the same image: its generics over the app's types and the app's generics over int and
  # long are precompiled too, which no framework-dependent build can do.
  publish "$project" "$out/self-contained-composite/$name" --self-contained true -p:PublishReadyToRunComposite=true
done
# Framework-dependent composite: the app's assemblies as one version bubble, so StreamKit's generic code over the
# sample's own types is precompiled too (plain ReadyToRun leaves those instantiations to the JIT).
publish samples/AwsLambda.Clickstream "$out/composite/AwsLambda.Clickstream" --self-contained false -p:PublishReadyToRunComposite=true

# The Native AOT and the self-contained function once more with their state in S3 (s3rver, started by
# eng/test-peers.sh), configured as on Lambda: a wrapper sets the bucket, the endpoint and s3rver's key pair, and a
# fresh key prefix per start (an empty shard, as the directory variants start with an empty directory). The wrapper's
# /bin/sh exec is in its figure.
s3_was_running=true
eng/test-peers.sh status s3 >/dev/null 2>&1 || s3_was_running=false
s3="$(eng/test-peers.sh start s3 | tail -1)"
curl -s -o /dev/null -X PUT "$s3/coldstart"
s3_wrapper() { # WRAPPER EXECUTABLE
  cat > "$1" <<EOF
#!/bin/sh
export CLICKSTREAM_STATE_BUCKET=coldstart CLICKSTREAM_STATE_PREFIX="run-\$\$-\$(date +%s%N)/" AWS_ENDPOINT_URL_S3=$s3 \\
  AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
exec "$2"
EOF
  chmod +x "$1"
}
s3_wrapper "$out/s3-function.sh" "$out/self-contained-composite/AwsLambda.Clickstream/AwsLambda.Clickstream"
s3_wrapper "$out/s3-aot-function.sh" "$out/aot/AwsLambda.Clickstream/bootstrap"

bench=(dotnet benchmarks/StreamKit.Lambda.Benchmarks/bin/Release/net10.0/StreamKit.Lambda.Benchmarks.dll)
echo "| variant | median (ms) | min (ms) | max (ms) |"
echo "| --- | ---: | ---: | ---: |"
"${bench[@]}" coldstart "$runs" \
  "empty handler, Native AOT" "$out/aot/StreamKit.Lambda.EmptyFunction/StreamKit.Lambda.EmptyFunction" \
  "clickstream function, Native AOT" "$out/aot/AwsLambda.Clickstream/bootstrap" \
  "clickstream function, Native AOT, state in S3" "$out/s3-aot-function.sh" \
  "empty handler, JIT" benchmarks/StreamKit.Lambda.EmptyFunction/bin/Release/net10.0/StreamKit.Lambda.EmptyFunction \
  "clickstream function, JIT" samples/AwsLambda.Clickstream/bin/Release/net10.0/AwsLambda.Clickstream \
  "empty handler, ReadyToRun" "$out/r2r/StreamKit.Lambda.EmptyFunction/StreamKit.Lambda.EmptyFunction" \
  "clickstream function, ReadyToRun" "$out/r2r/AwsLambda.Clickstream/AwsLambda.Clickstream" \
  "clickstream function, ReadyToRun composite" "$out/composite/AwsLambda.Clickstream/AwsLambda.Clickstream" \
  "empty handler, self-contained composite" "$out/self-contained-composite/StreamKit.Lambda.EmptyFunction/StreamKit.Lambda.EmptyFunction" \
  "clickstream function, self-contained composite" "$out/self-contained-composite/AwsLambda.Clickstream/AwsLambda.Clickstream" \
  "clickstream function, self-contained composite, state in S3" "$out/s3-function.sh"
$s3_was_running || eng/test-peers.sh stop s3
"${bench[@]}" invoke 10000
