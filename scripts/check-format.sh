#!/usr/bin/env bash
# Fails (exit 1) when a C++ source differs from what .clang-format prescribes; lists the files.
set -uo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r f; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not clang-formatted: $f"; bad=1
  fi
done < <(git ls-files 'src/*.cpp' 'src/*.hpp' 'kernels/*.cpp' 'kernels/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 2>/dev/null || find src kernels tests bench -name '*.[ch]pp')
[[ $bad -eq 0 ]] && echo "all C++ sources are clang-formatted"
exit $bad
