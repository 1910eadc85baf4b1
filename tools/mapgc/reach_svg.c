/*
 * reach_svg.c — DOT to SVG through Graphviz (reach_dot.h, RENDERING):
 * libgvc when the build has it, else the `dot` program, else the DOT text
 * alone.
 *
 * Graphviz always runs in a child process (libgvc in a fork, or the dot
 * program), because it does not fail cleanly when memory runs out: under
 * `ulimit -v` Pango's font threads cannot be created and GLib aborts the
 * process (SIGTRAP), and allocation failures inside Graphviz abort or
 * exit too (scripts/failalloc-sweep.sh found the first).  The child's
 * stderr goes to a temporary file: passed on when the child succeeds;
 * when it fails, its last line goes into the one error message, the SVG
 * it may have begun is removed, and mapgc itself exits 1 with no signal.
 */
#include "reach_dot.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
/* In the child: render, and exit 0 or 1 (never return).  One context per
 * process, never freed: Graphviz 2.43 (Debian 12) caches font names in
 * its text-layout plugin across contexts, and a second gvContext after
 * gvFreeContext reads a freed name (a heap-use-after-free ASan reported on
 * the second map of --svg-dir when rendering ran in-process). */
static void
rsvg_gvc_child(const char *dot, size_t len, const char *svg_path)
{
	/* agmemread wants a NUL-terminated string. */
	char *text = malloc(len + 1);
	if (text == NULL) {
		fputs("out of memory\n", stderr);
		_exit(1);
	}
	memcpy(text, dot, len);
	text[len] = '\0';
	GVC_t *gvc = gvContext();
	Agraph_t *g = gvc ? agmemread(text) : NULL;
	if (g == NULL) {
		fputs("Graphviz could not read the graph\n", stderr);
		_exit(1);
	}
	int rc = gvLayout(gvc, g, "dot");
	if (rc == 0)
		rc = gvRenderFilename(gvc, g, "svg", svg_path);
	if (rc != 0)
		fprintf(stderr, "Graphviz could not render %s\n", svg_path);
	_exit(rc == 0 ? 0 : 1);
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

/*
 * The line of f (the child's stderr, where its stdout goes too) to quote
 * on failure: the first that says a plugin could not be loaded, else the
 * last non-empty one.  Returns true for a plugin: Graphviz then renders
 * with what it has left (its core SVG renderer, font metrics guessed, a
 * different layout) and exits 0 — a picture that looks complete but is not
 * the one asked for.  Under
 * `ulimit -v` that is how it reports that Pango's libraries did not fit.
 */
static bool
rsvg_quote_line(FILE *f, char *line, size_t size)
{
	char buf[512];
	bool plugin = false;

	line[0] = '\0';
	rewind(f);
	while (!plugin && fgets(buf, sizeof buf, f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		plugin = strstr(buf, "Could not load \"") != NULL;
		if (buf[0] != '\0') {
			/* the last non-empty line, cut to the caller's size */
			size_t n = strlen(buf) < size ? strlen(buf) : size - 1;
			memcpy(line, buf, n);
			line[n] = '\0';
		}
	}
	return plugin;
}

/* Copy f (what the child printed, stdout and stderr) to our stderr. */
static void
rsvg_relay(FILE *f)
{
	char buf[4096];
	size_t n;

	rewind(f);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, stderr);
}

/*
 * Wait for the Graphviz child pid that renders svg_path, its stderr in
 * errf.  On failure (including a missing plugin, rsvg_quote_line): remove
 * what it wrote, and one message in err with how it ended, its words and,
 * under an address-space limit, that memory is the likely cause.
 */
static rdot_outcome
rsvg_wait(pid_t pid, FILE *errf, const char *who, const char *svg_path, char *err, size_t errlen)
{
	int status;
	char last[256], how[64], hint[128] = "";
	struct rlimit as;
	struct stat st;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waiting for %s: %s", who, strerror(errno));
			fclose(errf);
			return RDOT_FAILED;
		}
	bool plugin = rsvg_quote_line(errf, last, sizeof last);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !plugin) {
		rsvg_relay(errf);
		fclose(errf);
		return RDOT_SVG;
	}
	fclose(errf);
	if (stat(svg_path, &st) == 0 && S_ISREG(st.st_mode))
		unlink(svg_path);
	if (plugin)
		snprintf(how, sizeof how, "a plugin is missing");
	else if (WIFSIGNALED(status))
		snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
	if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
		snprintf(hint, sizeof hint, "; the address space is limited to %llu MiB (ulimit -v): out of memory?",
			(unsigned long long)(as.rlim_cur >> 20));
	snprintf(err, errlen, "%s failed rendering %s (%s%s%s)%s", who, svg_path, how, last[0] ? ": " : "", last, hint);
	return RDOT_FAILED;
}

/* A temporary file for the child's stderr; NULL with err set. */
static FILE *
rsvg_errfile(char *err, size_t errlen)
{
	FILE *f = tmpfile();
	if (f == NULL)
		snprintf(err, errlen, "cannot create a temporary file for Graphviz's messages: %s", strerror(errno));
	return f;
}

#ifdef MAPGC_HAVE_GVC
static rdot_outcome
rsvg_gvc(const char *dot, size_t len, const char *svg_path, char *err, size_t errlen)
{
	FILE *errf = rsvg_errfile(err, errlen);
	if (errf == NULL)
		return RDOT_FAILED;
	fflush(stdout);   /* the child must not write our buffered output again */
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot start Graphviz: fork: %s", strerror(errno));
		fclose(errf);
		return RDOT_FAILED;
	}
	if (pid == 0) {
		/* Its stdout too: the SVG goes to a file, and what Graphviz or
		 * GLib print there (under a small ulimit -v: "Could not open
		 * converter ...") is not ours to put on our stdout. */
		dup2(fileno(errf), 1);
		dup2(fileno(errf), 2);
		rsvg_gvc_child(dot, len, svg_path);
	}
	return rsvg_wait(pid, errf, "Graphviz", svg_path, err, errlen);
}
#endif

/* `dot -Tsvg -o svg_path`, the DOT on its standard input. */
static rdot_outcome
rsvg_program(const char *dot, size_t len, const char *svg_path, char *err, size_t errlen)
{
	int fds[2];
	pid_t pid;
	posix_spawn_file_actions_t fa;
	char *argv[] = {"dot", "-Tsvg", "-o", (char *)svg_path, NULL};
	FILE *errf = rsvg_errfile(err, errlen);

	if (errf == NULL)
		return RDOT_FAILED;
	if (pipe(fds) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		fclose(errf);
		return RDOT_FAILED;
	}
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0) {
		posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
		posix_spawn_file_actions_adddup2(&fa, fileno(errf), 1); /* as in rsvg_gvc */
		posix_spawn_file_actions_adddup2(&fa, fileno(errf), 2);
		posix_spawn_file_actions_addclose(&fa, fds[0]);
		posix_spawn_file_actions_addclose(&fa, fds[1]);
		rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		fclose(errf);
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
	rdot_outcome out = rsvg_wait(pid, errf, "dot", svg_path, err, errlen);
	if (out == RDOT_SVG && off < len) {
		snprintf(err, errlen, "dot failed rendering %s (it did not read all of its input)", svg_path);
		unlink(svg_path);
		return RDOT_FAILED;
	}
	return out;
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
