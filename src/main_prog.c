/* main_prog.c - progress lines of clrheap's heap walks and graph builds.
 * The walks run on several threads, so every line is written under one
 * lock, and a count smaller than one already shown is not shown. */
#include "main_prog.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct prog {
	pthread_mutex_t lock;
	bool forced, tty, shown;
	double start, last;  /* when the first call came, and the last line */
	uint64_t bytes;      /* the heap walk's bytes last shown */
	char phase[32];      /* the graph's phase last shown */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct prog *prog_open(bool forced)
{
	bool tty = isatty(STDERR_FILENO) != 0;
	if (!forced && !tty)
		return NULL;
	struct prog *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->forced = forced;
	p->tty = tty && !forced;
	p->start = p->last = now();
	return p;
}

/* Writes line when due (always when must); p->lock is held. */
static void show(struct prog *p, const char *line, bool must)
{
	double t = now();
	if (p->tty) {
		if (t - p->start < 2.0 || (!must && t - p->last < 0.5))
			return;
		fprintf(stderr, "\rclrheap: %s\033[K", line);
		p->shown = true;
	} else {
		if (!must && t - p->last < 1.0)
			return;
		fprintf(stderr, "clrheap: %s\n", line);
	}
	fflush(stderr);
	p->last = t;
}

void prog_heap(void *arg, bool done, uint64_t objects, uint64_t total_objects, uint64_t bytes,
	       uint64_t total_bytes)
{
	struct prog *p = arg;
	char line[160], of[40] = "";
	pthread_mutex_lock(&p->lock);
	if (done || bytes >= p->bytes) {
		p->bytes = done ? 0 : bytes;
		if (done)
			snprintf(line, sizeof line, "heap walk done: %" PRIu64 " objects, %.1f MB",
				 objects, (double)bytes / 1e6);
		else {
			if (total_objects)
				snprintf(of, sizeof of, " of %" PRIu64, total_objects);
			snprintf(line, sizeof line, "heap walk: %" PRIu64 "%s objects, %.1f of %.1f MB",
				 objects, of, (double)bytes / 1e6, (double)total_bytes / 1e6);
		}
		show(p, line, done && !p->tty);
	}
	pthread_mutex_unlock(&p->lock);
}

void prog_graph(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	struct prog *p = arg;
	char line[160];
	pthread_mutex_lock(&p->lock);
	bool fresh = strncmp(p->phase, phase, sizeof p->phase - 1) != 0;
	if (fresh)
		snprintf(p->phase, sizeof p->phase, "%s", phase);
	if (total)
		snprintf(line, sizeof line, "graph: %s %" PRIu64 " of %" PRIu64, phase, done, total);
	else
		snprintf(line, sizeof line, "graph: %s", phase);
	show(p, line, fresh && !p->tty);
	pthread_mutex_unlock(&p->lock);
}

void prog_close(struct prog *p)
{
	if (!p)
		return;
	if (p->shown)
		fputs("\r\033[K", stderr);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
