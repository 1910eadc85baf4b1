# Fuzz targets: tests/fuzz/src/fuzz_<name>.c, each a libFuzzer entry point
# (LLVMFuzzerTestOneInput) with its committed seed corpus in
# tests/fuzz/corpus/<name>/.  Every target is built two ways:
#
#   mapgc-fuzz-<name>-replay   always (with the tests): the target plus
#       tests/fuzz/src/replay_main.c, a main() that feeds every corpus file
#       to the target once.  ctest entry `fuzz/corpus_<name>`, label `corpus`
#       (not `fuzz`: the default presets exclude that label, and the corpus
#       must be replayed by every build, gcc debug and ASan included).
#
#   mapgc-fuzz-<name>          with MAPGC_FUZZ=ON (clang; the `fuzz` preset
#       compiles everything with -fsanitize=fuzzer-no-link,address,undefined):
#       linked with libFuzzer.  ctest entry `fuzz/<name>`, label `fuzz`: fuzzes
#       for MAPGC_FUZZ_SECONDS, starting from the committed corpus and writing
#       what it finds to <build>/fuzz-corpus/<name> (never into the sources);
#       a crash leaves its input in the build directory and fails the entry.
#
# Longer campaigns: scripts/fuzz.sh (parallel jobs, op counts, merging new
# coverage back into the committed corpus).  Also here: fuzz/negative_<name>
# (the oracles fire when a barrier is removed), fuzz/known_<name> (open bugs
# still reproduce, tests/fuzz/known-bugs/) and, at the end, the long soak.
include_guard(GLOBAL)

option(MAPGC_FUZZ "Build the libFuzzer targets (needs clang; see the fuzz preset)" OFF)
set(MAPGC_FUZZ_SECONDS 60 CACHE STRING "Seconds each `fuzz`-labelled ctest entry fuzzes for")

set(MAPGC_FUZZ_TARGETS map)

if(NOT MAPGC_BUILD_TESTS)
  return()
endif()

if(MAPGC_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "MAPGC_FUZZ needs clang (libFuzzer); the compiler is ${CMAKE_C_COMPILER_ID}")
endif()

find_program(MAPGC_BASH bash REQUIRED)

function(_mapgc_fuzz_target target)
  mapgc_apply_build_flags(${target})
  mapgc_use_internal_headers(${target})
  target_compile_definitions(${target} PRIVATE _GNU_SOURCE)
  target_link_libraries(${target} PRIVATE mapgc::mapgc_static PkgConfig::XXHASH)
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/fuzz")
endfunction()

foreach(name IN LISTS MAPGC_FUZZ_TARGETS)
  set(src "${PROJECT_SOURCE_DIR}/tests/fuzz/src/fuzz_${name}.c")
  set(corpus "${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name}")

  add_executable(mapgc-fuzz-${name}-replay "${src}" "${PROJECT_SOURCE_DIR}/tests/fuzz/src/replay_main.c")
  _mapgc_fuzz_target(mapgc-fuzz-${name}-replay)
  add_test(NAME "fuzz/corpus_${name}" COMMAND mapgc-fuzz-${name}-replay "${corpus}")
  set_tests_properties("fuzz/corpus_${name}" PROPERTIES
    LABELS "corpus"
    TIMEOUT "${MAPGC_TEST_TIMEOUT}"
    FAIL_REGULAR_EXPRESSION "ERROR: LeakSanitizer;DIVERGENCE")

  # The oracles must be able to fire: evacuation without its write barrier
  # (MAPGC_FUZZ_BREAK=evac) must turn the evac-*-ptr/str seeds into
  # checkmark failures.
  file(GLOB negative CONFIGURE_DEPENDS "${corpus}/seed-evac-*-ptr" "${corpus}/seed-evac-*-str")
  if(negative)
    add_test(NAME "fuzz/negative_${name}"
      COMMAND "${MAPGC_BASH}" "${PROJECT_SOURCE_DIR}/tests/fuzz/expect_failure.sh"
              "checkmark found unmarked object" $<TARGET_FILE:mapgc-fuzz-${name}-replay> ${negative})
    set_tests_properties("fuzz/negative_${name}" PROPERTIES
      LABELS "corpus"
      TIMEOUT "${MAPGC_TEST_TIMEOUT}"
      ENVIRONMENT "MAPGC_FUZZ_BREAK=evac")
  endif()

  # Open bugs the fuzzer found: each reproducer must still diverge
  # (tests/fuzz/known-bugs/README.md); a fixed one fails this entry.
  file(GLOB known CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/fuzz/known-bugs/${name}/*")
  if(known)
    add_test(NAME "fuzz/known_${name}"
      COMMAND "${MAPGC_BASH}" "${PROJECT_SOURCE_DIR}/tests/fuzz/expect_failure.sh"
              "DIVERGENCE" $<TARGET_FILE:mapgc-fuzz-${name}-replay> ${known})
    set_tests_properties("fuzz/known_${name}" PROPERTIES
      LABELS "corpus"
      TIMEOUT "${MAPGC_TEST_TIMEOUT}")
  endif()

  if(MAPGC_FUZZ)
    add_executable(mapgc-fuzz-${name} "${src}")
    _mapgc_fuzz_target(mapgc-fuzz-${name})
    target_link_options(mapgc-fuzz-${name} PRIVATE -fsanitize=fuzzer)
    set(work "${PROJECT_BINARY_DIR}/fuzz-corpus/${name}")
    file(MAKE_DIRECTORY "${work}")
    math(EXPR timeout "${MAPGC_FUZZ_SECONDS} + 120")
    add_test(NAME "fuzz/${name}"
      COMMAND mapgc-fuzz-${name} -max_total_time=${MAPGC_FUZZ_SECONDS} -max_len=4096 -timeout=60
              -print_final_stats=1 "-artifact_prefix=${PROJECT_BINARY_DIR}/fuzz/${name}-" "${work}" "${corpus}")
    set_tests_properties("fuzz/${name}" PROPERTIES
      LABELS "fuzz"
      TIMEOUT "${timeout}")
  endif()
endforeach()

# ---- the long soak ----------------------------------------------------------------
# `mapgc stress --soak 10m` (tools/mapgc/stress_soak.h), label soak, run by
# `ctest --preset slow`.  The one entry here that is not a fuzz target: the
# tests/cli scripts all get the same timeout (MAPGC_TEST_TIMEOUT, 300 s),
# and this one runs ten minutes plus the round in progress at the deadline.
# The short soak is tests/cli/reliability_soak.sh, in the default suite.
if(TARGET mapgc)
  add_test(NAME soak/stress_10m COMMAND mapgc stress --soak 10m)
  set_tests_properties(soak/stress_10m PROPERTIES
    LABELS "soak"
    TIMEOUT 1500
    FAIL_REGULAR_EXPRESSION "soak FAILED")
endif()
