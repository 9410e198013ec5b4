#!/usr/bin/env bash
# Sets up a fresh machine: installs the data packages (npm), restores NuGet packages and builds everything.
# The build applies the GLIBCXX_3.4.32 fix to TorchSharp's native shim where the system libstdc++ needs it.
# Safe to run again: each step is a no-op when already done.
set -euo pipefail
cd "$(dirname "$0")"
for tool in dotnet npm; do
  command -v "$tool" >/dev/null || { echo "setup: '$tool' is not on PATH; install the .NET 10 SDK and Node.js (npm) first." >&2; exit 1; }
done
npm ci --no-audit --no-fund --loglevel=error
dotnet build Lawcat.Workbench.sln -c Release -nologo -v quiet "$@"
echo "setup: done"
