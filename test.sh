#!/usr/bin/env bash
# Runs the whole test suite on CPU and prints one summary line computed from the test results file.
set -uo pipefail
cd "$(dirname "$0")"
results=artifacts/test-results
rm -rf "$results"
dotnet test Lawcat.Workbench.sln -c Release -nologo --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
trx="$results/results.trx"
if [ ! -f "$trx" ]; then echo "0 passed, 1 failed"; exit 1; fi
counter() { grep -o "<Counters [^>]*" "$trx" | grep -o " $1=\"[0-9]*\"" | grep -o "[0-9]*"; }
passed=$(counter passed); failed=$(counter failed); total=$(counter total); executed=$(counter executed)
skipped=$(( ${total:-0} - ${executed:-0} ))
# A crashed test host can leave failures unrecorded: never report a failing run as clean.
[ $status -ne 0 ] && [ "${failed:-0}" -eq 0 ] && failed=1
line="$passed passed, $failed failed"
[ "${skipped:-0}" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
exit $status
