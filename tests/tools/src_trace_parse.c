/*
 * src_trace_parse.c — tools/mapgc/trace_parse.c compiled into test_tools, one
 * translation unit per module as in the tool (see trace_test.h for why the
 * tool's modules are included rather than linked).
 */
#include "tools/mapgc/trace_parse.c"
