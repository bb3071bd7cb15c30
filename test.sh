#!/usr/bin/env bash
# Runs the whole test suite: installs the system packages it needs, builds, runs every test
# project, and prints one closing line "N passed, N failed, N skipped" summed over all of them.
# Exits non-zero on any failure, or when no test ran at all.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

./scripts/bootstrap.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

if ! dotnet build ImagePipeline.sln -c Debug --nologo -v q; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

passed=0 failed=0 skipped=0 broken=0
for project in $(find tests -name '*.Tests.csproj' | sort); do
  name=$(basename "$project" .csproj)
  echo "=== $name"
  log=$(mktemp)
  dotnet test --project "$project" --no-build -c Debug 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # Microsoft.Testing.Platform's summary: "total: N", "failed: N", "succeeded: N", "skipped: N".
  p=$(sed -n 's/^ *succeeded: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^ *failed: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  s=$(sed -n 's/^ *skipped: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  rm -f "$log"
  if [ -z "$p" ] || [ -z "$f" ]; then
    echo "!!! $name produced no test summary (exit $status): counted as one failure"
    broken=$((broken + 1))
    continue
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "!!! $name exited $status with no failed test: counted as one failure"
    broken=$((broken + 1))
  fi
done

failed=$((failed + broken))
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
