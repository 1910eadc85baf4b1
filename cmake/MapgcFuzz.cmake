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
# coverage back into the committed corpus).  Also here: fuzz/negative_<name>*
# (each target's oracles fire when MAPGC_FUZZ_BREAK falsifies what they
# check, and a read past the input is caught under ASan), fuzz/known_<name>
# (open bugs still reproduce, tests/fuzz/known-bugs/) and, at the end, the
# long soak.
#
# The targets:
#   map       bytes -> map operations on the collected heap (fuzz_map.c)
#   trace     bytes -> a gctrace/maptrace log for `mapgc trace` (fuzz_trace.c)
#   snapshot  bytes -> a heap snapshot for `mapgc reach`, analysed and
#             reported when it loads (fuzz_snapshot.c)
# The parser targets compile the tool's modules they drive from
# tools/mapgc/ (the tool itself is an executable, not a library) and the
# helpers of tests/fuzz/src/fuzz_common.c.
include_guard(GLOBAL)

option(MAPGC_FUZZ "Build the libFuzzer targets (needs clang; see the fuzz preset)" OFF)
set(MAPGC_FUZZ_SECONDS 60 CACHE STRING "Seconds each `fuzz`-labelled ctest entry fuzzes for")

set(MAPGC_FUZZ_TARGETS map trace snapshot)

# Per target: the tools/mapgc/ modules it drives.  Its libFuzzer options
# (-max_len, -timeout) are in tests/fuzz/src/fuzz_<name>.options, read here
# and by scripts/fuzz.sh.
set(_mapgc_fuzz_tools_trace trace_parse.c trace_log.c trace_out.c trace_chart.c trace_plot.c json.c)
set(_mapgc_fuzz_tools_snapshot json.c reach_graph.c reach_snapshot.c reach_analyze.c reach_dom.c
    reach_report.c reach_dot.c)

if(NOT MAPGC_BUILD_TESTS)
  return()
endif()

if(MAPGC_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "MAPGC_FUZZ needs clang (libFuzzer); the compiler is ${CMAKE_C_COMPILER_ID}")
endif()

find_program(MAPGC_BASH bash REQUIRED)

function(_mapgc_fuzz_target target name)
  if(_mapgc_fuzz_tools_${name})
    list(TRANSFORM _mapgc_fuzz_tools_${name} PREPEND "${PROJECT_SOURCE_DIR}/tools/mapgc/" OUTPUT_VARIABLE tools)
    target_sources(${target} PRIVATE ${tools} "${PROJECT_SOURCE_DIR}/tests/fuzz/src/fuzz_common.c")
    target_link_libraries(${target} PRIVATE m)
  endif()
  mapgc_apply_build_flags(${target})
  mapgc_use_internal_headers(${target})
  target_compile_definitions(${target} PRIVATE _GNU_SOURCE)
  target_link_libraries(${target} PRIVATE mapgc::mapgc_static PkgConfig::XXHASH)
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/fuzz")
endfunction()

# _mapgc_fuzz_negative(NAME SUFFIX BREAK PATTERN GLOB...): ctest
# fuzz/negative_NAME[SUFFIX] replays each corpus file matching a GLOB alone
# with MAPGC_FUZZ_BREAK=BREAK, and each must fail with PATTERN on stderr
# (tests/fuzz/expect_failure.sh): the oracles provably fire.
function(_mapgc_fuzz_negative name suffix brk pattern)
  list(TRANSFORM ARGN PREPEND "${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name}/" OUTPUT_VARIABLE globs)
  file(GLOB files CONFIGURE_DEPENDS ${globs})
  if(NOT files)
    message(FATAL_ERROR "fuzz/negative_${name}${suffix}: no corpus file matches ${ARGN}")
  endif()
  add_test(NAME "fuzz/negative_${name}${suffix}"
    COMMAND "${MAPGC_BASH}" "${PROJECT_SOURCE_DIR}/tests/fuzz/expect_failure.sh"
            "${pattern}" $<TARGET_FILE:mapgc-fuzz-${name}-replay> ${files})
  set_tests_properties("fuzz/negative_${name}${suffix}" PROPERTIES
    LABELS "corpus"
    TIMEOUT "${MAPGC_TEST_TIMEOUT}"
    ENVIRONMENT "MAPGC_FUZZ_BREAK=${brk}")
endfunction()

