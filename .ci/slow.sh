#!/bin/sh
# .ci/slow.sh - the slow test set (ctest label "slow"), once per CI run: Home Assistant's real
# intervals (55 s pings and heartbeats, a 40 s service call, a 60 s head timeout, a 1 GiB
# upload through TLS) through the docs' config unchanged.  Every case is its own ctest test
# and they run in parallel: the longest (about two minutes) bounds the whole set.
set -eu
cd "$(dirname "$0")/.."
dir=build-slow
cmake -S . -B "$dir" -DPINFOLD_TLS=mbedtls -DPINFOLD_SLOW_TESTS=ON >/dev/null
nice -n 10 cmake --build "$dir" -j2 --target pinfold >/dev/null
cd "$dir" && ctest -L slow -j 6 --output-on-failure --timeout 400
