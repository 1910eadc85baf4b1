#!/usr/bin/env bash
# Install mapgc from MAPGC_SOURCE_DIR into a temporary prefix (a Release build,
# no tests), then build and run a tiny program against the installed copy the
# two ways DESIGN.md promises: pkg-config (`mapgc`) and CMake
# (`find_package(mapgc)`, mapgc::mapgc and mapgc::mapgc_static).  Also checks
# that only mapgc.h is installed and that libmapgc.so exports only mg_ names.
set -euo pipefail

src=${MAPGC_SOURCE_DIR:?MAPGC_SOURCE_DIR must name the repository root}
for tool in cmake cc pkg-config nm; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not found"; exit 77; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapgc-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
jobs=$(nproc 2>/dev/null || echo 2)

step() { echo "== $*"; }
quiet() {  # run a command, show its output only if it fails
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out"
    echo "FAILED: $*"
    return 1
  fi
}

step "configure, build, install mapgc into $prefix"
# CMAKE_INSTALL_LIBDIR pinned so the paths below do not depend on the host.
quiet cmake -S "$src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release \
  -DMAPGC_BUILD_TESTS=OFF -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib
quiet cmake --build "$tmp/build" --parallel "$jobs"
quiet cmake --install "$tmp/build"

step "installed files"
(cd "$prefix" && find . -type f -o -type l | sort)
headers=$(cd "$prefix/include" && find . -type f | sort)
if [[ $headers != "./mapgc.h" ]]; then
  echo "FAILED: expected include/ to hold only mapgc.h, found:"; echo "$headers"; exit 1
fi
for f in lib/libmapgc.a lib/libmapgc.so lib/pkgconfig/mapgc.pc \
         lib/cmake/mapgc/mapgcConfig.cmake lib/cmake/mapgc/mapgcConfigVersion.cmake; do
  [[ -e $prefix/$f ]] || { echo "FAILED: $f not installed"; exit 1; }
done
if [[ -d $src/tools/mapgc ]] && compgen -G "$src/tools/mapgc/*.c" >/dev/null; then
  [[ -x $prefix/bin/mapgc ]] || { echo "FAILED: bin/mapgc not installed"; exit 1; }
fi

step "libmapgc.so exports only mg_ names"
exported=$(nm -D --defined-only "$prefix/lib/libmapgc.so" | awk '{print $3}' |
           grep -v -E '^(mg_|_init$|_fini$|_edata$|_end$|__bss_start$)' || true)
if [[ -n $exported ]]; then
  echo "FAILED: libmapgc.so exports names outside the mg_ API (mark internals static or leave out MG_API):"
  echo "$exported"
  exit 1
fi

mkdir -p "$tmp/consumer"
cat >"$tmp/consumer/main.c" <<'EOF'
#include <mapgc.h>
int main(void){mg_runtime*rt=mg_open(NULL);mg_close(rt);return 0;}
EOF

step "pkg-config: cc main.c \$(pkg-config --cflags --libs mapgc)"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
pkg-config --modversion mapgc
read -ra flags <<<"$(pkg-config --cflags --libs mapgc)"
echo "flags: ${flags[*]}"
cc -std=c11 -Wall -Wextra -Werror "$tmp/consumer/main.c" "${flags[@]}" \
  -Wl,-rpath,"$prefix/lib" -o "$tmp/consumer/pc_shared"
"$tmp/consumer/pc_shared"
# libmapgc.a by path, with the private libraries `--static` adds.
read -ra cflags <<<"$(pkg-config --cflags mapgc)"
static_libs=()
for lib in $(pkg-config --static --libs-only-l mapgc); do
  [[ $lib == -lmapgc ]] || static_libs+=("$lib")
done
cc -std=c11 -Wall -Wextra -Werror "$tmp/consumer/main.c" "${cflags[@]}" \
  "$prefix/lib/libmapgc.a" "${static_libs[@]}" -o "$tmp/consumer/pc_static"
"$tmp/consumer/pc_static"

step "CMake: find_package(mapgc) with mapgc::mapgc and mapgc::mapgc_static"
cat >"$tmp/consumer/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(mapgc_consumer LANGUAGES C)
find_package(mapgc 0.1 REQUIRED)
add_executable(cm_shared main.c)
target_link_libraries(cm_shared PRIVATE mapgc::mapgc)
add_executable(cm_static main.c)
target_link_libraries(cm_static PRIVATE mapgc::mapgc_static)
EOF
quiet cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$prefix"
quiet cmake --build "$tmp/consumer/build" --parallel "$jobs"
"$tmp/consumer/build/cm_shared"
"$tmp/consumer/build/cm_static"
# (ldd's output is captured first: `ldd | grep -q` can die of SIGPIPE under pipefail.)
static_deps=$(ldd "$tmp/consumer/build/cm_static")
if [[ $static_deps == *libmapgc* ]]; then
  echo "FAILED: cm_static links libmapgc.so"; echo "$static_deps"; exit 1
fi
shared_deps=$(ldd "$tmp/consumer/build/cm_shared")
if [[ $shared_deps != *"$prefix/lib/libmapgc.so"* ]]; then
  echo "FAILED: cm_shared does not use the installed libmapgc.so"; echo "$shared_deps"; exit 1
fi

echo "install_package: ok"