foreach(name IN LISTS MAPGC_FUZZ_TARGETS)
  set(src "${PROJECT_SOURCE_DIR}/tests/fuzz/src/fuzz_${name}.c")
  set(corpus "${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name}")

  add_executable(mapgc-fuzz-${name}-replay "${src}" "${PROJECT_SOURCE_DIR}/tests/fuzz/src/replay_main.c")
  _mapgc_fuzz_target(mapgc-fuzz-${name}-replay ${name})
  add_test(NAME "fuzz/corpus_${name}" COMMAND mapgc-fuzz-${name}-replay "${corpus}")
  set_tests_properties("fuzz/corpus_${name}" PROPERTIES
    LABELS "corpus"
    TIMEOUT "${MAPGC_TEST_TIMEOUT}"
    FAIL_REGULAR_EXPRESSION "ERROR: LeakSanitizer;DIVERGENCE")

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
    _mapgc_fuzz_target(mapgc-fuzz-${name} ${name})
    target_link_options(mapgc-fuzz-${name} PRIVATE -fsanitize=fuzzer)
    # The campaign corpus of scripts/fuzz.sh.
    file(MAKE_DIRECTORY "${PROJECT_BINARY_DIR}/fuzz-corpus/${name}")
    # ctest's own working corpus, emptied before every run: libFuzzer
    # replays the whole working corpus before it looks at -max_total_time,
    # and a campaign-grown one (1,698 inputs of the map target, 7 inputs/s)
    # took four minutes — past this entry's timeout.
    set(work "${PROJECT_BINARY_DIR}/fuzz-corpus-ctest/${name}")
    add_test(NAME "fuzz/fresh_corpus_${name}"
      COMMAND "${MAPGC_BASH}" -c "rm -rf \"$1\" && mkdir -p \"$1\"" fresh "${work}")
    set_tests_properties("fuzz/fresh_corpus_${name}" PROPERTIES
      LABELS "fuzz"
      FIXTURES_SETUP "fuzz_corpus_${name}")
    math(EXPR timeout "${MAPGC_FUZZ_SECONDS} + 120")
    set(optfile "${PROJECT_SOURCE_DIR}/tests/fuzz/src/fuzz_${name}.options")
    file(STRINGS "${optfile}" options REGEX "^-")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${optfile}")
    add_test(NAME "fuzz/${name}"
      COMMAND mapgc-fuzz-${name} -max_total_time=${MAPGC_FUZZ_SECONDS} ${options}
              -print_final_stats=1 "-artifact_prefix=${PROJECT_BINARY_DIR}/fuzz/${name}-" "${work}" "${corpus}")
    set_tests_properties("fuzz/${name}" PROPERTIES
      LABELS "fuzz"
      FIXTURES_REQUIRED "fuzz_corpus_${name}"
      TIMEOUT "${timeout}")
  endif()
endforeach()

# The map oracles: evacuation without its write barrier must turn the
# evac-*-ptr/str seeds into checkmark failures.
_mapgc_fuzz_negative(map "" evac "checkmark found unmarked object" "seed-evac-*-ptr" "seed-evac-*-str")
# The parser oracles (fuzz_trace.c, fuzz_snapshot.c: NEGATIVE MODE): a gc
# line printed back wrong, an error expected on the wrong line, a snapshot
# written back wrong, a dominator missing from the definition's sets.
_mapgc_fuzz_negative(trace _roundtrip trace-roundtrip "DIVERGENCE: line [0-9]+: record printed back" "gc-*")
_mapgc_fuzz_negative(trace _roundtrip_wb trace-roundtrip-wb "DIVERGENCE: line [0-9]+: record printed back" "malformed-wb-*")
_mapgc_fuzz_negative(trace _lineno trace-lineno "DIVERGENCE: error 0: line [1-9]" "malformed-*")
_mapgc_fuzz_negative(snapshot _roundtrip snapshot-roundtrip "DIVERGENCE: the snapshot written back loads with another cycle"
  "json-*")
_mapgc_fuzz_negative(snapshot _dom snapshot-dom "DIVERGENCE: object [0-9]+ \\(id [0-9]+\\): (.*dominat|retains)" "json-mapgc-*")
# A read past the input: the replay driver's exact-size copy makes it an
# ASan report, so a parser overrun fails the corpus replay of ASan builds.
if(MAPGC_SANITIZE MATCHES "address")
  _mapgc_fuzz_negative(trace _overread overread "AddressSanitizer: heap-buffer-overflow" "gc-go119-*")
  _mapgc_fuzz_negative(snapshot _overread overread "AddressSanitizer: heap-buffer-overflow" "json-small*")
endif()

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
