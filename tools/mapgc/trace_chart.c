/*
 * trace_chart.c — an SVG chart (design: trace_chart.h).
 *
 * Layout, top to bottom: title, legend rows, plot area, x tick labels, x
 * axis label; y axis label and ticks on the left, the right axis (when a
 * series uses it) on the right.  Ticks are "nice numbers" (1, 2, 5 × 10^k)
 * aiming at about five intervals; the y axes start at 0 so heights compare.
 */
#include "trace_chart.h"

#include <math.h>
#include <string.h>

#include "trace.h"

enum {
	DEFAULT_WIDTH = 960,
	DEFAULT_HEIGHT = 340,
	TITLE_H = 28,
	LEGEND_ROW_H = 18,
	BOTTOM_H = 48,
	LEFT_W = 68,
	RIGHT_W_AXIS = 68,
	RIGHT_W_NONE = 24,
	TICK_TARGET = 5,          /* intervals per axis, roughly */
	CHAR_W = 7,               /* estimated width of a 12px character, for the legend */
	MAX_TICKS = 40,           /* per axis: a bound whatever the data */
};

typedef struct axis {
	double lo, hi;            /* the range drawn */
	double step;              /* between ticks */
	double first;             /* first tick ≥ lo */
	int decimals;
} axis;

typedef struct geom {
	double left, top, w, h;   /* plot area */
	axis x, y, y2;
	bool has_y2;
} geom;

/* 1, 2 or 5 × 10^k, near range / TICK_TARGET. */
static double
nice_step(double range, bool integer)
{
	if (!(range > 0) || !isfinite(range))
		return 1;
	double raw = range / TICK_TARGET;
	double mag = pow(10, floor(log10(raw)));
	double f = raw / mag;
	double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
	if (integer && step < 1)
		step = 1;
	return step;
}

static int
step_decimals(double step)
{
	if (step >= 1)
		return 0;
	int d = (int)ceil(-log10(step) - 1e-9);
	return d > 9 ? 9 : d;
}

/* An axis over data [lo, hi]; from_zero extends it to 0; pad (bars) adds
 * half a unit each side so the outer bars fit. */
static axis
make_axis(double lo, double hi, bool from_zero, bool integer, double pad)
{
	axis a;
	if (!isfinite(lo) || !isfinite(hi) || lo > hi)
		lo = 0, hi = 1;
	if (from_zero && lo > 0)
		lo = 0;
	if (!(hi > lo))
		hi = lo + 1;
	if (!(hi > lo)) {
		/* beyond 2^53, + 1 is lost: widen relative to the magnitude */
		double d = fabs(lo) * 1e-9 + 1;
		lo -= d;
		hi += d;
	}
	a.step = nice_step(hi - lo, integer);
	a.decimals = step_decimals(a.step);
	if (pad > 0) {
		a.lo = lo - pad;
		a.hi = hi + pad;
	} else {
		a.lo = floor(lo / a.step) * a.step;
		a.hi = ceil(hi / a.step) * a.step;
		if (a.hi <= a.lo)
			a.hi = a.lo + a.step;
	}
	if (!(a.hi > a.lo) || !((a.hi - a.lo) / a.step <= MAX_TICKS)) {
		/* precision ran out: plain fifths of the data range */
		a.lo = lo;
		a.hi = hi;
		a.step = (hi - lo) / TICK_TARGET;
		a.decimals = step_decimals(a.step);
	}
	a.first = ceil(a.lo / a.step - 1e-9) * a.step;
	return a;
}

/* The ticks of an axis: at most MAX_TICKS, computed by index so that no
 * accumulated rounding (or a step lost in a huge value) can loop. */
static int
axis_ticks(const axis *a)
{
	double n = floor((a->hi - a->first) / a->step + 1e-6) + 1;
	return n < 0 ? 0 : n > MAX_TICKS ? MAX_TICKS : (int)n;
}

static double
axis_tick(const axis *a, int i)
{
	return a->first + i * a->step;
}

