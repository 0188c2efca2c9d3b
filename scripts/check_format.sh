#!/usr/bin/env bash
# Checks that every C, C++ and CUDA file of the project (git ls-files '*.c' '*.cc' '*.h' '*.cu' '*.cuh',
# plus new files git does not ignore) is formatted as .clang-format says, with clang-format 14
# (Debian 12's). Prints the files that would change and exits 1 if there are any.
#
#   scripts/check_format.sh          # check (scripts/test.sh, stage "format")
#   scripts/check_format.sh --fix    # reformat those files in place (clang-format -i)
#
# Environment knob: CLANG_FORMAT (clang-format-14, else clang-format).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
fix=0
case ${1:-} in
  --fix) fix=1 ;;
  "") ;;
  *) echo "usage: scripts/check_format.sh [--fix]" >&2; exit 2 ;;
esac

clang_format=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format)}
if [ -z "$clang_format" ]; then
  echo "check_format.sh: clang-format is not installed (apt-get install clang-format)" >&2
  exit 2
fi
version=$("$clang_format" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [ "$version" != 14 ]; then
  echo "check_format.sh: warning: $clang_format is version ${version:-unknown}; the tree is formatted with 14" >&2
fi

files=()
while IFS= read -r file; do
  [ -f "$file" ] && files+=("$file")  # a tracked file deleted in the working tree is skipped
done < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.cc' '*.h' '*.cu' '*.cuh' | sort -u)
if [ ${#files[@]} -eq 0 ]; then
  echo "check_format.sh: no C/C++/CUDA files found (not in a git checkout?)" >&2
  exit 2
fi

if [ "$fix" -eq 1 ]; then
  "$clang_format" -i "${files[@]}" || exit 1
  echo "check_format.sh: formatted ${#files[@]} files"
  exit 0
fi

# One clang-format for all files first (about a second); only when it finds something is each
# file checked on its own (one process each, about 30 s on 2 cores) to name files and places.
if "$clang_format" --dry-run -Werror "${files[@]}" >/dev/null 2>&1; then
  echo "check_format.sh: all ${#files[@]} files are formatted"
  exit 0
fi

unformatted=0
for file in "${files[@]}"; do
  # --dry-run -Werror: one "code should be clang-formatted" error per place that would change.
  if ! output=$("$clang_format" --dry-run -Werror "$file" 2>&1); then
    places=$(grep -c 'code should be clang-formatted' <<<"$output")
    if [ "$places" -gt 0 ]; then
      echo "$file: $places places would change"
    else
      echo "$file: clang-format failed: $(head -n 1 <<<"$output")"
    fi
    unformatted=$((unformatted + 1))
  fi
done
if [ "$unformatted" -gt 0 ]; then
  echo "check_format.sh: $unformatted of ${#files[@]} files are not formatted (scripts/check_format.sh --fix)"
  exit 1
fi
echo "check_format.sh: all ${#files[@]} files are formatted"
