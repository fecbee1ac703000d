#!/usr/bin/env bash
# Packs every src project into artifacts/packages and proves the packages work as users consume them: a small
# console project (eng/consumer) restores StreamKit.Core by PackageReference from that folder — into a private
# packages folder, so no stale copy of the same version can answer — builds and runs it.
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
dotnet run --project "$work/Consumer.csproj" -c Release --packages "$work/packages" --nologo
