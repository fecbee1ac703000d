#!/usr/bin/env bash
# Packs every src project into artifacts/packages and proves the packages work as users consume them: a small
# console project (eng/consumer) restores every StreamKit package by PackageReference from that folder — into a
# private packages folder, so no stale copy of the same version can answer — publishes it Native AOT, fails on any
# trim or AOT warning (IL2xxx/IL3xxx: errors through TreatWarningsAsErrors, and looked for in the log as well), and
# runs the native executable.
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
if grep -E "(warning|error) IL[23][0-9]{3}" "$work/publish.log" >&2; then
  echo "pack-check: trim or AOT warnings in the consumer's Native AOT publish (above)" >&2
  exit 1
fi
echo "pack-check: consumer published Native AOT in $((SECONDS - started)) s, $(du -k "$work/out/Consumer" | cut -f1) KiB, no trim or AOT warnings" >&2
"$work/out/Consumer"
