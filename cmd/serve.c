/*
 * minica serve: the ACME (RFC 8555) server over HTTPS, so that Exchange
 * (win-acme), Postfix hosts (certbot, lego, dehydrated, uacme) renew by
 * themselves. Options here; the protocol is in acme/.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acme/acme.h"
#include "cmd/cmd.h"
#include "common/common.h"

enum {
	OPT_LISTEN = 0x100,
	OPT_SERVER_NAME,
	OPT_TEMPLATE,
	OPT_EAB,
	OPT_HTTP01_PORT,
	OPT_TLSALPN01_PORT,
	OPT_RESOLVER,
	OPT_PID_FILE,
	OPT_VALIDATION_TIMEOUT,
	OPT_REQUEST_TIMEOUT,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_PER_ADDRESS,
	OPT_FRONT_USER,
	OPT_SIGN_BUDGET,
	OPT_MAX_VALIDATIONS,
	OPT_MAX_VALIDATIONS_ACCOUNT,
	OPT_MAX_PENDING_AUTHZ,
	OPT_SYSTEMD,
	OPT_FORCE,
};

static const struct argp_option options[] = {
	{"listen", OPT_LISTEN, "ADDR:PORT", 0, "Listen here (repeat for more); HTTPS only", 1},
	{"server-name", OPT_SERVER_NAME, "NAME", 0,
	 "A name clients use for this server, put in its certificate (repeat)", 1},
	{"template", OPT_TEMPLATE, "NAME", 0,
	 "Template of the certificates (default smtp-transport; an account's own wins)", 2},
	{"eab", OPT_EAB, "required|optional", 0,
	 "External account binding: required (default), or optional (accounts without it may "
	 "order names under the store's default domain)", 2},
	{"http01-port", OPT_HTTP01_PORT, "N", 0, "Port of http-01 validation (default 80)", 3},
	{"tlsalpn01-port", OPT_TLSALPN01_PORT, "N", 0,
	 "Port of tls-alpn-01 validation (default 443)", 3},
	{"resolver", OPT_RESOLVER, "ADDR[:PORT]", 0,
	 "DNS server for validation (default: the system's)", 3},
	{"validation-timeout", OPT_VALIDATION_TIMEOUT, "SECONDS", 0,
	 "Give up on a challenge's server after this long (default 10)", 3},
	{"request-timeout", OPT_REQUEST_TIMEOUT, "SECONDS", 0,
	 "Close a connection that has not sent a whole request (headers and body) this long after "
	 "it opened or after its last answer (default 10)", 4},
	{"max-connections", OPT_MAX_CONNECTIONS, "N", 0,
	 "Connections open at once; more are closed at once (default 4096)", 4},
	{"max-connections-per-address", OPT_MAX_PER_ADDRESS, "N", 0,
	 "Connections open at once from one client address (default 64)", 4},
	{"front-user", OPT_FRONT_USER, "USER", 0,
	 "Started as root: the process that faces the network runs as USER (default nobody)", 4},
	{"sign-budget", OPT_SIGN_BUDGET, "N", 0,
	 "Sign at most N certificates a minute; finalize beyond it is refused with rateLimited "
	 "(default 300; 0: no limit)", 4},
	{"max-validations", OPT_MAX_VALIDATIONS, "N", 0,
	 "Challenges validated at once; more are answered rateLimited (default 64)", 4},
	{"max-validations-per-account", OPT_MAX_VALIDATIONS_ACCOUNT, "N", 0,
	 "Challenges of one account validated at once (default 16)", 4},
	{"max-pending-authz", OPT_MAX_PENDING_AUTHZ, "N", 0,
	 "Pending authorizations of one account; a new order beyond them is answered rateLimited "
	 "(default 300)", 4},
	{"pid-file", OPT_PID_FILE, "FILE", 0, "Write the signer's process id here", 4},
	{"systemd", OPT_SYSTEMD, "DIR", 0,
	 "Do not serve: write DIR/minica-serve.service that runs this command (the passphrase "
	 "file becomes its LoadCredential=)", 5},
	{"force", OPT_FORCE, NULL, 0, "With --systemd: replace an existing unit file", 5},
	{0}};

struct serve_args {
	struct acme_server_options o;
	const char *eab;
	const char *systemd_dir;
	int force;
	char **words; /* the options again, for --systemd */
	size_t n_words;
};

