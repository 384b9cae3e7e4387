#!/usr/bin/env bash
# Install dependencies, build, and run the whole test suite (unit + integration).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
scripts/build.sh
status=0
ctest --test-dir build --output-on-failure -j2 || status=$?
exit "$status"