static double
px(const geom *g, double x)
{
	return g->left + (x - g->x.lo) / (g->x.hi - g->x.lo) * g->w;
}

static double
py(const geom *g, const axis *a, double y)
{
	double v = g->top + g->h - (y - a->lo) / (a->hi - a->lo) * g->h;
	if (v < g->top - 1)
		v = g->top - 1;
	return v;
}

static void
text_escaped(FILE *out, const char *s)
{
	trace_xml_text(out, s, strlen(s));
}

/* ---- legend ---------------------------------------------------------------- */

typedef struct legend_item {
	const char *label, *color;
	bool dashed, box, outline;
	int width;
} legend_item;

static size_t
legend_items(const trace_chart *c, legend_item *items)
{
	size_t n = 0;
	for (size_t i = 0; i < c->ns; i++) {
		const trace_series *s = &c->s[i];
		items[n++] = (legend_item){ s->label, s->color, s->dashed, s->bars, false,
			                    28 + CHAR_W * (int)strlen(s->label) + 18 };
	}
	if (c->outline_label)
		items[n++] = (legend_item){ c->outline_label, "#ffffff", false, true, true,
			                    28 + CHAR_W * (int)strlen(c->outline_label) + 18 };
	return n;
}

static int
legend_rows(const legend_item *items, size_t n, int avail)
{
	int rows = n ? 1 : 0, x = 0;
	for (size_t i = 0; i < n; i++) {
		if (x > 0 && x + items[i].width > avail) {
			rows++;
			x = 0;
		}
		x += items[i].width;
	}
	return rows;
}

static void
draw_legend(FILE *out, const legend_item *items, size_t n, double x0, double y0, int avail)
{
	double x = 0, y = y0;
	fputs("<g class=\"tc-legend\">", out);
	for (size_t i = 0; i < n; i++) {
		if (x > 0 && x + items[i].width > avail) {
			x = 0;
			y += LEGEND_ROW_H;
		}
		double sx = x0 + x;
		if (items[i].box)
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"10\" fill=\"%s\"%s/>", sx, y - 9,
			        items[i].color, items[i].outline ? " stroke=\"#222222\" stroke-width=\"1.5\"" : "");
		else
			fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"%s/>",
			        sx, y - 4, sx + 20, y - 4, items[i].color, items[i].dashed ? " stroke-dasharray=\"6 4\"" : "");
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", sx + 26, y);
		text_escaped(out, items[i].label);
		fputs("</text>", out);
		x += items[i].width;
	}
	fputs("</g>\n", out);
}

/* ---- axes ------------------------------------------------------------------- */

static void
tick_label(char *buf, size_t size, const axis *a, double v)
{
	snprintf(buf, size, "%.*f", a->decimals, v + 0.0);
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, size, "0");
}

static void
draw_axes(FILE *out, const trace_chart *c, const geom *g)
{
	char b[64];
	double bottom = g->top + g->h, right = g->left + g->w;

	fputs("<g class=\"tc-axes\">", out);
	/* y grid and labels */
	for (int i = 0, n = axis_ticks(&g->y); i < n; i++) {
		double v = axis_tick(&g->y, i), y = py(g, &g->y, v);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>", g->left, y, right, y);
		tick_label(b, sizeof b, &g->y, v);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>", g->left - 6, y + 4, b);
	}
	if (g->has_y2) {
		for (int i = 0, n = axis_ticks(&g->y2); i < n; i++) {
			double v = axis_tick(&g->y2, i), y = py(g, &g->y2, v);
			fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\"/>", right, y,
			        right + 4, y);
			tick_label(b, sizeof b, &g->y2, v);
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">%s</text>", right + 7, y + 4, b);
		}
	}
	/* x ticks and labels */
	for (int i = 0, n = axis_ticks(&g->x); i < n; i++) {
		double v = axis_tick(&g->x, i), x = px(g, v);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\"/>", x, bottom, x,
		        bottom + 4);
		tick_label(b, sizeof b, &g->x, v);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", x, bottom + 17, b);
	}
	/* frame */
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\"/>", g->left, bottom, right,
	        bottom);
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\"/>", g->left, g->top, g->left,
	        bottom);
	if (g->has_y2)
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\"/>", right, g->top,
		        right, bottom);
	/* axis labels */
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tc-label\">", g->left + g->w / 2,
	        bottom + 38);
	text_escaped(out, c->x_label);
	fputs("</text>", out);
	double mid = g->top + g->h / 2;
	fprintf(out, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\" class=\"tc-label\">", mid);
	text_escaped(out, c->y_label);
	fputs("</text>", out);
	if (g->has_y2 && c->y2_label) {
		fprintf(out, "<text transform=\"translate(%.1f %.1f) rotate(90)\" text-anchor=\"middle\" class=\"tc-label\">",
		        right + 52, mid);
		text_escaped(out, c->y2_label);
		fputs("</text>", out);
	}
	fputs("</g>\n", out);
}

