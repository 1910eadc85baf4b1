# Registering Criterion tests with CTest, one entry per test.
#
# mapgc_add_criterion_tests(<target> <module> SOURCES <file>...)
#
#   Reads the sources at configure time and, for every line
#
#       Test(suite, name ...)                 (and ParameterizedTest(type *p, suite, name ...),
#                                              Theory((...), suite, name ...), registered whole)
#
#   adds the ctest entry `<module>/<suite>/<name>`, which runs
#   `<target> --filter <suite>/<name> -j1`, with label <module>, plus the labels
#   of a comment on the line directly above:
#
#       // labels: slow fuzz
#       Test(map_grow, every_seed) { ... }
#
#   The sources become configure dependencies, so adding a Test(...) re-runs
#   CMake on the next build.
#
#   Outcomes: Criterion exits non-zero on a failure or crash; a test it skipped
#   (cr_skip_test, .disabled = true) runs 0 tests and is reported Skipped; a
#   LeakSanitizer report fails the entry (Criterion's child process reports
#   leaks only after the result has been sent, so Criterion alone would pass).
#   In a ThreadSanitizer build the binary is the Criterion shim's
#   (tests/tsan/shim), with the same command line and outcomes.
#
#   Because the sources are read with a regex, one more entry,
#   `<module>/registered`, checks that the test names registered here are
#   exactly those the built binary lists (`--list`): a test written in a way
#   the regex misses (a macro, a Test( split over lines) fails that entry
#   instead of never running.
include_guard(DIRECTORY)  # re-included per directory: _mapgc_ident is a directory variable

set(MAPGC_TEST_TIMEOUT 300 CACHE STRING "CTest timeout, in seconds, of each test entry")
mark_as_advanced(MAPGC_TEST_TIMEOUT)

set(_mapgc_ident "[A-Za-z_][A-Za-z0-9_]*")

# Split a file into a list of lines that CMake's list syntax cannot mangle:
# ';' would split a line, '[' ']' and '\' would change how ';' splits.  Only
# Test(...) heads and label comments are looked at, so the replacements are
# harmless.
function(_mapgc_read_lines file out_var)
  file(READ "${file}" text)
  string(REPLACE "\r" "" text "${text}")
  string(REPLACE "\\" "/" text "${text}")
  string(REPLACE ";" "," text "${text}")
  string(REPLACE "[" "(" text "${text}")
  string(REPLACE "]" ")" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(${out_var} "${lines}" PARENT_SCOPE)
endfunction()

# If `line` starts a Criterion test, set out_suite and out_name; else clear them.
function(_mapgc_match_test line out_suite out_name)
  set(id "${_mapgc_ident}")
  set(ws "[ \t]*")
  set(suite "")
  set(name "")
  # Separate ifs: a failed MATCHES later in an OR chain clears CMAKE_MATCH_n.
  foreach(head IN ITEMS
      "Test${ws}\\("                               # Test(suite, name
      "ParameterizedTest${ws}\\([^,()]*,"          # ParameterizedTest(T *p, suite, name
      "Theory${ws}\\(${ws}\\([^()]*\\)${ws},")  # Theory((T a, U b), suite, name
    if(line MATCHES "^${ws}${head}${ws}(${id})${ws},${ws}(${id})${ws}[,)]")
      set(suite "${CMAKE_MATCH_1}")
      set(name "${CMAKE_MATCH_2}")
      break()
    endif()
  endforeach()
  set(${out_suite} "${suite}" PARENT_SCOPE)
  set(${out_name} "${name}" PARENT_SCOPE)
endfunction()

function(mapgc_add_criterion_tests target module)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "SOURCES")
  set(registered "")
  foreach(src IN LISTS arg_SOURCES)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${src}")
    _mapgc_read_lines("${src}" lines)
    set(previous "")
    foreach(line IN LISTS lines)
      _mapgc_match_test("${line}" suite name)
      if(NOT suite STREQUAL "")
        set(labels "${module}")
        if(previous MATCHES "^[ \t]*(//|/\\*)[ \t]*labels:([^*]*)")
          string(REGEX MATCHALL "${_mapgc_ident}" extra "${CMAKE_MATCH_2}")
          list(APPEND labels ${extra})
        endif()
        set(test_name "${module}/${suite}/${name}")
        if("${suite}/${name}" IN_LIST registered)
          message(FATAL_ERROR "${src}: test ${suite}/${name} is defined twice in tests/${module}")
        endif()
        list(APPEND registered "${suite}/${name}")
        add_test(NAME "${test_name}"
          COMMAND "${target}" --filter "${suite}/${name}" -j1)
        set_tests_properties("${test_name}" PROPERTIES
          LABELS "${labels}"
          TIMEOUT "${MAPGC_TEST_TIMEOUT}"
          SKIP_REGULAR_EXPRESSION "Synthesis: Tested: 0 \\|"
          FAIL_REGULAR_EXPRESSION "ERROR: LeakSanitizer")
      endif()
      set(previous "${line}")
    endforeach()
  endforeach()

  if(NOT registered)
    message(WARNING "tests/${module}: no Test(suite, name) found; ${target} is built but runs nothing")
  endif()
  list(SORT registered)
  list(JOIN registered "\n" expected)
  set(expected_file "${CMAKE_CURRENT_BINARY_DIR}/${target}.tests")
  file(CONFIGURE OUTPUT "${expected_file}" CONTENT "${expected}\n")
  add_test(NAME "${module}/registered"
    COMMAND "${CMAKE_COMMAND}"
      "-DTEST_BINARY=$<TARGET_FILE:${target}>"
      "-DEXPECTED_FILE=${expected_file}"
      -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/MapgcCheckTestList.cmake")
  set_tests_properties("${module}/registered" PROPERTIES
    LABELS "${module}"
    TIMEOUT 60)
endfunction()

# mapgc_add_cli_tests(SCRIPTS <file.sh>... [TOOL <target>])
#
#   One entry `cli/<basename>` per script, run as `bash <script>` with
#   MAPGC_BIN (the mapgc command, empty when it is not built) and
#   MAPGC_SOURCE_DIR (the repository root) in the environment; label `cli`
#   plus those of a `# labels: slow` line in the script.  Exit 0 passes,
#   77 skips, anything else fails.
function(mapgc_add_cli_tests)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TOOL" "SCRIPTS")
  find_program(MAPGC_BASH bash REQUIRED)
  set(bin "")
  if(arg_TOOL AND TARGET ${arg_TOOL})
    set(bin "$<TARGET_FILE:${arg_TOOL}>")
  endif()
  foreach(script IN LISTS arg_SCRIPTS)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${script}")
    get_filename_component(base "${script}" NAME_WE)
    set(labels cli)
    _mapgc_read_lines("${script}" lines)
    foreach(line IN LISTS lines)
      if(line MATCHES "^#[ \t]*labels:(.*)$")
        string(REGEX MATCHALL "${_mapgc_ident}" extra "${CMAKE_MATCH_1}")
        list(APPEND labels ${extra})
      endif()
    endforeach()
    add_test(NAME "cli/${base}" COMMAND "${MAPGC_BASH}" "${script}")
    set_tests_properties("cli/${base}" PROPERTIES
      LABELS "${labels}"
      TIMEOUT "${MAPGC_TEST_TIMEOUT}"
      SKIP_RETURN_CODE 77
      ENVIRONMENT "MAPGC_BIN=${bin};MAPGC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endforeach()
endfunction()
