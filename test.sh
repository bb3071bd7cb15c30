#!/usr/bin/env bash
# Runs the whole test suite: installs the system packages it needs, builds, runs every test
# project, and prints one closing line "N passed, N failed, N skipped" summed over all of them.
# Exits non-zero on any failure, or when no test ran at all.
#
# The projects run in three lanes at once (see the end), each project's parts in turn.
# Each project's output is printed whole when it ends. `./test.sh NAME...` runs only the named
# projects (e.g. `./test.sh Server Agent`), in one lane.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The suite starts ~150 short-lived .NET processes (test hosts, servers, boot services): without
# dynamic PGO's instrumented tier they JIT less (the boot service's own tests: 53 -> 50 CPU-s).
# The product's processes keep the runtime's defaults; this is the test run's setting only.
export DOTNET_TieredPGO=0

# The projects named on the command line, checked before anything is installed or built.
all=$(find tests -name '*.Tests.csproj' | sort)
chosen=""
for wanted in "$@"; do
  match=$(echo "$all" | grep -E "/ImagePipeline\.$wanted\.Tests\.csproj$" || true)
  [ -n "$match" ] || { echo "no test project ImagePipeline.$wanted.Tests (have: $(echo "$all" | sed -E 's|.*/ImagePipeline\.(.*)\.Tests\.csproj|\1|' | tr '\n' ' '))"; exit 2; }
  chosen="$chosen $match"
done

./scripts/bootstrap.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# The tiny recipes' busybox base, built by the first test process that needs it and linked into
# the others' stage caches (tests/Shared/Seed/SeededBase.cs): once per run instead of once per project.
export IMAGEPIPE_TEST_SEED="$results/seed"
# The server's PostgreSQL tests need Docker and the local PostgreSQL image; made while the solution
# builds (mostly downloads and unpacking beside a compiler), not by the first such test.
postgres_image=""
if [ $# -eq 0 ] || echo "$chosen" | grep -q '/ImagePipeline\.Server\.Tests\.csproj'; then
  (./scripts/docker-daemon.sh && ./scripts/postgres-image.sh) >"$results/postgres-image.log" 2>&1 &
  postgres_image=$!
fi

if ! dotnet build ImagePipeline.sln -c Debug --nologo -v q; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
# A failure here is the first PostgreSQL test's to report (it runs the same scripts and says why).
[ -z "$postgres_image" ] || wait "$postgres_image" || echo "test.sh: the PostgreSQL image was not made ahead: $(tail -n 3 "$results/postgres-image.log")"

# A test project's whole output may be this big (IMAGEPIPE_TEST_LOG_LIMIT bytes); more is a flood.
log_limit=${IMAGEPIPE_TEST_LOG_LIMIT:-$((20 * 1048576))}

# Runs one test project; its output goes to the terminal whole when it ends, and its counts to
# $results/NAME.counts ("passed failed skipped broken"). PROJECT#CLASS runs only that test class,
# PROJECT#-CLASS all but it, PROJECT@NAMESPACE and PROJECT@-NAMESPACE the same for a namespace of
# the project: one project's slow part can run in another lane.
run_project() {
  local spec=$1 project name log status p f s broken=0 started size filter=()
  project=${spec%%[#@]*}
  name=$(basename "$project" .csproj)
  case "$spec" in
    *'#-'*) filter=(--filter-not-class "*.${spec##*#-}"); name="$name.without-${spec##*#-}" ;;
    *'#'*) filter=(--filter-class "*.${spec##*#}"); name="$name.${spec##*#}" ;;
    *'@-'*) filter=(--filter-not-namespace "$name.${spec##*@-}"); name="$name.without-${spec##*@-}" ;;
    *'@'*) filter=(--filter-namespace "$name.${spec##*@}"); name="$name.${spec##*@}" ;;
  esac
  log="$results/$name.log"
  started=$(date +%s)
  dotnet test --project "$project" --no-build -c Debug \
    --results-directory "$results/$name.results" --report-xunit-xml --report-xunit-xml-filename tests.xml "${filter[@]}" >"$log" 2>&1
  status=$?
  # Microsoft.Testing.Platform's summary: "total: N", "failed: N", "succeeded: N", "skipped: N".
  p=$(sed -n 's/^ *succeeded: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^ *failed: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  s=$(sed -n 's/^ *skipped: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  {
    flock 9
    echo "=== $name ($(( $(date +%s) - started )) s)"
    size=$(stat -c %s "$log")
    if [ "$size" -gt "$log_limit" ]; then
      # Not the flood itself: its start and its end.
      head -n 200 "$log"
      echo "... ($((size / 1048576)) MiB cut) ..."
      tail -n 200 "$log"
    else
      grep -v -e 'In process file artifacts produced:' -e "$results/" "$log"
    fi
    # The three slowest tests, to keep the suite inside its budget.
    [ -f "$results/$name.results/tests.xml" ] && grep -o '<test [^>]*>' "$results/$name.results/tests.xml" |
      sed -n 's/.* time="\([0-9.]*\)".* type="\([^"]*\)" method="\([^"]*\)".*/\1 \2.\3/p' | sort -rn | head -3 |
      while read -r seconds test; do printf '  slowest: %4.0f s %s\n' "$seconds" "${test#ImagePipeline.*.Tests.}"; done
    # The failed tests with their messages, printed again above the closing line: the process's
    # whole console output follows a failure in the log, and a cut log would hide them.
    grep -A 40 -E '^failed ' "$log" | cut -c1-300 | head -n 160 | sed "s/^/  $name: /" >"$results/$name.failures"
    # A log flood (a loop that spins and logs each round) fails the project, whatever its tests said.
    if [ "$size" -gt "$log_limit" ]; then
      echo "!!! $name wrote $size bytes of output (limit $log_limit, IMAGEPIPE_TEST_LOG_LIMIT): a log flood, counted as one failure; the line repeated most (count, line):"
      sort "$log" | uniq -c | sort -rn | head -1 | cut -c1-300
      broken=1
    fi
    if [ -z "$p" ] || [ -z "$f" ]; then
      echo "!!! $name produced no test summary (exit $status): counted as one failure"
      p=0 f=0 broken=1
    elif [ "$status" -ne 0 ] && [ "$f" -eq 0 ] && [ "$broken" -eq 0 ]; then
      echo "!!! $name exited $status with no failed test: counted as one failure"
      broken=1
    fi
  } 9>"$results/print.lock"
  echo "$p $f ${s:-0} $broken" >"$results/$name.counts"
}

