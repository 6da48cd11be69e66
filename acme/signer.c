/*
 * serve's signer (docs/serve-processes.md): the process that holds the CA
 * key and the store and reads nothing from the network. It starts the front
 * (a new image of this program: no memory of the signer's comes with it),
 * answers the requests the front passes on with the handlers (route table
 * below), asks the front to validate challenges and records the verdicts,
 * and makes the front's TLS certificate. Everything the handlers write they
 * write here, with its audit entry, committed before the answer leaves.
 * When the front dies the signer starts another (at most FRONT_STARTS a
 * minute); SIGTERM and SIGINT are passed to the front, which drains, and the
 * signer exits once the front has gone and the last commit is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server.h"

#define FRONT_STARTS 5 /* front starts a minute at most; then the signer gives up too */

/* ---- routing ---- */

/* A path the routes below answer when POSTed: a GET to it is 405, to anything else 404. */
static int post_resource(const char *p)
{
	static const char *const exact[] = {"/acme/new-account", "/acme/new-order",
					    "/acme/revoke-cert", "/acme/key-change", NULL};
	static const char *const under[] = {"/acme/acct/", "/acme/order/", "/acme/authz/",
					    "/acme/chall/", "/acme/cert/", NULL};
	size_t i;

	for (i = 0; exact[i]; i++)
		if (!strcmp(p, exact[i]))
			return 1;
	for (i = 0; under[i]; i++)
		if (!strncmp(p, under[i], strlen(under[i])) && p[strlen(under[i])])
			return 1;
	return 0;
}

static void route(struct acme_req *q)
{
	const char *p = q->path;
	char id[128], sub[128];
	const char *rest;
	int post = q->method == ACME_POST, get = !post;

	if (!strcmp(p, "/acme/directory") && get)
		return h_directory(q);
	if (!strcmp(p, "/acme/new-nonce") && get)
		return h_new_nonce(q);
	if ((rest = path_id(p, "/acme/renewal-info/", id, sizeof(id))) && !*rest && get)
		return h_renewal_info(q, id);
	if (!post) {
		if (post_resource(p))
			return reply_problem(q, ACME_METHOD, "%s takes POST (RFC 8555 section 6.3)", p);
		return reply_problem(q, ACME_NOT_FOUND, "no such resource; the directory is at "
							"%s/acme/directory", q->base);
	}
	if (!strcmp(p, "/acme/new-account"))
		return h_new_account(q);
	if (!strcmp(p, "/acme/new-order"))
		return h_new_order(q);
	if (!strcmp(p, "/acme/revoke-cert"))
		return h_revoke(q);
	if (!strcmp(p, "/acme/key-change"))
		return h_key_change(q);
	if ((rest = path_id(p, "/acme/acct/", id, sizeof(id)))) {
		if (!*rest)
			return h_account(q, id);
		if (!strcmp(rest, "/orders"))
			return h_account_orders(q, id);
	}
	if ((rest = path_id(p, "/acme/order/", id, sizeof(id)))) {
		if (!*rest)
			return h_order(q, id);
		if (!strcmp(rest, "/finalize"))
			return h_finalize(q, id);
	}
	if ((rest = path_id(p, "/acme/authz/", id, sizeof(id))) && !*rest)
		return h_authz(q, id);
	if ((rest = path_id(p, "/acme/chall/", id, sizeof(id))) && *rest == '/' &&
	    path_id(rest, "/", sub, sizeof(sub)) && !*path_id(rest, "/", sub, sizeof(sub)))
		return h_challenge(q, id, sub);
	if ((rest = path_id(p, "/acme/cert/", id, sizeof(id))) && !*rest)
		return h_certificate(q, id);
	reply_problem(q, ACME_NOT_FOUND, "no such resource: %s", p);
}

