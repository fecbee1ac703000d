#!/usr/bin/env bash
# Cold start and per-invocation figures of the Lambda function sample (docs/performance.md, "AWS Lambda").
# Not part of the tests.
#
#   eng/lambda-coldstart.sh [RUNS]   (default 15 runs per variant)
#
# Cold start = process start -> first response posted to a loopback Runtime API server (the function's first
# invocation: a 100-record Kinesis batch for the tumbling query), for the empty handler (the Runtime API loop alone)
# and the clickstream function, each from the build output (JIT) and published ReadyToRun (the function also as a
# ReadyToRun composite). Then the per-invocation figures for a 10,000-record Kinesis batch per query. Published
# builds go to artifacts/lambda-coldstart (git-ignored).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-15}"
out="$root/artifacts/lambda-coldstart"
cd "$root"

dotnet build -c Release benchmarks/StreamKit.Lambda.Benchmarks
dotnet build -c Release benchmarks/StreamKit.Lambda.EmptyFunction
# The plain and the composite publish share obj/; ReadyToRun's incremental step would hand one the other's images.
r2r_intermediate=samples/AwsLambda.Clickstream/obj/Release/net10.0/linux-x64/R2R
for project in samples/AwsLambda.Clickstream benchmarks/StreamKit.Lambda.EmptyFunction; do
  rm -rf "$r2r_intermediate"
  dotnet publish "$project" -c Release -r linux-x64 -p:PublishReadyToRun=true --self-contained false -o "$out/r2r/$(basename "$project")"
done
# Composite: the app's assemblies compiled as one version bubble, so StreamKit's generic code instantiated over the
# sample's types is precompiled too (plain ReadyToRun leaves those instantiations to the JIT).
rm -rf "$r2r_intermediate"
dotnet publish samples/AwsLambda.Clickstream -c Release -r linux-x64 -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true \
  --self-contained false -o "$out/composite/AwsLambda.Clickstream"

bench=(dotnet benchmarks/StreamKit.Lambda.Benchmarks/bin/Release/net10.0/StreamKit.Lambda.Benchmarks.dll)
echo "| variant | median (ms) | min (ms) | max (ms) |"
echo "| --- | ---: | ---: | ---: |"
"${bench[@]}" coldstart "$runs" \
  "empty handler, JIT" benchmarks/StreamKit.Lambda.EmptyFunction/bin/Release/net10.0/StreamKit.Lambda.EmptyFunction \
  "clickstream function, JIT" samples/AwsLambda.Clickstream/bin/Release/net10.0/AwsLambda.Clickstream \
  "empty handler, ReadyToRun" "$out/r2r/StreamKit.Lambda.EmptyFunction/StreamKit.Lambda.EmptyFunction" \
  "clickstream function, ReadyToRun" "$out/r2r/AwsLambda.Clickstream/AwsLambda.Clickstream" \
  "clickstream function, ReadyToRun composite" "$out/composite/AwsLambda.Clickstream/AwsLambda.Clickstream"
"${bench[@]}" invoke 10000
