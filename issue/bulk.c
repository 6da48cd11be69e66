/*
 * issue --hosts-file: many certificates at the speed of the machine.
 *
 * Every line is checked first (names, output files, duplicates), so a bad
 * line stops the run before anything is issued. Then one worker thread per
 * core builds certificates (key generation dominates: RSA-2048 takes ~0.2 s
 * here), while the main thread prepares jobs, commits finished ones to the
 * store in batches (one transaction per batch, so each certificate is still
 * all-or-nothing after a crash) and writes their files after each commit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "issue.h"
#include "issue_job.h"
#include "common/common.h"

#define MAX_NAMES 64
#define MAX_IN_FLIGHT 1024
#define MAX_BATCH 512

struct line {
	size_t off; /* first token in the buffer; tokens follow each other, NUL-separated */
	int n;
	long lineno;
};

struct hosts_file {
	const char *path;
	char *buf;  /* the tokens, each NUL-terminated */
	struct line *lines;
	size_t n;
};

struct job_slot {
	struct issue_job job;
	char *names[MAX_NAMES];
	size_t seq; /* its place in the file: rows are printed in file order */
};

/* In the ring of finished lines: a line that prints no row (it failed). */
static struct job_slot no_row;

struct pool {
	struct issuer *is;
	const char *path;
	pthread_mutex_t lock;
	pthread_cond_t work_cv, done_cv;
	struct job_slot **ready; /* ring of MAX_IN_FLIGHT */
	size_t ready_head, ready_count;
	struct job_slot **done;
	size_t n_done;
	int shutdown;
};

static void hosts_file_free(struct hosts_file *hf)
{
	free(hf->buf);
	free(hf->lines);
}

/* "a  b,c # x\n" -> tokens "a\0b\0c\0" and one line of 3 names. */
static int hosts_file_read(const char *path, struct hosts_file *hf)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *text = NULL;
	size_t len, r = 0, w = 0, cap = 0;
	long lineno = 0;
	int rc = 0;

	memset(hf, 0, sizeof(*hf));
	hf->path = path;
	if (!f)
		return fail(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "hosts file %s: %s", path,
			    strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = fail(EX_NOINPUT, "hosts file %s: not a regular file", path);
		goto out;
	}
	len = (size_t)st.st_size;
	text = malloc(len + 1);
	hf->buf = malloc(len + 1); /* each token is followed by a separator: same size suffices */
	if (!text || !hf->buf) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if (fread(text, 1, len, f) != len) {
		rc = fail(EX_IOERR, "hosts file %s: read error", path);
		goto out;
	}
	text[len] = '\n';
	while (r < len) {
		struct line ln = {w, 0, ++lineno};
		int in_comment = 0;

		while (r <= len && text[r] != '\n') {
			char c = text[r];

			if (c == '#')
				in_comment = 1;
			if (in_comment || c == ' ' || c == '\t' || c == '\r' || c == ',') {
				r++;
				continue;
			}
			if (ln.n == MAX_NAMES) {
				rc = fail(EX_DATAERR, "hosts file %s line %ld: more than %d names", path,
					  lineno, MAX_NAMES);
				goto out;
			}
			ln.n++;
			while (r < len && !strchr(" \t\r\n,#", text[r]))
				hf->buf[w++] = text[r++];
			hf->buf[w++] = '\0';
		}
		r++;
		if (ln.n == 0)
			continue;
		if (hf->n == cap) {
			struct line *grown;

			cap = cap ? cap * 2 : 1024;
			grown = realloc(hf->lines, cap * sizeof(*grown));
			if (!grown) {
				rc = fail(EX_OSERR, "out of memory");
				goto out;
			}
			hf->lines = grown;
		}
		hf->lines[hf->n++] = ln;
	}
	if (hf->n == 0)
		rc = fail(EX_DATAERR, "hosts file %s: no host names in it", path);
out:
	if (rc) {
		hosts_file_free(hf);
		memset(hf, 0, sizeof(*hf));
	}
	free(text);
	fclose(f);
	return rc;
}

static void slot_names(const struct hosts_file *hf, size_t i, struct job_slot *s)
{
	const char *p = hf->buf + hf->lines[i].off;
	int k;

	for (k = 0; k < hf->lines[i].n; k++) {
		s->names[k] = (char *)p;
		p += strlen(p) + 1;
	}
	memset(&s->job, 0, sizeof(s->job));
	s->job.names = s->names;
	s->job.n_names = (size_t)hf->lines[i].n;
	s->job.lineno = hf->lines[i].lineno;
}

struct base_ref {
	char *base;
	long lineno;
};

static int by_base(const void *a, const void *b)
{
	return strcmp(((const struct base_ref *)a)->base, ((const struct base_ref *)b)->base);
}