run_lane() {
  local project
  for project in "$@"; do run_project "$project"; done
}

if [ $# -gt 0 ]; then
  run_lane $chosen
else
  # Three lanes on two cores. CPU is what limits the suite (two lanes used 171% of the cores,
  # three 162-170%): the lanes only let its parts end close together. Fresh clone of a31650f here,
  # 22 min 46 s: the VM lab 1043 s + the small ones 86 s; boot service 733 s + the harness's own
  # tests 345 s + builder 199 s; server 719 s + read-only roots 465 s.
  builder=$(echo "$all" | grep -E '/ImagePipeline\.Builder\.Tests\.csproj$')
  validation=$(echo "$all" | grep -E '/ImagePipeline\.Validation\.Tests\.csproj$')
  others=$(echo "$all" | grep -v -E '/ImagePipeline\.(Validation|Builder)\.Tests\.csproj$')
  run_lane "$validation@Lab" $(echo "$others" | grep -v -e Server -e BootService) &
  lab_lane=$!
  run_lane $(echo "$others" | grep BootService) "$validation@-Lab" "$builder#-ReadOnlyRootTests" &
  harness_lane=$!
  run_lane $(echo "$others" | grep Server) "$builder#ReadOnlyRootTests"
  wait "$lab_lane" "$harness_lane"
fi

passed=0 failed=0 skipped=0
for counts in "$results"/*.counts; do
  read -r p f s b <"$counts"
  passed=$((passed + p)); failed=$((failed + f + b)); skipped=$((skipped + s))
done
cat "$results"/*.failures 2>/dev/null
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