/* ---- series ------------------------------------------------------------------ */

typedef struct polyline {
	FILE *out;
	bool open;
	const char *color;
	bool dashed;
	double width;
} polyline;

static void
poly_point(polyline *p, double x, double y)
{
	if (!p->open) {
		fprintf(p->out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" stroke-linejoin=\"round\"%s"
		        " points=\"", p->color, p->width, p->dashed ? " stroke-dasharray=\"6 4\"" : "");
		p->open = true;
	}
	fprintf(p->out, "%.1f,%.1f ", x, y);
}

static void
poly_break(polyline *p)
{
	if (p->open)
		fputs("\"/>\n", p->out);
	p->open = false;
}

/* A line series; reduced per pixel column beyond 2 points per pixel.
 * Earlier series are drawn wider, so a later one that coincides with
 * them (H0 = H1 is common) leaves them visible as an outline. */
static void
draw_line(FILE *out, const geom *g, const trace_series *s, size_t k)
{
	const axis *ya = s->right ? &g->y2 : &g->y;
	double width = 3.4 - 0.6 * (double)k;
	polyline p = { out, false, s->color, s->dashed, width < 1.4 ? 1.4 : width };
	bool reduce = (double)s->n > 2 * g->w;

	if (!reduce) {
		for (size_t i = 0; i < s->n; i++) {
			if (isnan(s->y[i]))
				poly_break(&p);
			else
				poly_point(&p, px(g, s->x[i]), py(g, ya, s->y[i]));
		}
		poly_break(&p);
		if (s->n <= TRACE_CHART_MAX_MARKED) {
			fprintf(out, "<g fill=\"%s\">", s->color);
			for (size_t i = 0; i < s->n; i++)
				if (!isnan(s->y[i]))
					fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\"/>", px(g, s->x[i]), py(g, ya, s->y[i]));
			fputs("</g>\n", out);
		}
		return;
	}
	/* Per column: first, lowest, highest, last, in input order. */
	size_t i = 0;
	while (i < s->n) {
		if (isnan(s->y[i])) {
			poly_break(&p);
			i++;
			continue;
		}
		long col = (long)floor(px(g, s->x[i]));
		size_t first = i, lo = i, hi = i, last = i;
		while (i < s->n && !isnan(s->y[i]) && (long)floor(px(g, s->x[i])) == col) {
			if (s->y[i] < s->y[lo])
				lo = i;
			if (s->y[i] > s->y[hi])
				hi = i;
			last = i++;
		}
		size_t idx[4] = { first, lo < hi ? lo : hi, lo < hi ? hi : lo, last };
		for (int k = 0; k < 4; k++)
			if (k == 0 || idx[k] != idx[k - 1])
				poly_point(&p, px(g, s->x[idx[k]]), py(g, ya, s->y[idx[k]]));
	}
	poly_break(&p);
}

