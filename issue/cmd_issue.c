/*
 * minica issue: a new key and certificate per subject, from a template,
 * with the files of SPEC section 4 and the PowerShell to install them.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exchange/exchange.h"
#include "issue.h"
#include "minica.h"

enum {
	OPT_HOST = 0x100,
	OPT_HOSTS_FILE,
	OPT_TEMPLATE,
	OPT_DAYS,
	OPT_OUT,
	OPT_PFX,
	OPT_NO_PFX,
	OPT_LEGACY,
	OPT_MODERN,
	OPT_PFX_PASS_FILE,
	OPT_FORCE,
	OPT_KEY,
};

struct issue_args {
	char **hosts;
	size_t n_hosts;
	const char *hosts_file;
	const char *template_name;
	long days;
	const char *out_dir;
	int pfx;      /* -1: the template decides */
	int pfx_mode; /* 0: the template decides */
	const char *pfx_pass_file;
	int force;
	const char *key;
};

static const struct argp_option options[] = {
	{"host", OPT_HOST, "NAME", 0,
	 "Host name or IP address; repeat for more names (the first is the CN)", 1},
	{"hosts-file", OPT_HOSTS_FILE, "FILE", 0,
	 "One certificate per line: 'host [extra-host...]' ('#' starts a comment)", 1},
	{"template", OPT_TEMPLATE, "NAME", 0, "Template (default smtp-transport)", 2},
	{"days", OPT_DAYS, "N", 0, "Validity in days (default: the template's)", 2},
	{"key", OPT_KEY, "TYPE", 0, "Key type instead of the template's: rsa:2048|rsa:3072|"
				    "rsa:4096|ec:P-256|ec:P-384", 2},
	{"out", OPT_OUT, "DIR", 0, "Directory for the files (default: current directory)", 3},
	{"force", OPT_FORCE, NULL, 0, "Replace existing files", 3},
	{"pfx", OPT_PFX, NULL, 0, "Write NAME.pfx (default: as the template says)", 4},
	{"no-pfx", OPT_NO_PFX, NULL, 0, "Do not write a PFX", 4},
	{"legacy", OPT_LEGACY, NULL, 0, "PFX with 3DES and a SHA-1 MAC (every Windows)", 4},
	{"modern", OPT_MODERN, NULL, 0, "PFX with AES-256 and a SHA-256 MAC (Server 2019+)", 4},
	{"pfx-pass-file", OPT_PFX_PASS_FILE, "FILE", 0,
	 "PFX password: first line of FILE (default: generated, saved as NAME.pfx-password)", 4},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct issue_args *a = state->input;
	char **grown;

	switch (key) {
	case OPT_HOST:
		grown = realloc(a->hosts, (a->n_hosts + 1) * sizeof(char *));
		if (!grown)
			return ENOMEM;
		a->hosts = grown;
		a->hosts[a->n_hosts++] = arg;
		return 0;
	case OPT_HOSTS_FILE:
		a->hosts_file = arg;
		return 0;
	case OPT_TEMPLATE:
		a->template_name = arg;
		return 0;
	case OPT_DAYS:
		return parse_long(arg, "--days", 1, DAYS_MAX, &a->days) ? EINVAL : 0;
	case OPT_KEY: {
		struct keyspec ks;

		if (keyspec_parse(arg, &ks))
			return cli_usage_error("--key '%s': not a supported key type (rsa:2048, "
					       "rsa:3072, rsa:4096, ec:P-256, ec:P-384)",
					       printable(arg)),
			       EINVAL;
		a->key = arg;
		return 0;
	}
	case OPT_OUT:
		a->out_dir = arg;
		return 0;
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case OPT_PFX:
		a->pfx = 1;
		return 0;
	case OPT_NO_PFX:
		a->pfx = 0;
		return 0;
	case OPT_LEGACY:
		a->pfx_mode = PFX_LEGACY;
		return 0;
	case OPT_MODERN:
		a->pfx_mode = PFX_MODERN;
		return 0;
	case OPT_PFX_PASS_FILE:
		a->pfx_pass_file = arg;
		return 0;
	case ARGP_KEY_ARG:
		return cli_usage_error("unexpected argument '%s'", printable(arg)), EINVAL;
	case ARGP_KEY_END:
		if (!a->n_hosts && !a->hosts_file)
			return cli_usage_error("give --host NAME or --hosts-file FILE"), EINVAL;
		if (a->n_hosts && a->hosts_file)
			return cli_usage_error("--host and --hosts-file cannot be combined"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = {COMMON_CHILD, {0}};
static const struct argp argp = {
	options, parse, NULL,
	"Issue a new key and certificate for a host.\v"
	"Writes NAME.crt, NAME.key, NAME.chain.pem and, when the template asks for one, "
	"NAME.pfx with NAME.pfx-password. A short name also gets NAME.<domain> when the store "
	"has a default domain.\n\nExample:\n  minica issue --host mail-hub1 --out /tmp/certs",
	children, NULL, NULL};

/* Everything shared by the subjects of one run. */
struct issue_run {
	struct issue_args *args;
	struct template *tpl;
	store *st;
	struct ca ca;
	struct keyspec key;
	enum pfx_mode pfx;
	char *pfx_pass; /* from --pfx-pass-file, else NULL */
	size_t pfx_pass_len;
	json_t *json;   /* array of results with --json */
	int issued;
};

struct insert_ctx {
	const struct store_record *rec;
	const char *detail;
};

static int insert_fn(store_txn *txn, void *vctx)
{
	struct insert_ctx *ctx = vctx;
	struct store_audit a = {0};
	int rc;

	if ((rc = store_txn_insert(txn, ctx->rec)))
		return rc;
	a.action = (char *)"issue";
	a.detail = (char *)ctx->detail;
	a.has_serial = 1;
	memcpy(a.serial, ctx->rec->serial, STORE_SERIAL_LEN);
	return store_txn_audit(txn, &a);
}

static void report(struct issue_run *run, X509 *leaf, const struct hostlist *hosts,
		   struct leaf_files *files, EVP_PKEY *key)
{
	char thumb[THUMBPRINT_HEX], serial[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF], kd[32];
	unsigned char sbin[STORE_SERIAL_LEN];
	int64_t nb = 0, na = 0;
	const char *paths[] = {files->crt, files->key, files->chain, files->pfx, files->pfx_password};
	const char *labels[] = {"crt", "key", "chain", "pfx", "pfx_password"};
	size_t i;

	x509_thumbprint(leaf, thumb);
	serial_get(leaf, sbin);
	serial_hex(sbin, serial);
	x509_times(leaf, &nb, &na);
	key_describe(key, kd);
	if (run->json) {
		json_t *o = json_object(), *names = json_array(), *f = json_object();

		for (i = 0; i < hosts->n; i++)
			json_array_append_new(names, json_string(hosts->names[i]));
		for (i = 0; i < 5; i++)
			if (paths[i])
				json_object_set_new(f, labels[i], json_string(paths[i]));
		json_object_set_new(o, "serial", json_string(serial));
		json_object_set_new(o, "thumbprint", json_string(thumb));
		json_object_set_new(o, "not_after", json_string(fmt_time_iso(na, when)));
		json_object_set_new(o, "days", json_integer(days_left(na, now_utc())));
		json_object_set_new(o, "names", names);
		json_object_set_new(o, "template", json_string(run->tpl->name));
		json_object_set_new(o, "key", json_string(kd));
		json_object_set_new(o, "pfx", json_string(files->pfx ? (run->pfx == PFX_MODERN
									? "modern" : "legacy")
								     : "none"));
		json_object_set_new(o, "files", f);
		json_array_append_new(run->json, o);
		return;
	}
	printf("Issued %s (template %s)\n", hosts->names[0], run->tpl->name);
	printf("  serial      %s\n", serial);
	printf("  thumbprint  %s\n", thumb);
	printf("  not after   %s (%ld days)\n", fmt_time(na, when), days_left(na, now_utc()));
	printf("  names       ");
	for (i = 0; i < hosts->n; i++)
		printf("%s%s", i ? ", " : "", hosts->names[i]);
	printf("\n  key         %s\n", kd);
	if (files->pfx)
		printf("  pfx         %s\n", pfx_mode_describe(run->pfx));
	for (i = 0; i < 5; i++)
		if (paths[i])
			printf("  %-11s %s\n", i == 0 ? "files" : "", paths[i]);
	if (g_opts.quiet)
		return;
	if (files->pfx) {
		const char *slash = strrchr(files->pfx, '/');

		exchange_print_install(stdout, slash ? slash + 1 : files->pfx, thumb);
	}
	printf("\nPostfix (main.cf):\n  smtpd_tls_chain_files = %s, %s\n", files->key ? files->key : "KEY",
	       files->chain);
}

static int issue_one(struct issue_run *run, char *const *names, size_t n_names)
{
	struct issue_args *a = run->args;
	struct hostlist hosts = {0};
	struct leaf_files files = {0};
	struct leaf_spec spec = {0};
	struct store_record rec = {0};
	struct insert_ctx ictx;
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	unsigned char *pfx = NULL;
	size_t pfx_len = 0, i;
	char base[HOST_MAX + 16], password[PFX_PASSWORD_LEN + 1] = "", detail[1024];
	const char *pass;
	size_t used;
	int rc;

	rec.revoke_reason = -1;
	if ((rc = hosts_resolve(names, n_names, &run->ca, run->tpl->wildcard, &hosts)))
		goto out;
	if (host_file_name(hosts.names[0], base, sizeof(base)) != 0) {
		rc = fail(EX_DATAERR, "host name '%s' is too long for a file name", hosts.names[0]);
		goto out;
	}
	files.dir = a->out_dir ? a->out_dir : ".";
	files.base = base;
	files.force = a->force;
	files.want_key = 1;
	files.want_pfx = run->pfx != PFX_NONE;
	files.want_password = run->pfx_pass == NULL;
	if ((rc = leaf_files_plan(&files)) || (rc = ca_unlock(&run->ca)))
		goto out;
	/* slow work (key generation, signing, PFX) before the write transaction */
	if ((rc = keyspec_generate(&run->key, &key)) || (rc = serial_random(spec.serial)))
		goto out;
	spec.hosts = &hosts;
	spec.tpl = run->tpl;
	spec.days = a->days;
	spec.key = key;
	if ((rc = leaf_build(&run->ca, &spec, &leaf)) ||
	    (rc = leaf_record(&run->ca, run->tpl, leaf, &hosts, &rec)) ||
	    (rc = ca_wrap_leaf_key(&run->ca, key, &rec.key, &rec.key_len)))
		goto out;
	if (files.want_pfx) {
		if (!run->pfx_pass && (rc = pfx_password_generate(password)))
			goto out;
		pass = run->pfx_pass ? run->pfx_pass : password;
		if ((rc = pfx_build(key, leaf, run->ca.cert, hosts.names[0], run->tpl->pfx_csp,
				    run->pfx, pass, &pfx, &pfx_len)))
			goto out;
	}
	used = (size_t)snprintf(detail, sizeof(detail), "template=%s hosts=", run->tpl->name);
	for (i = 0; i < hosts.n && used < sizeof(detail); i++)
		used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s%s", i ? "," : "",
					 hosts.names[i]);
	ictx.rec = &rec;
	ictx.detail = detail;
	if ((rc = store_write(run->st, insert_fn, &ictx)))
		goto out;
	run->issued++;
	rc = leaf_files_write(&files, leaf, run->ca.cert, key, pfx, pfx_len,
			      run->pfx_pass ? NULL : password);
	if (rc) {
		char serial[2 * STORE_SERIAL_LEN + 1];

		serial_hex(rec.serial, serial);
		fail(rc, "%s: the certificate is stored (serial %s) but its files are incomplete; "
			 "write them again with 'minica export --serial %s --pem DIR --pfx FILE'",
		     hosts.names[0], serial, serial);
		goto out;
	}
	report(run, leaf, &hosts, &files, key);
out:
	OPENSSL_cleanse(password, sizeof(password));
	if (pfx)
		OPENSSL_clear_free(pfx, pfx_len);
	free(rec.cert);
	for (i = 0; i < rec.n_hosts; i++)
		free(rec.hosts[i]);
	free(rec.hosts);
	free(rec.template_name);
	secret_free(rec.key, rec.key_len);
	X509_free(leaf);
	EVP_PKEY_free(key);
	leaf_files_release(&files);
	hostlist_free(&hosts);
	return rc;
}

/* --hosts-file: "host [extra-host...]" per line, '#' comments, blank lines skipped. */
static int issue_from_file(struct issue_run *run)
{
	FILE *f = fopen(run->args->hosts_file, "r");
	char *line = NULL, *names[64];
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;

	if (!f)
		return fail(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "hosts file %s: %s",
			    run->args->hosts_file, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *tok, *hash = strchr(line, '#');
		size_t n = 0;

		lineno++;
		if (hash)
			*hash = '\0';
		for (tok = strtok_r(line, " \t\r\n,", &save); tok && n < 64;
		     tok = strtok_r(NULL, " \t\r\n,", &save))
			names[n++] = tok;
		if (n == 0)
			continue;
		if ((rc = issue_one(run, names, n))) {
			fail(rc, "hosts file %s line %ld: stopped here; %d certificates were issued "
				 "before it",
			     run->args->hosts_file, lineno, run->issued);
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

int cmd_issue(int argc, char **argv)
{
	struct issue_args a = {.pfx = -1};
	struct issue_run run = {0};
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "issue", &a)))
		goto out;
	run.args = &a;
	if ((rc = template_load(a.template_name ? a.template_name : TEMPLATE_DEFAULT, &run.tpl)))
		goto out;
	run.key = run.tpl->key;
	if (a.key)
		keyspec_parse(a.key, &run.key);
	run.pfx = a.pfx == 0 ? PFX_NONE : run.tpl->pfx;
	if (run.pfx == PFX_NONE && a.pfx == 1)
		run.pfx = PFX_LEGACY;
	if (run.pfx != PFX_NONE && a.pfx_mode)
		run.pfx = (enum pfx_mode)a.pfx_mode;
	if (run.tpl->sha1)
		warning("template %s signs with SHA-1: only for Exchange 2007 on Windows Server 2003 "
			"without KB938397; every modern client rejects it",
			run.tpl->name);
	if ((rc = store_open(store_dir(), &run.st)) || (rc = ca_load(run.st, &run.ca)))
		goto out;
	if (a.pfx_pass_file && run.pfx != PFX_NONE &&
	    (rc = pass_read_file(a.pfx_pass_file, "PFX password file", &run.pfx_pass,
				 &run.pfx_pass_len)))
		goto out;
	if (g_opts.json)
		run.json = json_array();
	if (a.hosts_file)
		rc = issue_from_file(&run);
	else
		rc = issue_one(&run, a.hosts, a.n_hosts);
	if (run.json && json_array_size(run.json) > 0) {
		json_t *result = a.hosts_file ? json_incref(run.json)
					      : json_incref(json_array_get(run.json, 0));
		int jrc = json_emit(result);

		if (!rc)
			rc = jrc;
	}
out:
	json_decref(run.json);
	pass_free(run.pfx_pass, run.pfx_pass_len);
	ca_release(&run.ca);
	store_close(run.st);
	template_free(run.tpl);
	free(a.hosts);
	return rc;
}
