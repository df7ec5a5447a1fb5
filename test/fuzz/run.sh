#!/bin/sh
# run.sh SECONDS - build the libFuzzer harnesses with clang and run each one
# for SECONDS on its seed corpus (test/fuzz/corpus/<name>/, <name> being the
# file name without fuzz_).  New inputs go to the build directory, never into
# the seeds.  Exits non-zero if any harness crashes; the crashing input is
# left as crash-* in the build directory to become a unit test.
#
# Environment: PINFOLD_FUZZ_BUILD (build dir, default build-fuzz/ in this checkout),
# PINFOLD_FUZZ_ONLY (run only these names, e.g. "request chunked"),
# PINFOLD_FUZZ_MAX_LEN (largest input, default 20000).
set -eu

secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${PINFOLD_FUZZ_BUILD:-$root/build-fuzz}

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DPINFOLD_FUZZ=ON -DPINFOLD_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzz -j"$(nproc 2>/dev/null || echo 2)"

status=0
for src in "$here"/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	if [ -n "${PINFOLD_FUZZ_ONLY:-}" ]; then
		case " $PINFOLD_FUZZ_ONLY " in *" $name "*) ;; *) continue ;; esac
	fi
	bin="$build/test/fuzz/fuzz_$name"
	work="$build/corpus/$name"
	mkdir -p "$work" "$here/corpus/$name"
	# max_len above HTTP_MAX_HEAD so the size limits are within reach
	set -- -max_total_time="$secs" -max_len="${PINFOLD_FUZZ_MAX_LEN:-20000}" \
		-print_final_stats=1 -artifact_prefix="$build/crash-$name-"
	if [ -f "$here/$name.dict" ]; then
		set -- "$@" -dict="$here/$name.dict"
	fi
	echo "== fuzz_$name for ${secs}s"
	if ! "$bin" "$@" "$work" "$here/corpus/$name"; then
		echo "== fuzz_$name FAILED (see $build/crash-$name-*)" >&2
		status=1
	fi
done
exit $status
