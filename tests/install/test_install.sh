#!/usr/bin/env bash
# test_install.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS...]
#
# libdusk as someone else's program sees it: `cmake --install` of BUILD_DIR
# into a fresh temporary prefix, then, using nothing but that prefix and
# pkg-config:
#   - the installed files are there, with the soname links;
#   - dusk.h compiles alone (C99 -Wall -Wextra -Werror -pedantic, and as
#     C++ when a C++ compiler exists);
#   - libdusk.so exports exactly the functions dusk.h declares;
#   - examples/hello_dusk.c, linked against libdusk.so, runs from a folder
#     of its own (no DUSK_BIN_DIR, no build folder on PATH) and finds the
#     installed daemons next to the installed library; linked statically
#     (pkg-config --static), it finds them on PATH;
#   - the installed `dusk` finds the installed daemons next to itself, and
#     `dusk ssh` the installed dusk-ssh.
# EXTRA_CFLAGS (e.g. -fsanitize=address,undefined for a sanitizer build) go
# to every compile and link.  Exit status 0 when all of it holds.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
shift 2
extra=("$@")
cc=${CC:-cc}

work=$(mktemp -d /tmp/dusk-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "test_install: $*" >&2; exit 1; }

"${CMAKE:-cmake}" --install "$build" --prefix "$prefix" >/dev/null

pc=$(find "$prefix" -name dusk.pc -path '*/pkgconfig/*')
[ -n "$pc" ] || fail "no dusk.pc installed"
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir dusk)
includedir=$(pkg-config --variable=includedir dusk)
for f in bin/dusk bin/dusk-scheduler bin/dusk-worker bin/dusk-ssh bin/dusk-local-provider; do
  [ -x "$prefix/$f" ] || fail "$f not installed"
done
for f in dusk.h dusk_errors.h dusk_tls.h dusk_plugin.h; do
  [ -f "$includedir/$f" ] || fail "include/$f not installed"
done
[ -f "$libdir/libdusk.a" ] || fail "libdusk.a not installed"
soname=$(readelf -d "$libdir/libdusk.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$soname" ] && [ -L "$libdir/$soname" ] || fail "libdusk.so has no soname link ($soname)"
version=$(pkg-config --modversion dusk)
[ -f "$libdir/libdusk.so.$version" ] || fail "no libdusk.so.$version"
echo "installed dusk $version ($soname) into $prefix"

# dusk.h on its own: nothing but the installed headers and libc.
printf '#include <dusk.h>\nint main(void) { return dusk_version() == DUSK_VERSION_HEX ? 0 : 1; }\n' \
  >"$work/alone.c"
"$cc" -std=c99 -Wall -Wextra -Werror -pedantic "${extra[@]}" -c "$work/alone.c" \
  $(pkg-config --cflags dusk) -o "$work/alone.o" || fail "dusk.h does not compile alone as C99"
if command -v c++ >/dev/null 2>&1; then
  cp "$work/alone.c" "$work/alone.cc"
  c++ -std=c++11 -Wall -Wextra -Werror -pedantic "${extra[@]}" -c "$work/alone.cc" \
    $(pkg-config --cflags dusk) -o "$work/alone_cc.o" || fail "dusk.h does not compile as C++"
  c++ "${extra[@]}" "$work/alone_cc.o" $(pkg-config --libs dusk) -o "$work/alone_cc" ||
    fail "a C++ program does not link against libdusk"
  LD_LIBRARY_PATH=$libdir "$work/alone_cc" || fail "C++: dusk_version() != DUSK_VERSION_HEX"
fi

# dusk_plugin.h alone: a plugin built with hidden symbols still exports its
# init and its ABI version (as C, and as C++).
cat >"$work/plugin.c" <<'PLUGIN'
#include <dusk_plugin.h>
DUSK_PLUGIN_DEFINE_ABI();
int dusk_plugin_init(const dusk_op_api *api, void *registry) {
  return api->abi_version == DUSK_PLUGIN_ABI_VERSION && registry ? 0 : -1;
}
PLUGIN
plugin_check() { # COMPILER STD SOURCE
  "$1" -std="$2" -Wall -Wextra -Werror -pedantic -fPIC -shared -fvisibility=hidden \
    "${extra[@]}" $(pkg-config --cflags dusk) "$3" -o "$work/plugin.so" ||
    fail "a plugin does not build with dusk_plugin.h ($1)"
  for sym in dusk_plugin_init dusk_plugin_abi_version; do
    nm -D --defined-only "$work/plugin.so" | grep -qw "$sym" ||
      fail "a plugin built with -fvisibility=hidden does not export $sym ($1)"
  done
}
plugin_check "$cc" c99 "$work/plugin.c"
if command -v c++ >/dev/null 2>&1; then
  cp "$work/plugin.c" "$work/plugin.cc"
  plugin_check c++ c++11 "$work/plugin.cc"
fi

# Exports: exactly the functions the public headers declare.
"$cc" -E -P $(pkg-config --cflags dusk) "$includedir/dusk.h" |
  grep -oE '\bdusk_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u >"$work/declared"
nm -D --defined-only "$libdir/libdusk.so" | awk '{print $3}' | sort -u >"$work/exported"
diff -u "$work/declared" "$work/exported" >"$work/exports.diff" ||
  { cat "$work/exports.diff" >&2; fail "libdusk.so exports differ from dusk.h (- declared only, + exported only)"; }
echo "libdusk.so exports the $(wc -l <"$work/declared") functions dusk.h declares"

expect_output() { # FILE
  for want in "libdusk $version" "sum of 1..10 = 55" "east: fare 15.25 tip 1" \
              "north: fare 32.50 tip 7" "south: fare 30.00 tip 4"; do
    grep -qF "$want" "$1" || { cat "$1" >&2; fail "hello_dusk printed no '$want'"; }
  done
}