/* The front's request, checked again here: the signer trusts no field it did not check. */
static void on_request(struct srv *s, struct proto_msg *m)
{
	struct acme_req *q = calloc(1, sizeof(*q));
	const char *method = m->field[T_METHOD], *base = m->field[T_BASE];

	if (!q) {
		warning("serve: signer: out of memory");
		return;
	}
	q->s = s;
	q->id = m->id;
	q->front_gen = s->front_gen;
	q->msg = *m;
	memset(m, 0, sizeof(*m)); /* q owns the fields now */
	s->requests++;
	q->method = !strcmp(method, "POST") ? ACME_POST : !strcmp(method, "HEAD") ? ACME_HEAD
										     : ACME_GET;
	if (strncmp(base, "https://", 8) || q->msg.len[T_BASE] >= sizeof(q->base) ||
	    strspn(base + 8, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
		    q->msg.len[T_BASE] - 8) {
		snprintf(q->base, sizeof(q->base), "https://localhost");
		return reply_problem(q, ACME_MALFORMED, "the Host header is not a host name");
	}
	snprintf(q->base, sizeof(q->base), "%s", base);
	q->path = q->msg.field[T_PATH];
	q->content_type = q->msg.field[T_CTYPE];
	q->body = q->msg.field[T_BODY];
	q->body_len = q->msg.len[T_BODY];
	if (q->path[0] != '/')
		return reply_problem(q, ACME_NOT_FOUND, "no such resource");
	route(q);
}

static void on_msg(struct proto_msg *m, void *arg)
{
	struct srv *s = arg;

	switch (m->type) {
	case P_REQUEST:
		on_request(s, m);
		break;
	case P_VERDICT:
		challenge_verdict(s, m);
		break;
	case P_READY:
		s->front_ready = s->front_ready_once = 1;
		break;
	default:
		warning("serve: signer: the front sent a message of type %u, which is for the "
			"front; ignored",
			m->type);
		break;
	}
}

static void on_close(const char *why, void *arg)
{
	struct srv *s = arg;

	/* SIGCHLD says whether the front ended; a front that breaks the protocol is ended here */
	if (!s->draining && s->front_pid > 0 && strcmp(why, "the other process closed the connection")) {
		warning("serve: signer: %s; ending the front (pid %ld)", why, (long)s->front_pid);
		kill(s->front_pid, SIGKILL);
	}
}

/* ---- the front's process ---- */

/* This program's own arguments, to start the front with the same options. */
static char **own_argv(void)
{
	char *buf = NULL, **argv = NULL;
	size_t len = 0, n = 0, i;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t r;
	char chunk[4096];

	if (fd < 0)
		return NULL;
	while ((r = read(fd, chunk, sizeof(chunk))) > 0) {
		char *b = realloc(buf, len + (size_t)r + 1);

		if (!b)
			goto fail;
		buf = b;
		memcpy(buf + len, chunk, (size_t)r);
		len += (size_t)r;
	}
	if (r < 0 || !len)
		goto fail;
	buf[len] = '\0';
	for (i = 0; i < len; i++)
		n += buf[i] == '\0';
	if (!(argv = calloc(n + 2, sizeof(char *))))
		goto fail;
	for (i = 0, n = 0; i < len; i += strlen(buf + i) + 1)
		argv[n++] = buf + i; /* buf lives as long as argv: the front's exec or the signer */
	close(fd);
	return argv;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static int front_start(struct srv *s)
{
	char **argv = own_argv(), fdtext[16];
	int sv[2] = {-1, -1};
	pid_t pid;
	int rc = EX_OSERR;

	if (!argv || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		rc = fail(EX_OSERR, "serve: cannot start the front: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		rc = fail(EX_OSERR, "serve: cannot start the front: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* only its end of the socketpair goes with it: every other descriptor is closed */
		int fd = dup2(sv[1], 3);

		if (fd == 3 && close_range(4, ~0U, 0) == 0) {
			snprintf(fdtext, sizeof(fdtext), "%d", fd);
			unsetenv("MINICA_PASS_FILE");
			unsetenv("CREDENTIALS_DIRECTORY");
			unsetenv("MINICA_PIN_FILE");
			setenv(ACME_FRONT_ENV, fdtext, 1);
			execv("/proc/self/exe", argv);
		}
		_exit(EX_OSERR);
	}
	close(sv[1]);
	sv[1] = -1;
	proto_chan_free(s->chan);
	if (!(s->chan = proto_chan_new(s->base, sv[0], on_msg, on_close, s))) {
		close(sv[0]);
		kill(pid, SIGKILL);
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	sv[0] = -1;
	s->front_pid = pid;
	s->front_gen++;
	s->front_ready = 0;
	if (tls_send(s) != 0) {
		rc = fail(EX_OSERR, "serve: cannot pass the certificate to the front");
		goto out;
	}
	rc = 0;
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (argv)
		free(argv[0]);
	free(argv);
	return rc;
}

static void drained(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;

	(void)fd;
	(void)what;
	if (s->batch_len || s->finalizing || s->committing || s->front_pid > 0) {
		/* a group commit is still due, or the front has not gone yet */
		struct timeval tv = {0, 50000};

		evtimer_add(s->drain_timer, &tv);
		return;
	}
	event_base_loopexit(s->base, NULL);
}

static void on_child(struct srv *s)
{
	struct timeval tv = {0, 0};
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != s->front_pid)
			continue;
		s->front_pid = 0;
		if (s->draining)
			break;
		if (!s->front_ready) {
			/* it never served: its message says why (a port in use, a bad option) */
			s->exit_code = WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status)
										   : EX_SOFTWARE;
			s->draining = 1;
			evtimer_add(s->drain_timer, &tv);
			break;
		}
		warning("serve: signer: the front (pid %ld) %s %d; starting another", (long)pid,
			WIFSIGNALED(status) ? "was ended by signal" : "exited with",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		while (s->validating)
			inflight_del(&s->validating, s->validating->id); /* its validations died with it */
		if (now_utc() - s->front_window >= 60) {
			s->front_window = now_utc();
			s->front_starts = 0;
		}
		if (++s->front_starts > FRONT_STARTS || front_start(s) != 0) {
			warning("serve: signer: the front keeps failing (%d starts within a minute); "
				"stopping",
				s->front_starts);
			s->draining = 1;
			s->front_pid = 0;
			evtimer_add(s->drain_timer, &tv);
		}
	}
}

/* ---- signals ---- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;
	struct timeval tv = {0, 200000};

	(void)what;
	if (sig == SIGCHLD)
		return on_child(s);
	if (sig == SIGHUP) {
		tpl_cache_drop(&s->templates);
		workers_reload(s);
		keys_clear(s->keys);
		if (!g_opts.quiet)
			notice("serve: SIGHUP: templates will be read again; accounts are read from the "
			       "store on every request");
		return;
	}
	if (s->draining) {
		/* a second SIGTERM or SIGINT: no more waiting */
		if (!g_opts.quiet)
			notice("serve: second %s: stopping now", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		if (s->front_pid > 0)
			kill(s->front_pid, SIGKILL);
		return;
	}
	s->draining = 1;
	if (!g_opts.quiet) {
		struct inflight *f;
		size_t checks = 0, orders = 0;

		for (f = s->validating; f; f = f->next)
			checks++;
		for (f = s->finalizing; f; f = f->next)
			orders++;
		notice("serve: %s: no new connections; finishing the requests in flight",
		       sig == SIGTERM ? "SIGTERM" : "SIGINT");
		if (checks || orders)
			notice("serve: waiting for %zu validations (%ld s at most) and %zu orders being "
			       "issued; a second SIGTERM or SIGINT stops at once",
			       checks, s->validation_timeout, orders);
	}
	if (s->front_pid > 0)
		kill(s->front_pid, SIGTERM);
	evtimer_add(s->drain_timer, &tv);
}

/* ---- setup ---- */

static int setup(struct srv *s)
{
	int rc;

	s->base = event_base_new();
	if (!s->base || event_base_priority_init(s->base, 2) != 0)
		return fail(EX_SOFTWARE, "cannot start the event loop");
	s->nonces = nonces_new();
	s->keys = keys_new();
	s->flush_ev = event_new(s->base, -1, 0, finalize_flush, s);
	s->drain_timer = evtimer_new(s->base, drained, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
	s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, on_signal, s);
	s->sig_chld = evsignal_new(s->base, SIGCHLD, on_signal, s);
	if (!s->nonces || !s->keys || !s->flush_ev || !s->drain_timer || !s->sig_term ||
	    !s->sig_int || !s->sig_hup || !s->sig_chld)
		return fail(EX_OSERR, "out of memory");
	/* the group commit runs after every request that arrived with it was read */
	event_priority_set(s->flush_ev, 1);
	if (event_add(s->sig_term, NULL) || event_add(s->sig_int, NULL) ||
	    event_add(s->sig_hup, NULL) || event_add(s->sig_chld, NULL))
		return fail(EX_SOFTWARE, "cannot catch signals");
	s->batch_tail = &s->batch;
	if (pipe2(s->commit_pipe, O_CLOEXEC) != 0 ||
	    evutil_make_socket_nonblocking(s->commit_pipe[0]) != 0 ||
	    !(s->commit_ev = event_new(s->base, s->commit_pipe[0], EV_READ | EV_PERSIST,
				       finalize_committed, s)) ||
	    event_add(s->commit_ev, NULL) != 0)
		return fail(EX_OSERR, "cannot create a pipe: %s", strerror(errno));
	/* --pid-file: written and held by cmd/serve.c (pidlock), with the store's lock */
	if ((rc = tls_setup(s)) || (rc = workers_start(s)) || (rc = front_start(s)))
		return rc;
	return 0;
}

static void teardown(struct srv *s)
{
	size_t i;

	json_decref(s->pending_authz);

	if (s->front_pid > 0) {
		kill(s->front_pid, SIGKILL);
		(void)waitpid(s->front_pid, NULL, 0);
	}
	workers_stop(s);
	tpl_cache_drop(&s->templates);
	while (s->validating)
		inflight_del(&s->validating, s->validating->id);
	while (s->finalizing)
		inflight_del(&s->finalizing, s->finalizing->id);
	proto_chan_free(s->chan);
	for (i = 0; i < 8; i++) {
		struct event *e[] = {s->flush_ev, s->drain_timer, s->sig_term, s->sig_int,
				     s->sig_hup, s->tls_timer, s->commit_ev, s->sig_chld};
		if (e[i])
			event_free(e[i]);
	}
	for (i = 0; i < 2; i++)
		if (s->commit_pipe[i] >= 0)
			close(s->commit_pipe[i]);
	tls_forget(s);
	nonces_free(s->nonces);
	keys_free(s->keys);
	if (s->base)
		event_base_free(s->base);
}

/*
 * The store's map is fixed before the threads start (store/map.c): 16 GiB of
 * address space on 64-bit systems, some 6 million certificates with their
 * orders. Every 8 commits (two or three orders) the server gives back its
 * mapped pages of the store, so that its resident size is its own memory
 * and the pages it works on now, not the whole store it has ever read.
 */
#define SERVE_MAP_BYTES ((size_t)1 << (SIZE_MAX > 0xffffffffu ? 34 : 30))
#define SERVE_RELEASE_COMMITS 8

int acme_serve(store *st, const struct acme_server_options *o)
{
	struct srv s;
	size_t i;
	int rc;

	memset(&s, 0, sizeof(s));
	s.st = st;
	s.o = o;
	s.commit_pipe[0] = s.commit_pipe[1] = -1;
	s.validation_timeout = o->validation_timeout > 0 ? o->validation_timeout : 10;
	signal(SIGPIPE, SIG_IGN);
	secrets_protect();
	/* OpenSSL keeps private key numbers in its secure heap: locked, not in a core */
	if (!CRYPTO_secure_malloc_initialized())
		(void)CRYPTO_secure_malloc_init(256 * 1024, 32);
	if ((rc = ca_load(st, &s.ca)) || (rc = ca_unlock(&s.ca)) || (rc = store_acme_prepare(st)) ||
	    (rc = store_fix_map(st, SERVE_MAP_BYTES)))
		goto out;
	store_release_every(st, SERVE_RELEASE_COMMITS);
	if ((rc = setup(&s)))
		goto out;
	if (!g_opts.quiet) {
		for (i = 0; i < o->n_listen; i++)
			notice("serve: https://%s/acme/directory (store %s)", o->listen[i],
			       store_path(st));
		notice("serve: signer pid %ld, front pid %ld", (long)getpid(), (long)s.front_pid);
	}
	if (event_base_dispatch(s.base) < 0)
		rc = fail(EX_SOFTWARE, "the event loop failed");
	if (!rc)
		rc = s.exit_code;
	if (!g_opts.quiet && s.front_ready_once)
		notice("serve: stopped after %lu requests, %lu certificates issued", s.requests,
		       s.issued);
out:
	teardown(&s);
	ca_release(&s.ca);
	ERR_clear_error();
	return rc;
}
