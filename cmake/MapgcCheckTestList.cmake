# cmake -DTEST_BINARY=<criterion test binary> -DEXPECTED_FILE=<file> -P MapgcCheckTestList.cmake
#
# Fails unless the tests the binary lists (`--list`) are exactly the
# `suite/name` lines of EXPECTED_FILE, which MapgcTests.cmake wrote from the
# sources when it registered one ctest entry per test.
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS TEST_BINARY EXPECTED_FILE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "MapgcCheckTestList.cmake: -D${var}=... is required")
  endif()
endforeach()

execute_process(COMMAND "${TEST_BINARY}" --list
  OUTPUT_VARIABLE listing
  ERROR_VARIABLE listing_err
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TEST_BINARY} --list failed (${status}):\n${listing}${listing_err}")
endif()

# The listing is a tree, whatever the locale's symbols:
#   suite: 2 tests
#   ├── first          (or |-- first)
#   └── second (skipped)
set(id "[A-Za-z_][A-Za-z0-9_]*")
string(REPLACE ";" "," listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(actual "")
set(suite "")
foreach(line IN LISTS lines)
  if(line MATCHES "^(${id}): [0-9]+ tests?$")
    set(suite "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^[^A-Za-z0-9_]+ (${id})( \\(skipped\\))?$" AND NOT suite STREQUAL "")
    list(APPEND actual "${suite}/${CMAKE_MATCH_1}")
  endif()
endforeach()

file(STRINGS "${EXPECTED_FILE}" expected)
list(SORT actual)
list(SORT expected)

set(missing "")
foreach(t IN LISTS actual)
  if(NOT t IN_LIST expected)
    list(APPEND missing "${t}")
  endif()
endforeach()
set(stale "")
foreach(t IN LISTS expected)
  if(NOT t IN_LIST actual)
    list(APPEND stale "${t}")
  endif()
endforeach()

if(missing OR stale)
  set(msg "")
  if(missing)
    list(JOIN missing "\n  " m)
    string(APPEND msg "in the binary but not registered with ctest (write each test as "
      "`Test(suite, name` at the start of one line):\n  ${m}\n")
  endif()
  if(stale)
    list(JOIN stale "\n  " s)
    string(APPEND msg "registered with ctest but not in the binary (re-run cmake):\n  ${s}\n")
  endif()
  message(FATAL_ERROR "${TEST_BINARY}: ${msg}")
endif()
list(LENGTH actual n)
message(STATUS "${n} tests, all registered")
