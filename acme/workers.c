/*
 * The server's worker threads: CPU work that touches nothing but its own
 * job and read-only state (a finalize's CSR checks and signature) runs here
 * while the event loop goes on reading and answering requests. A job is
 * handed over with work_submit(); a worker runs job->run, then passes the
 * job back through a pipe, and the loop calls job->done. Each worker keeps
 * its own parsed templates (NCONF lookups are not documented as
 * thread-safe; issue/bulk.c does the same), read again after a SIGHUP.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

struct worker {
	struct workers *pool;
	pthread_t thread;
	int started;
	struct tpl_cache tpl;
	unsigned gen; /* the pool's template generation these were read in */
};

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct work *head, **tail;
	int shutdown;
	unsigned gen;  /* bumped by workers_reload (SIGHUP) */
	int pipe[2];   /* finished jobs, as pointers, to the loop */
	struct event *ev;
	struct srv *s;
	size_t n;
	struct worker w[ACME_WORKERS];
};

const struct template *worker_template(struct worker *w, const char *name)
{
	return tpl_cache_get(&w->tpl, name);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct workers *p = w->pool;

	for (;;) {
		struct work *job;
		unsigned gen;

		pthread_mutex_lock(&p->lock);
		while (!p->head && !p->shutdown)
			pthread_cond_wait(&p->cv, &p->lock);
		job = p->head;
		if (job && !(p->head = job->next))
			p->tail = &p->head;
		gen = p->gen;
		pthread_mutex_unlock(&p->lock);
		if (!job)
			break;
		if (gen != w->gen) {
			tpl_cache_drop(&w->tpl);
			w->gen = gen;
		}
		job->next = NULL;
		job->run(job, w);
		if (write(p->pipe[1], &job, sizeof(job)) != (ssize_t)sizeof(job))
			abort(); /* the loop would wait for this job forever */
	}
	tpl_cache_drop(&w->tpl);
	return NULL;
}

/* A worker is done with one or more jobs: finish each in the loop. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct workers *p = arg;
	struct work *job;

	(void)what;
	while (read(fd, &job, sizeof(job)) == (ssize_t)sizeof(job))
		job->done(p->s, job);
}

int workers_start(struct srv *s)
{
	struct workers *p = calloc(1, sizeof(*p));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i;

	if (!p)
		return fail(EX_OSERR, "out of memory");
	s->workers = p;
	p->s = s;
	p->tail = &p->head;
	p->pipe[0] = p->pipe[1] = -1;
	/* one worker per core beside the loop's, at least one */
	p->n = cpus > 1 ? (size_t)cpus - 1 : 1;
	if (p->n > ACME_WORKERS)
		p->n = ACME_WORKERS;
	if (pthread_mutex_init(&p->lock, NULL) != 0 || pthread_cond_init(&p->cv, NULL) != 0)
		return fail(EX_OSERR, "cannot start the worker threads");
	if (pipe2(p->pipe, O_CLOEXEC) != 0 || evutil_make_socket_nonblocking(p->pipe[0]) != 0 ||
	    !(p->ev = event_new(s->base, p->pipe[0], EV_READ | EV_PERSIST, on_done, p)) ||
	    event_add(p->ev, NULL) != 0)
		return fail(EX_OSERR, "cannot create a pipe: %s", strerror(errno));
	for (i = 0; i < p->n; i++) {
		p->w[i].pool = p;
		if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) != 0)
			return fail(EX_OSERR, "cannot start the worker threads");
		p->w[i].started = 1;
	}
	return 0;
}

void workers_stop(struct srv *s)
{
	struct workers *p = s->workers;
	size_t i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->shutdown = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n; i++)
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
	/* the loop has stopped: finish what the workers passed back since */
	if (p->pipe[0] >= 0)
		on_done(p->pipe[0], EV_READ, p);
	if (p->ev)
		event_free(p->ev);
	for (i = 0; i < 2; i++)
		if (p->pipe[i] >= 0)
			close(p->pipe[i]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->lock);
	free(p);
	s->workers = NULL;
}

void workers_reload(struct srv *s)
{
	struct workers *p = s->workers;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->gen++;
	pthread_mutex_unlock(&p->lock);
}

void work_submit(struct srv *s, struct work *job)
{
	struct workers *p = s->workers;

	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	*p->tail = job;
	p->tail = &job->next;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->lock);
}
