/*
 * reach_svg.c — DOT to SVG through Graphviz (reach_dot.h, RENDERING):
 * libgvc in-process when the build has it, else the `dot` program, else
 * the DOT text alone.
 */
#include "reach_dot.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef MAPGC_HAVE_GVC
#include <gvc.h>
#endif

extern char **environ;

/* Is there an executable `dot` on PATH? */
static bool
rsvg_have_dot_program(void)
{
	const char *dirs = getenv("PATH");
	if (dirs == NULL)
		return false;
	while (*dirs) {
		size_t n = strcspn(dirs, ":");
		char buf[4096];
		if (n > 0 && n + 5 < sizeof buf) {
			memcpy(buf, dirs, n);
			memcpy(buf + n, "/dot", 5);
			if (access(buf, X_OK) == 0)
				return true;
		}
		dirs += n;
		if (*dirs == ':')
			dirs++;
	}
	return false;
}

#ifdef MAPGC_HAVE_GVC
/*
 * One Graphviz context for the whole process, never freed.  Graphviz 2.43
 * (Debian 12) caches font names in its text-layout plugin across contexts:
 * a second gvContext after gvFreeContext reads a freed name (a
 * heap-use-after-free that ASan reports on the second map of --svg-dir).
 * Keeping the first context avoids that path altogether.
 */
static GVC_t *rsvg_context;

static rdot_outcome
rsvg_gvc(const char *dot, size_t len, const char *svg_path, char *err, size_t errlen)
{
	/* agmemread wants a NUL-terminated string. */
	char *text = malloc(len + 1);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return RDOT_FAILED;
	}
	memcpy(text, dot, len);
	text[len] = '\0';
	if (rsvg_context == NULL)
		rsvg_context = gvContext();
	Agraph_t *g = rsvg_context ? agmemread(text) : NULL;
	free(text);
	if (g == NULL) {
		snprintf(err, errlen, "Graphviz could not read the graph");
		return RDOT_FAILED;
	}
	int rc = gvLayout(rsvg_context, g, "dot");
	if (rc == 0) {
		rc = gvRenderFilename(rsvg_context, g, "svg", svg_path);
		gvFreeLayout(rsvg_context, g);
	}
	agclose(g);
	if (rc != 0) {
		snprintf(err, errlen, "Graphviz could not render %s", svg_path);
		return RDOT_FAILED;
	}
	return RDOT_SVG;
}

#if defined(__SANITIZE_ADDRESS__)
#define RSVG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSVG_ASAN 1
#endif
#endif
#ifdef RSVG_ASAN
/*
 * Graphviz 2.43 and fontconfig lose memory that no pointer of ours reaches
 * (their font caches): tell LeakSanitizer to ignore leaks allocated inside
 * those libraries only, so a leak of ours still fails the ASan tests.  The
 * name is LeakSanitizer's documented hook.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\n"
	       "leak:libcgraph.so\n"
	       "leak:libcdt.so\n"
	       "leak:libfontconfig.so\n"
	       "leak:libpango\n"
	       "leak:libcairo.so\n"
	       "leak:libgvplugin_\n";
}
#endif
#endif

/* `dot -Tsvg -o svg_path`, the DOT on its standard input. */
static rdot_outcome
rsvg_program(const char *dot, size_t len, const char *svg_path, char *err, size_t errlen)
{
	int fds[2];
	pid_t pid;
	posix_spawn_file_actions_t fa;
	char *argv[] = {"dot", "-Tsvg", "-o", (char *)svg_path, NULL};

	if (pipe(fds) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return RDOT_FAILED;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	int rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		snprintf(err, errlen, "cannot run dot: %s", strerror(rc));
		return RDOT_FAILED;
	}
	/* dot may die early: do not let SIGPIPE kill us. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fds[1], dot + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	close(fds[1]);
	sigaction(SIGPIPE, &old, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waiting for dot: %s", strerror(errno));
			return RDOT_FAILED;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || off < len) {
		snprintf(err, errlen, "dot failed rendering %s (status %d)", svg_path,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return RDOT_FAILED;
	}
	return RDOT_SVG;
}

/* No Graphviz: write the DOT where the SVG would be, as .dot. */
static rdot_outcome
rsvg_dot_only(const char *dot, size_t len, const char *svg_path, char *dot_path, size_t size, char *err,
	size_t errlen)
{
	size_t n = strlen(svg_path);
	if (n >= 4 && strcmp(svg_path + n - 4, ".svg") == 0)
		snprintf(dot_path, size, "%.*s.dot", (int)(n - 4), svg_path);
	else
		snprintf(dot_path, size, "%s.dot", svg_path);
	FILE *f = fopen(dot_path, "w");
	if (f == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", dot_path, strerror(errno));
		return RDOT_FAILED;
	}
	fwrite(dot, 1, len, f);
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad) {
		snprintf(err, errlen, "cannot write %s: %s", dot_path, strerror(errno));
		return RDOT_FAILED;
	}
	return RDOT_DOT_ONLY;
}

rdot_outcome
rdot_render_svg(const char *dot, size_t len, const char *svg_path, char *dot_path_out, size_t size,
	const char **renderer, char *err, size_t errlen)
{
	const char *force = getenv("MAPGC_REACH_RENDER");
	bool gvc = false;

#ifdef MAPGC_HAVE_GVC
	gvc = true;
#endif
	if (force != NULL && *force != '\0') {
		if (strcmp(force, "gvc") == 0 && !gvc) {
			snprintf(err, errlen, "MAPGC_REACH_RENDER=gvc, but this mapgc was built without libgvc");
			return RDOT_FAILED;
		}
		if (strcmp(force, "gvc") != 0 && strcmp(force, "dot") != 0 && strcmp(force, "none") != 0) {
			snprintf(err, errlen, "MAPGC_REACH_RENDER: unknown renderer '%s' (want gvc, dot or none)", force);
			return RDOT_FAILED;
		}
		*renderer = strcmp(force, "gvc") == 0 ? "gvc" : strcmp(force, "dot") == 0 ? "dot" : "none";
	} else {
		*renderer = gvc ? "gvc" : rsvg_have_dot_program() ? "dot" : "none";
	}
#ifdef MAPGC_HAVE_GVC
	if (strcmp(*renderer, "gvc") == 0)
		return rsvg_gvc(dot, len, svg_path, err, errlen);
#endif
	if (strcmp(*renderer, "dot") == 0)
		return rsvg_program(dot, len, svg_path, err, errlen);
	return rsvg_dot_only(dot, len, svg_path, dot_path_out, size, err, errlen);
}