# The example, shared: run from its own folder, so only the library's
# location can lead it to the installed daemons.
mkdir "$work/app"
"$cc" -Wall -Wextra -Werror "${extra[@]}" "$src/examples/hello_dusk.c" \
  $(pkg-config --cflags --libs dusk) -o "$work/app/hello_dusk"
(cd "$work/app" && env -u DUSK_BIN_DIR PATH=/usr/bin:/bin LD_LIBRARY_PATH="$libdir" \
  ./hello_dusk >"$work/shared.out") || { cat "$work/shared.out" >&2; fail "hello_dusk (shared) failed"; }
expect_output "$work/shared.out"
echo "hello_dusk (libdusk.so) ran against the installed daemons"

# Static: every dependency from pkg-config --static; daemons from PATH.
"$cc" -Wall -Wextra -Werror "${extra[@]}" "$src/examples/hello_dusk.c" \
  $(pkg-config --static --cflags dusk) "$libdir/libdusk.a" \
  $(pkg-config --static --libs-only-l --libs-only-other dusk | sed 's/-ldusk\b//') \
  -o "$work/app/hello_dusk_static"
(cd "$work/app" && env -u DUSK_BIN_DIR -u LD_LIBRARY_PATH PATH="$prefix/bin:/usr/bin:/bin" \
  ./hello_dusk_static >"$work/static.out") || { cat "$work/static.out" >&2; fail "hello_dusk (static) failed"; }
expect_output "$work/static.out"
echo "hello_dusk (libdusk.a) ran against the installed daemons"

# The installed CLI finds the daemons beside itself.
printf 'k,v\na,1\nb,2\na,3\n' >"$work/kv.csv"
(cd "$work" && env -u DUSK_BIN_DIR PATH=/usr/bin:/bin \
  "$prefix/bin/dusk" query --workers 1 --format csv \
  "read_csv(\"$work/kv.csv\").groupby(\"k\").sum()" >"$work/cli.out") ||
  { cat "$work/cli.out" >&2; fail "the installed dusk failed"; }
[ "$(cat "$work/cli.out")" = "$(printf 'k,v\na,4\nb,2')" ] ||
  { cat "$work/cli.out" >&2; fail "the installed dusk printed the wrong answer"; }
echo "the installed dusk ran a query on its installed daemons"
(cd "$work" && env PATH=/usr/bin:/bin "$prefix/bin/dusk" ssh --help >"$work/ssh.out" 2>&1) &&
  grep -q '^usage: dusk ssh up' "$work/ssh.out" ||
  { cat "$work/ssh.out" >&2; fail "the installed dusk ssh did not run the installed dusk-ssh"; }
echo "the installed dusk ssh runs the installed dusk-ssh"

# The Python package as run.sh installs it for /usr/bin/python3 (the
# python component, staged under DESTDIR here), imported from another
# directory with the daemons it ships.
py_check='import dusk, dusk.dataframe as dd, sys
with dusk.Client() as c:
    assert c.submit("add", 1, c.submit("add", 41)).result() == 42
    r = dd.read_csv(sys.argv[1]).groupby("k").sum().compute()
    assert r["v"].to_dict() == {"a": 4, "b": 2}, r
print("ok", dusk.__file__)'
site=$(sed -n 's/^DUSK_PYTHON_SITEDIR:PATH=//p' "$build/CMakeCache.txt")
# A sanitizer build's extension needs libasan loaded before the (plain)
# interpreter, as the pytest suites do (tests/CMakeLists.txt).
py_env=()
if grep -q '^DUSK_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  py_env=("LD_PRELOAD=$("$cc" -print-file-name=libasan.so)" "ASAN_OPTIONS=detect_leaks=0")
fi
if [ -n "$site" ]; then
  DESTDIR="$work/stage" cmake --install "$build" --component python >/dev/null
  (cd "$work" && env -u DUSK_BIN_DIR "${py_env[@]}" PYTHONPATH="$work/stage$site" \
    PATH=/usr/bin:/bin /usr/bin/python3 -c "$py_check" "$work/kv.csv" >"$work/py.out" 2>&1) ||
    { cat "$work/py.out" >&2; fail "the installed Python package failed"; }
  grep -q "^ok $work/stage$site/dusk/__init__.py" "$work/py.out" ||
    { cat "$work/py.out" >&2; fail "python imported dusk from elsewhere"; }
  echo "the Python package installed for /usr/bin/python3 ran (from $site)"

fi
# pip install ./python in a venv, with Debian's setuptools (no PyPI): a
# whole Release build of its own, so only `./run.sh test-install` asks for
# it (DUSK_TEST_PIP=1), not the ctest that runs beside the load soak.
if [ -n "$site" ] && [ "${DUSK_TEST_PIP:-0}" = 1 ]; then
  /usr/bin/python3 -m venv --system-site-packages "$work/venv"
  "$work/venv/bin/pip" install -q --no-build-isolation --no-index "$src/python"     >"$work/pip.out" 2>&1 || { cat "$work/pip.out" >&2; fail "pip install ./python failed"; }
  rm -rf "$src/python/build" "$src"/python/*.egg-info
  (cd "$work" && env -u DUSK_BIN_DIR -u PYTHONPATH PATH=/usr/bin:/bin     "$work/venv/bin/python" -c "$py_check" "$work/kv.csv" >"$work/venv.out" 2>&1) ||
    { cat "$work/venv.out" >&2; fail "the pip-installed package failed"; }
  grep -q "^ok $work/venv/" "$work/venv.out" ||
    { cat "$work/venv.out" >&2; fail "the venv imported dusk from elsewhere"; }
  echo "pip install ./python in a venv ran"
fi
echo "test_install: ok"
