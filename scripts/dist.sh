#!/usr/bin/env bash
# The binary to ship: a release build with its symbols and line tables moved
# into a file beside it, linked by name (.gnu_debuglink), so the binary stays
# small and a panic's backtrace still has function names, files and lines
# wherever `stay-sidekick.debug` sits next to it (without it: bare addresses,
# which `addr2line -e stay-sidekick.debug` resolves later).
#
#   bash scripts/dist.sh            # -> dist/stay-sidekick, dist/stay-sidekick.debug
set -euo pipefail
cd "$(dirname "$0")/.."
command -v objcopy >/dev/null || (apt-get update -qq && apt-get install -y -qq binutils) >/dev/null
cargo build --release --locked
mkdir -p dist
objcopy --only-keep-debug target/release/stay-sidekick dist/stay-sidekick.debug
(cd dist && objcopy --strip-all --add-gnu-debuglink=stay-sidekick.debug ../target/release/stay-sidekick stay-sidekick)
ls -l dist/stay-sidekick dist/stay-sidekick.debug | awk '{printf "%-26s %6.1f MiB\n", $9, $5 / 1048576}'
