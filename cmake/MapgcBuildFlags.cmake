# mapgc_apply_build_flags(<target>)
#
# The compile settings every mapgc target shares, applied per target (never
# through CMAKE_C_FLAGS): C11 with GNU extensions, -Wall -Wextra, -Werror when
# MAPGC_WERROR is on, and the sanitizers named in MAPGC_SANITIZE on both
# compile and link lines.
include_guard(GLOBAL)

function(mapgc_apply_build_flags target)
  set_target_properties(${target} PROPERTIES
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS ON)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra
    $<$<BOOL:${MAPGC_WERROR}>:-Werror>)

  if(MAPGC_SANITIZE)
    set(compile_flags -fsanitize=${MAPGC_SANITIZE} -fno-omit-frame-pointer)
    string(REPLACE "," ";" sanitizers "${MAPGC_SANITIZE}")
    if("undefined" IN_LIST sanitizers)
      # A UB report must fail the test that caused it, not scroll past.
      # GCC's "undefined" leaves out float-cast-overflow (clang's has it);
      # the fuzzer found one (gc/sweep.c), so check it here too.
      list(APPEND compile_flags -fno-sanitize-recover=undefined
           -fsanitize=float-cast-overflow -fno-sanitize-recover=float-cast-overflow)
    endif()
    target_compile_options(${target} PRIVATE ${compile_flags})
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE" OR type STREQUAL "SHARED_LIBRARY"
       OR type STREQUAL "MODULE_LIBRARY")
      target_link_options(${target} PRIVATE -fsanitize=${MAPGC_SANITIZE})
    endif()
  endif()
endfunction()

# mapgc_use_internal_headers(<target> [PRIVATE|PUBLIC|INTERFACE])
#
# Internal headers are included as "runtime/rt.h", "gc/gc.h", "tests/support/…",
# relative to the repository root.  The root is given as -iquote, not -I: with
# -I, the repository's gc/gc.h would shadow libgc's <gc/gc.h> (which the
# system's <gc.h> includes), so the Boehm backend could not include <gc.h>.
# -iquote serves only "quoted" includes, so <gc.h> still finds the system one.
function(mapgc_use_internal_headers target)
  set(scope PRIVATE)
  if(ARGC GREATER 1)
    set(scope "${ARGV1}")
  endif()
  target_compile_options(${target} ${scope} "-iquote${PROJECT_SOURCE_DIR}")
endfunction()