/* Pass 1: every line valid and every output file free before anything is issued. */
static int check_all(struct issuer *is, const struct hosts_file *hf)
{
	struct base_ref *bases = NULL;
	struct job_slot slot;
	size_t i, n_bases = 0;
	int rc = 0;

	if (!is->no_files && !(bases = calloc(hf->n, sizeof(*bases))))
		return fail(EX_OSERR, "out of memory");
	for (i = 0; i < hf->n && rc == 0; i++) {
		slot_names(hf, i, &slot);
		diag_context("hosts file %s line %ld", hf->path, slot.job.lineno);
		rc = job_prepare(is, &slot.job);
		if (rc == 0 && bases) {
			bases[n_bases].lineno = slot.job.lineno;
			if (!(bases[n_bases++].base = strdup(slot.job.base)))
				rc = fail(EX_OSERR, "out of memory");
		}
		job_release(&slot.job);
	}
	diag_context(NULL);
	if (rc == 0 && bases) {
		qsort(bases, n_bases, sizeof(*bases), by_base);
		for (i = 1; i < n_bases && rc == 0; i++)
			if (!strcmp(bases[i].base, bases[i - 1].base))
				rc = fail(EX_DATAERR, "hosts file %s lines %ld and %ld: both would write "
						      "%s.*; put both names on one line, or issue "
						      "them separately with --out",
					  hf->path, bases[i - 1].lineno < bases[i].lineno ? bases[i - 1].lineno : bases[i].lineno,
					  bases[i - 1].lineno < bases[i].lineno ? bases[i].lineno : bases[i - 1].lineno,
					  bases[i].base);
	}
	for (i = 0; i < n_bases; i++)
		free(bases[i].base);
	free(bases);
	return rc;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct template *tpl = NULL;

	/* a private copy: NCONF lookups are not documented as thread-safe */
	if (template_load(p->is->tpl->path, &tpl) == 0) {
		free(tpl->name);
		tpl->name = strdup(p->is->tpl->name);
	}
	for (;;) {
		struct job_slot *s;

		pthread_mutex_lock(&p->lock);
		while (p->ready_count == 0 && !p->shutdown)
			pthread_cond_wait(&p->work_cv, &p->lock);
		if (p->ready_count == 0) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		s = p->ready[p->ready_head];
		p->ready_head = (p->ready_head + 1) % MAX_IN_FLIGHT;
		p->ready_count--;
		pthread_mutex_unlock(&p->lock);

		diag_context("hosts file %s line %ld", p->path, s->job.lineno);
		s->job.rc = tpl && tpl->name ? job_build(p->is, tpl, &s->job)
					     : fail(EX_SOFTWARE, "cannot load template %s", p->is->tpl->path);
		diag_context(NULL);

		pthread_mutex_lock(&p->lock);
		p->done[p->n_done++] = s;
		pthread_cond_signal(&p->done_cv);
		pthread_mutex_unlock(&p->lock);
	}
	template_free(tpl);
	return NULL;
}

static void progress(size_t done, size_t total, double started, int final)
{
	struct timespec ts;
	double elapsed, rate;

	if (g_opts.quiet || !isatty(STDERR_FILENO))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	elapsed = ts.tv_sec + ts.tv_nsec / 1e9 - started;
	rate = elapsed > 0 ? done / elapsed : 0;
	fprintf(stderr, "\r\033[Kminica: issued %zu of %zu (%.1f/s", done, total, rate);
	if (!final && rate > 0)
		fprintf(stderr, ", %.0f s left", (total - done) / rate);
	fprintf(stderr, ")   %s", final ? "\n" : "");
}

