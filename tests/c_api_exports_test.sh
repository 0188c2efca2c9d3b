#!/usr/bin/env bash
# libhandtrack.so exports the C API and nothing else (bindings/c/handtrack.map), and its soname
# carries the major version:
#   c_api_exports_test.sh LIBRARY MAJOR
set -uo pipefail
library=$1 major=$2
status=0
# Defined dynamic symbols (nm -D prints "VALUE TYPE NAME"); every one must be ht_*.
if ! symbols=$(nm -D --defined-only "$library" | awk '{print $NF}'); then
  echo "FAIL: nm -D could not read $library"
  exit 1
fi
others=$(grep -v '^ht_' <<<"$symbols")
if [ -n "$others" ]; then
  echo "FAIL: $library exports symbols without the ht_ prefix:"
  sed 's/^/  /' <<<"$others"
  status=1
fi
count=$(grep -c '^ht_' <<<"$symbols")
if [ "$count" -eq 0 ]; then
  echo "FAIL: $library exports no ht_ symbols"
  status=1
fi
soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" != "libhandtrack.so.$major" ]; then
  echo "FAIL: $library has SONAME '${soname}', expected libhandtrack.so.$major"
  status=1
fi
[ "$status" -eq 0 ] && echo "OK: $count ht_ symbols and nothing else; SONAME $soname"
exit "$status"