static void
draw_bars(FILE *out, const geom *g, const trace_series *s, const trace_series *below)
{
	const axis *ya = s->right ? &g->y2 : &g->y;
	double unit = g->w / (g->x.hi - g->x.lo);
	double bw = unit * 0.8 < 1 ? 1 : unit * 0.8;
	fprintf(out, "<g fill=\"%s\">", s->color);
	for (size_t i = 0; i < s->n; i++) {
		if (isnan(s->y[i]))
			continue;
		double base = below && i < below->n && !isnan(below->y[i]) ? below->y[i] : 0;
		double y0 = py(g, ya, base), y1 = py(g, ya, base + s->y[i]);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", px(g, s->x[i]) - bw / 2, y1, bw,
		        y0 - y1);
	}
	fputs("</g>\n", out);
}

/* Outlines of the stacked bars of point i (all bars series together). */
static void
draw_outlines(FILE *out, const geom *g, const trace_chart *c)
{
	const trace_series *s0 = NULL;
	for (size_t k = 0; k < c->ns; k++)
		if (c->s[k].bars && c->s[k].outline) {
			s0 = &c->s[k];
			break;
		}
	if (s0 == NULL)
		return;
	double unit = g->w / (g->x.hi - g->x.lo);
	double bw = unit * 0.8 < 1 ? 1 : unit * 0.8;
	fputs("<g fill=\"none\" stroke=\"#222222\" stroke-width=\"1.2\">", out);
	for (size_t i = 0; i < s0->n; i++) {
		if (!s0->outline[i])
			continue;
		double top = 0;
		for (size_t k = 0; k < c->ns; k++)
			if (c->s[k].bars && !c->s[k].right && i < c->s[k].n && !isnan(c->s[k].y[i]))
				top += c->s[k].y[i];
		double y0 = py(g, &g->y, 0), y1 = py(g, &g->y, top);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", px(g, s0->x[i]) - bw / 2, y1, bw,
		        y0 - y1);
	}
	fputs("</g>\n", out);
}

static void
draw_marks(FILE *out, const geom *g, const trace_chart *c)
{
	for (size_t i = 0; i < c->nmarks; i++) {
		double x = px(g, c->marks[i]);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888888\" stroke-dasharray=\"3 3\"/>",
		        x, g->top, x, g->top + g->h);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"tc-small\">run %zu</text>\n", x + 3, g->top + 11, i + 2);
	}
}

/* Tooltip bands: one per point of series 0, between the midpoints. */
static void
draw_tips(FILE *out, const geom *g, const trace_chart *c)
{
	const trace_series *s = &c->s[0];
	char buf[512];
	if (c->tip == NULL || c->ns == 0 || s->n == 0 || s->n > TRACE_CHART_MAX_MARKED)
		return;
	fputs("<g class=\"tc-tips\">", out);
	for (size_t i = 0; i < s->n; i++) {
		double a = i > 0 ? (px(g, s->x[i - 1]) + px(g, s->x[i])) / 2 : g->left;
		double b = i + 1 < s->n ? (px(g, s->x[i]) + px(g, s->x[i + 1])) / 2 : g->left + g->w;
		if (b - a < 0.5)
			continue;
		c->tip(buf, sizeof buf, c->tip_ctx, i);
		fprintf(out, "<rect class=\"tc-tip\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>", a, g->top,
		        b - a, g->h);
		text_escaped(out, buf);
		fputs("</title></rect>", out);
	}
	fputs("</g>\n", out);
}

/* ---- the chart -------------------------------------------------------------- */

static void
data_range(const trace_chart *c, bool right, double *lo, double *hi, bool *any)
{
	for (size_t k = 0; k < c->ns; k++) {
		const trace_series *s = &c->s[k];
		if (s->right != right)
			continue;
		double stack = 0;
		for (size_t i = 0; i < s->n; i++) {
			if (isnan(s->y[i]))
				continue;
			double y = s->y[i];
			/* a stacked bar reaches the sum of the bars below it */
			if (s->bars && k > 0 && c->s[k - 1].bars && c->s[k - 1].right == right && i < c->s[k - 1].n
			    && !isnan(c->s[k - 1].y[i]))
				stack = c->s[k - 1].y[i];
			else
				stack = 0;
			if (y + stack > *hi)
				*hi = y + stack;
			if (y < *lo)
				*lo = y;
			*any = true;
		}
	}
}