/* The progress line, wiped before result rows are printed under it. */
static void progress_clear(void)
{
	if (!g_opts.quiet && isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
}

/*
 * Rows in file order: a finished line waits in the ring (by its place in the
 * file) until every line before it has finished; its files are written at
 * once, after its commit, only the row waits.
 */
static void print_in_order(struct issuer *is, struct job_slot **finished, size_t *print_next,
			   size_t fed, int compact)
{
	int cleared = 0;

	while (*print_next < fed && finished[*print_next % MAX_IN_FLIGHT]) {
		struct job_slot *s = finished[*print_next % MAX_IN_FLIGHT];

		finished[*print_next % MAX_IN_FLIGHT] = NULL;
		(*print_next)++;
		if (s == &no_row)
			continue;
		if (!cleared && !g_opts.json) {
			fflush(stdout);
			progress_clear();
			cleared = 1;
		}
		job_report(is, &s->job, compact);
		job_release(&s->job);
		free(s);
	}
	fflush(stdout);
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int issuer_issue_file(struct issuer *is, const char *path)
{
	struct hosts_file hf;
	struct pool p = {0};
	pthread_t threads[64];
	struct job_slot **taken = NULL, **ok = NULL, **rows = NULL;
	size_t n_threads = 0, next = 0, in_flight = 0, i, finished = 0, failed = 0, print_next = 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int rc, first_error = 0, compact;
	double started = monotonic();

	if ((rc = hosts_file_read(path, &hf)))
		return rc;
	compact = hf.n > 1;
	if ((rc = check_all(is, &hf)) || (rc = ca_unlock(is->ca)))
		goto out;
	p.is = is;
	p.path = path;
	p.ready = calloc(MAX_IN_FLIGHT, sizeof(*p.ready));
	p.done = calloc(MAX_IN_FLIGHT, sizeof(*p.done));
	taken = calloc(MAX_IN_FLIGHT, sizeof(*taken));
	ok = calloc(MAX_IN_FLIGHT, sizeof(*ok));
	rows = calloc(MAX_IN_FLIGHT, sizeof(*rows));
	if (!p.ready || !p.done || !taken || !ok || !rows) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.work_cv, NULL);
	pthread_cond_init(&p.done_cv, NULL);
	if (cores < 1)
		cores = 1;
	for (i = 0; i < (size_t)cores && i < 64 && i < hf.n; i++) {
		if (pthread_create(&threads[i], NULL, worker, &p) != 0)
			break;
		n_threads++;
	}
	if (n_threads == 0) {
		rc = fail(EX_OSERR, "cannot start worker threads");
		goto out_pool;
	}
	while ((!first_error && next < hf.n) || in_flight > 0) {
		size_t n_taken, n_ok = 0;

		/* keep the workers fed (at most MAX_IN_FLIGHT lines between the first
		 * row not yet printed and the last line fed); stop after a fatal error */
		while (!first_error && next < hf.n && next - print_next < MAX_IN_FLIGHT) {
			struct job_slot *s = malloc(sizeof(*s));

			if (!s) {
				first_error = fail(EX_OSERR, "out of memory");
				break;
			}
			slot_names(&hf, next, s);
			s->seq = next;
			diag_context("hosts file %s line %ld", path, s->job.lineno);
			rc = job_prepare(is, &s->job);
			diag_context(NULL);
			next++;
			if (rc) {
				/* changed since the check (a file appeared): skip this line */
				rows[s->seq % MAX_IN_FLIGHT] = &no_row;
				job_release(&s->job);
				free(s);
				failed++;
				if (!first_error)
					first_error = rc;
				continue;
			}
			pthread_mutex_lock(&p.lock);
			p.ready[(p.ready_head + p.ready_count) % MAX_IN_FLIGHT] = s;
			p.ready_count++;
			pthread_cond_signal(&p.work_cv);
			pthread_mutex_unlock(&p.lock);
			in_flight++;
		}
		if (in_flight == 0)
			break;
		pthread_mutex_lock(&p.lock);
		while (p.n_done == 0)
			pthread_cond_wait(&p.done_cv, &p.lock);
		n_taken = p.n_done < MAX_BATCH ? p.n_done : MAX_BATCH;
		memcpy(taken, p.done + p.n_done - n_taken, n_taken * sizeof(*taken));
		p.n_done -= n_taken;
		pthread_mutex_unlock(&p.lock);
		in_flight -= n_taken;

		for (i = 0; i < n_taken; i++) {
			if (taken[i]->job.rc) {
				failed++;
				if (!first_error)
					first_error = taken[i]->job.rc;
			} else if (!first_error) {
				ok[n_ok++] = taken[i];
			}
		}
		if (n_ok) {
			struct issue_job *jobs[MAX_BATCH];
			struct commit_ctx ctx = {jobs, n_ok, NULL};

			for (i = 0; i < n_ok; i++)
				jobs[i] = &ok[i]->job;
			rc = store_write(is->st, commit_fn, &ctx);
			if (rc) {
				first_error = rc;
			} else {
				for (i = 0; i < n_ok; i++) {
					int frc;

					diag_context("hosts file %s line %ld", path, ok[i]->job.lineno);
					frc = job_write(is, &ok[i]->job);
					diag_context(NULL);
					if (frc && !first_error)
						first_error = frc;
					finished++;
					if (frc == 0) /* its row waits for its turn */
						rows[ok[i]->seq % MAX_IN_FLIGHT] = ok[i];
				}
			}
		}
		for (i = 0; i < n_taken; i++) {
			if (rows[taken[i]->seq % MAX_IN_FLIGHT] == taken[i])
				continue; /* kept for its row */
			rows[taken[i]->seq % MAX_IN_FLIGHT] = &no_row;
			job_release(&taken[i]->job);
			free(taken[i]);
		}
		print_in_order(is, rows, &print_next, next, compact);
		progress(finished, hf.n, started, 0);
	}
	print_in_order(is, rows, &print_next, next, compact);
	progress(finished, hf.n, started, 1);
	rc = first_error;
	if (compact && !g_opts.json)
		notice("%zu certificates issued in %.1f s%s", finished, monotonic() - started,
		       failed ? "; see the errors above" : "");
out_pool:
	pthread_mutex_lock(&p.lock);
	p.shutdown = 1;
	pthread_cond_broadcast(&p.work_cv);
	pthread_mutex_unlock(&p.lock);
	for (i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.work_cv);
	pthread_cond_destroy(&p.done_cv);
out:
	free(p.ready);
	free(p.done);
	free(taken);
	free(ok);
	for (i = 0; rows && i < MAX_IN_FLIGHT; i++) {
		if (rows[i] && rows[i] != &no_row) {
			job_release(&rows[i]->job);
			free(rows[i]);
		}
	}
	free(rows);
	hosts_file_free(&hf);
	return rc;
}
