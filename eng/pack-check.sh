#!/usr/bin/env bash
# Packs every src project into artifacts/packages and proves the packages work as users consume them: a small
# console project (eng/consumer) restores every StreamKit package by PackageReference from that folder — into a
# private packages folder, so no stale copy of the same version can answer — publishes it Native AOT and runs the
# native executable. The publish fails on any trim or AOT warning (IL2xxx/IL3xxx) except the exact ones listed with
# their justification in eng/consumer/aot-warnings.txt (all in third-party packages), and on a listed one that no
# longer appears.
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/packages
rm -rf "$out"
for project in src/*/*.csproj; do
    dotnet pack "$project" -c Release -o "$out" --nologo -v quiet
done
ls "$out" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp eng/consumer/Consumer.csproj eng/consumer/Program.cs "$work/"
# The machine's configured sources plus the packed folder (no <clear />: no feed URL is named here).
cat > "$work/NuGet.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$PWD/$out" />
  </packageSources>
</configuration>
CONFIG
# The consumer sits outside the repository so none of its build settings leak in.
printf '<Project />\n' > "$work/Directory.Build.props"
printf '<Project />\n' > "$work/Directory.Packages.props"
started=$SECONDS
if ! dotnet publish "$work/Consumer.csproj" -c Release -r linux-x64 --packages "$work/packages" -o "$work/out" --nologo \
    > "$work/publish.log" 2>&1; then
  cat "$work/publish.log" >&2
  echo "pack-check: the Native AOT publish of the consumer failed" >&2
  exit 1
fi
# Each warning as "CODE ORIGIN", e.g. "IL2026 Avro.PropertyMap.Parse(JToken)", against the list.
grep -oE "(warning|error) IL[23][0-9]{3}: [^:]+" "$work/publish.log" | sed -E 's/^(warning|error) //; s/: / /' | sort -u > "$work/found.txt" || true
grep -vE '^[[:space:]]*(#|$)' eng/consumer/aot-warnings.txt | sort -u > "$work/allowed.txt"
if ! cmp -s "$work/found.txt" "$work/allowed.txt"; then
  comm -23 "$work/found.txt" "$work/allowed.txt" | sed 's/^/pack-check: trim or AOT warning not in eng\/consumer\/aot-warnings.txt: /' >&2
  comm -13 "$work/found.txt" "$work/allowed.txt" | sed 's/^/pack-check: listed in eng\/consumer\/aot-warnings.txt but no longer reported: /' >&2
  exit 1
fi
echo "pack-check: consumer published Native AOT in $((SECONDS - started)) s, $(du -k "$work/out/Consumer" | cut -f1) KiB;" \
  "trim and AOT warnings: $(wc -l < "$work/found.txt"), exactly those listed in eng/consumer/aot-warnings.txt" >&2
"$work/out/Consumer"
