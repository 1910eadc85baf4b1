/*
 * trace_chart.h — one SVG chart for the `mapgc trace plot` report (prefix
 * trace_chart_): a plot area with nice-number ticks and units on both
 * axes, up to TRACE_CHART_MAX_SERIES labelled series (lines or stacked
 * bars, on a left or a right axis), a legend, dashed run boundaries, and
 * hover tooltips from native SVG <title> elements (no script).
 *
 * Size is bounded whatever the input: a line with more points than twice
 * the plot's width in pixels is reduced per pixel column to its first,
 * lowest, highest and last points (so peaks survive); bars beyond one per
 * pixel are drawn as a line, reduced the same way (not stacked); point markers and tooltip
 * bands are drawn only up to TRACE_CHART_MAX_MARKED points.
 *
 * Output is deterministic (inv.deterministic in trace.h): coordinates are
 * printed with a fixed precision, nothing depends on the environment.
 */
#ifndef MAPGC_TOOLS_TRACE_CHART_H
#define MAPGC_TOOLS_TRACE_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TRACE_CHART_MAX_SERIES 6
#define TRACE_CHART_MAX_MARKED 1500

typedef struct trace_series {
	const char *label;          /* legend text, with what the series is */
	const char *color;          /* CSS colour */
	const double *x, *y;        /* n points, x ascending; a NaN y is a gap */
	size_t n;
	bool right;                 /* against the right axis */
	bool dashed;
	bool bars;                  /* bars from 0 (or stacked on the previous bars series) */
	const unsigned char *outline; /* bars: per point, non-zero draws a dark outline */
} trace_series;

typedef struct trace_chart {
	const char *id;             /* unique within the page: element ids and CSS */
	const char *title;
	const char *x_label, *y_label, *y2_label;   /* with units, "time (s)" */
	trace_series s[TRACE_CHART_MAX_SERIES];
	size_t ns;
	const char *outline_label;  /* legend text for outlined bars, or NULL */
	const double *marks;        /* x of run boundaries */
	size_t nmarks;
	bool x_integer;             /* x ticks on whole numbers (cycle numbers) */
	bool y2_integer;            /* right axis ticks on whole numbers (counts) */
	/* Tooltip of point i of series 0 (its x band): plain text, escaped by
	 * the chart.  NULL: no tooltips. */
	void (*tip)(char *buf, size_t size, const void *ctx, size_t i);
	const void *tip_ctx;
	int width, height;          /* 0: defaults */
} trace_chart;

/* standalone: a whole SVG document (XML prolog, xmlns) rather than an
 * element for inline use in HTML. */
void trace_chart_svg(FILE *out, const trace_chart *c, bool standalone);

#endif /* MAPGC_TOOLS_TRACE_CHART_H */