static error_t limit(const char *arg, const char *name, long lo, long hi, long *out)
{
	return parse_long(arg, name, lo, hi, out) ? EINVAL : 0;
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct serve_args *a = state->input;
	long n;

	if (key >= OPT_LISTEN && key < OPT_SYSTEMD) {
		char *w = NULL;
		const struct argp_option *o;

		for (o = options; o->name; o++)
			if (o->key == key && asprintf(&w, "--%s=%s", o->name, arg) < 0)
				return ENOMEM;
		if (!w || cli_list_add(&a->words, &a->n_words, w))
			return free(w), ENOMEM;
	}
	switch (key) {
	case OPT_SYSTEMD:
		a->systemd_dir = arg;
		return 0;
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case OPT_LISTEN:
		return cli_list_add(&a->o.listen, &a->o.n_listen, arg);
	case OPT_SERVER_NAME:
		return cli_list_add(&a->o.server_names, &a->o.n_server_names, arg);
	case OPT_TEMPLATE:
		a->o.template_name = arg;
		return 0;
	case OPT_EAB:
		if (strcmp(arg, "required") && strcmp(arg, "optional"))
			return cli_usage_error("--eab '%s': required or optional", printable(arg)),
			       EINVAL;
		a->o.eab_required = !strcmp(arg, "required");
		return 0;
	case OPT_HTTP01_PORT:
		if (parse_long(arg, "--http01-port", 1, 65535, &n))
			return EINVAL;
		a->o.http01_port = n;
		return 0;
	case OPT_TLSALPN01_PORT:
		if (parse_long(arg, "--tlsalpn01-port", 1, 65535, &n))
			return EINVAL;
		a->o.tlsalpn01_port = n;
		return 0;
	case OPT_VALIDATION_TIMEOUT:
		if (parse_long(arg, "--validation-timeout", 1, 300, &n))
			return EINVAL;
		a->o.validation_timeout = n;
		return 0;
	case OPT_REQUEST_TIMEOUT:
		return limit(arg, "--request-timeout", 1, 300, &a->o.request_timeout);
	case OPT_MAX_CONNECTIONS:
		return limit(arg, "--max-connections", 1, 1000000, &a->o.max_connections);
	case OPT_MAX_PER_ADDRESS:
		return limit(arg, "--max-connections-per-address", 1, 1000000, &a->o.max_per_address);
	case OPT_MAX_VALIDATIONS:
		return limit(arg, "--max-validations", 1, 10000, &a->o.max_validations);
	case OPT_MAX_VALIDATIONS_ACCOUNT:
		return limit(arg, "--max-validations-per-account", 1, 10000,
			     &a->o.max_validations_per_account);
	case OPT_MAX_PENDING_AUTHZ:
		return limit(arg, "--max-pending-authz", 1, 1000000, &a->o.max_pending_authz);
	case OPT_RESOLVER:
		if (!acme_resolver_ok(arg))
			return cli_usage_error("--resolver '%s': give an IPv4 ADDRESS[:PORT] (for "
					       "example 127.0.0.1:53)",
					       printable(arg)),
			       EINVAL;
		a->o.resolver = arg;
		return 0;
	case OPT_FRONT_USER:
		a->o.front_user = arg;
		return 0;
	case OPT_SIGN_BUDGET:
		if (parse_long(arg, "--sign-budget", 0, 1000000, &n))
			return EINVAL;
		a->o.sign_budget = n;
		return 0;
	case OPT_PID_FILE:
		a->o.pid_file = arg;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->o.n_listen)
			return cli_usage_error("give --listen ADDR:PORT (for example "
					       "127.0.0.1:8443)"),
			       EINVAL;
		if (a->o.n_listen > 16)
			return cli_usage_error("at most 16 --listen"), EINVAL;
		if (a->force && !a->systemd_dir)
			return cli_usage_error("--force is for --systemd"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = {COMMON_CHILD, {0}};
static const struct argp argp = {
	options, parse, NULL,
	"Serve ACME (RFC 8555) over HTTPS, backed by this store.\v"
	"The directory is https://HOST:PORT/acme/directory. The server's own certificate comes "
	"from the store's CA (localhost, each --listen address, each --server-name) and is "
	"renewed by the server. The CA passphrase is read once at start: --pass-file, "
	"$MINICA_PASS_FILE, or systemd's $CREDENTIALS_DIRECTORY/minica-pass. SIGTERM finishes "
	"the requests in flight and exits 0; SIGHUP reads the templates again. Accounts come "
	"from 'minica acme account add'.\n\n"
	"Examples:\n  minica serve --listen 0.0.0.0:8443 --server-name ca.corp.example\n"
	"  wacs.exe --baseuri https://ca.corp.example:8443/acme/directory ...",
	children, NULL, NULL};

/* systemd's LoadCredential=minica-pass:... when no other passphrase source was given */
static char *credentials_pass_file(void)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char *path;

	if (g_opts.pass_file || (getenv("MINICA_PASS_FILE") && *getenv("MINICA_PASS_FILE")) ||
	    !dir || !*dir)
		return NULL;
	path = path_join(dir, "minica-pass");
	if (path && access(path, R_OK) != 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* descriptors beyond the connections: the store, validations, threads, the unit's margin */
#define SERVE_FD_RESERVE 1024

static int low_port(const struct acme_server_options *o)
{
	size_t i;

	for (i = 0; i < o->n_listen; i++) {
		const char *colon = strrchr(o->listen[i], ':');

		if (colon && atol(colon + 1) < 1024)
			return 1;
	}
	return 0;
}

/* --systemd: the unit that runs this very command, paths made absolute. */
static int write_unit(struct serve_args *a, store *st)
{
	struct acme_unit u = {0};
	const char *pass = g_opts.pass_file && *g_opts.pass_file ? g_opts.pass_file
								: getenv("MINICA_PASS_FILE");
	char *exe = realpath("/proc/self/exe", NULL), *dir = realpath(store_path(st), NULL);
	const char *pin = g_opts.pin_file && *g_opts.pin_file ? g_opts.pin_file
							      : getenv("MINICA_PIN_FILE");
	char *pass_abs = NULL, *pin_abs = NULL, **words = NULL;
	struct ca ca = {0};
	size_t i;
	int rc;

	if (!exe || !dir || !(words = calloc(a->n_words + 4, sizeof(char *)))) {
		rc = fail(EX_OSERR, "cannot find this program or the store: %s", strerror(errno));
		goto out;
	}
	if ((rc = ca_load(st, &ca)))
		goto out;
	if (ca.key_protected && !ca.key_uri) { /* a token's key needs its PIN, not a passphrase */
		if (!pass || !*pass) {
			rc = fail(EX_USAGE, "--systemd: give --pass-file FILE (a root-only file the "
					    "unit loads as its credential minica-pass)");
			goto out;
		}
		if (!(pass_abs = realpath(pass, NULL))) {
			rc = fail(EX_NOINPUT, "passphrase file %s: %s", pass, strerror(errno));
			goto out;
		}
	}
	if (ca.key_uri) {
		/* the token's PIN, handed over as a credential like the passphrase */
		if (!pin || !*pin) {
			rc = fail(EX_USAGE, "--systemd: the CA key is on a token: give --pin-file FILE (a "
					    "root-only file the unit loads as its credential minica-pin)");
			goto out;
		}
		if (!(pin_abs = realpath(pin, NULL))) {
			rc = fail(EX_NOINPUT, "PIN file %s: %s", pin, strerror(errno));
			goto out;
		}
	}
	words[0] = exe;
	words[1] = (char *)"--store";
	words[2] = dir;
	words[3] = (char *)"serve";
	for (i = 0; i < a->n_words; i++)
		words[4 + i] = a->words[i];
	u.dir = a->systemd_dir;
	u.force = a->force;
	u.store = dir;
	u.pass_file = pass_abs;
	u.pin_file = pin_abs;
	u.words = words;
	u.n_words = a->n_words + 4;
	u.low_port = low_port(&a->o);
	u.open_files = a->o.max_connections + SERVE_FD_RESERVE;
	/* SIGTERM waits for validations up to their deadline, then for the last replies */
	u.stop_seconds = (a->o.validation_timeout > 0 ? a->o.validation_timeout : 10) + 20;
	rc = acme_unit_write(&u);
out:
	ca_release(&ca);
	free(words);
	free(exe);
	free(dir);
	free(pass_abs);
	free(pin_abs);
	return rc;
}

/* The template every finalize would use, read now: a typo is said at start (66), not by every finalize. */
static int template_check(const char *name)
{
	struct template *tpl = NULL;
	int rc = template_load(name ? name : TEMPLATE_DEFAULT, &tpl);

	template_free(tpl);
	return rc;
}

/*
 * One server per store (two would each renew their own TLS certificate and
 * keep their own nonces, and an admin who thought the first had stopped
 * would wonder which answers), and --pid-file held the same way: both for
 * the server's life, the pid file removed at exit.
 */
static int serve_locked(store *st, const struct acme_server_options *o)
{
	char *lock = path_join(store_path(st), "serve.lock");
	int lock_fd = -1, pid_fd = -1, rc;

	if (!lock)
		return fail(EX_OSERR, "out of memory");
	if ((rc = pidlock_take(lock, "another 'minica serve' runs on this store: stop it first",
			       &lock_fd)) ||
	    (o->pid_file && (rc = pidlock_take(o->pid_file, "another 'minica serve' wrote it: give "
							    "this one its own --pid-file",
					       &pid_fd))))
		goto out;
	rc = acme_serve(st, o);
out:
	pidlock_release(o->pid_file, pid_fd, 1);
	pidlock_release(lock, lock_fd, 0);
	free(lock);
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a = {0};
	store *st = NULL;
	char *cred = NULL;
	const char *front;
	int rc;

	a.o.eab_required = 1;
	a.o.http01_port = 80;
	a.o.tlsalpn01_port = 443;
	a.o.request_timeout = 10;
	a.o.max_connections = 4096;
	a.o.max_per_address = 64;
	a.o.sign_budget = 300;
	a.o.max_validations = 64;
	a.o.max_validations_per_account = 16;
	a.o.max_pending_authz = 300;
	if ((rc = cli_parse(&argp, argc, argv, "serve", &a)))
		goto out;
	if ((front = getenv(ACME_FRONT_ENV))) {
		/* started by the signer: the network side, which never opens the store */
		long fd;

		if (parse_long(front, ACME_FRONT_ENV, 3, 1024, &fd)) {
			rc = EX_USAGE;
			goto out;
		}
		unsetenv(ACME_FRONT_ENV);
		rc = acme_front(&a.o, (int)fd, store_dir());
		goto out;
	}
	if ((cred = credentials_pass_file()))
		g_opts.pass_file = cred;
	if ((rc = store_open(store_dir(), &st)) || (rc = template_check(a.o.template_name)))
		goto out;
	rc = a.systemd_dir ? write_unit(&a, st) : serve_locked(st, &a.o);
out:
	for (size_t i = 0; i < a.n_words; i++)
		free(a.words[i]);
	free(a.words);
	store_close(st);
	free(cred);
	free(a.o.listen);
	free(a.o.server_names);
	return rc;
}
