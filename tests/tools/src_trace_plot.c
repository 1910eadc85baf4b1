/*
 * src_trace_plot.c — tools/mapgc/trace_plot.c compiled into test_tools, one
 * translation unit per module as in the tool (see trace_test.h for why the
 * tool's modules are included rather than linked).
 */
#include "tools/mapgc/trace_plot.c"