void
trace_chart_svg(FILE *out, const trace_chart *c, bool standalone)
{
	int width = c->width > 0 ? c->width : DEFAULT_WIDTH;
	int height = c->height > 0 ? c->height : DEFAULT_HEIGHT;
	legend_item items[TRACE_CHART_MAX_SERIES + 1];
	size_t nitems = legend_items(c, items);
	geom g;
	memset(&g, 0, sizeof g);

	for (size_t k = 0; k < c->ns; k++)
		g.has_y2 |= c->s[k].right && c->s[k].n > 0;
	g.left = LEFT_W;
	g.w = width - LEFT_W - (g.has_y2 ? RIGHT_W_AXIS : RIGHT_W_NONE);
	int rows = legend_rows(items, nitems, (int)g.w);
	/* Inline, the page's heading is the title. */
	int title_h = standalone ? TITLE_H : 6;
	g.top = title_h + rows * LEGEND_ROW_H + 10;
	g.h = height - g.top - BOTTOM_H;

	/* x: all series; y, y2: their series, from 0 */
	double xlo = INFINITY, xhi = -INFINITY;
	bool bars = false;
	for (size_t k = 0; k < c->ns; k++) {
		const trace_series *s = &c->s[k];
		bars |= s->bars;
		for (size_t i = 0; i < s->n; i++) {
			if (s->x[i] < xlo)
				xlo = s->x[i];
			if (s->x[i] > xhi)
				xhi = s->x[i];
		}
	}
	bool any = false, any2 = false;
	double ylo = 0, yhi = 0, y2lo = 0, y2hi = 0;
	data_range(c, false, &ylo, &yhi, &any);
	data_range(c, true, &y2lo, &y2hi, &any2);
	g.x = make_axis(xlo, xhi, false, c->x_integer, bars ? 0.5 : 0);
	g.y = make_axis(ylo, yhi, true, false, 0);
	g.y2 = make_axis(y2lo, y2hi, true, c->y2_integer, 0);

	if (standalone)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\"", out);
	else
		fputs("<svg", out);
	fprintf(out, " id=\"%s\" class=\"tc\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\""
	        " aria-labelledby=\"%s-title\" font-family=\"sans-serif\" font-size=\"12\">\n",
	        c->id, width, height, width, height, c->id);
	fprintf(out, "<title id=\"%s-title\">", c->id);
	text_escaped(out, c->title);
	fputs("</title>\n", out);
	fputs("<style>.tc-label{font-size:13px;fill:#222}.tc-small{font-size:10px;fill:#666}"
	      ".tc-title{font-size:15px;font-weight:bold;fill:#111}.tc-tip{fill:#000;fill-opacity:0}"
	      ".tc-tip:hover{fill-opacity:0.07}text{fill:#333}</style>\n", out);
	fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
	if (standalone) {
		fprintf(out, "<text x=\"%.1f\" y=\"19\" class=\"tc-title\">", g.left);
		text_escaped(out, c->title);
		fputs("</text>\n", out);
	}
	draw_legend(out, items, nitems, g.left, title_h + 8, (int)g.w);
	draw_axes(out, c, &g);
	if (!any && !any2)
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tc-label\">no data</text>\n",
		        g.left + g.w / 2, g.top + g.h / 2);
	draw_marks(out, &g, c);
	const trace_series *below = NULL;
	for (size_t k = 0; k < c->ns; k++) {
		const trace_series *s = &c->s[k];
		if (s->bars && (double)s->n <= g.w) {
			draw_bars(out, &g, s, below);
			below = s;
		} else {
			draw_line(out, &g, s, k);
		}
	}
	if (below != NULL)
		draw_outlines(out, &g, c);
	draw_tips(out, &g, c);
	fputs("</svg>\n", out);
}
