/*
 * minica sign: certificates for requests made elsewhere (Exchange's
 * New-ExchangeCertificate -GenerateRequest, openssl req), so the key never
 * leaves the server. A request only proposes names: each is checked like
 * --host, the subject is rebuilt from them, and the template decides every
 * extension. Several --csr in one call share one CA unlock (one passphrase
 * KDF) and one store transaction: the batch is stored whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "exchange/exchange.h"
#include "issue/issue.h"

enum {
	OPT_CSR = 0x100,
	OPT_TEMPLATE,
	OPT_DAYS,
	OPT_OUT,
	OPT_FORMAT,
	OPT_FORCE,
};

enum sign_format { FORMAT_UNSET = 0, FORMAT_PEM, FORMAT_DER, FORMAT_P7B };

static const char *const format_ext[] = {NULL, ".crt", ".cer", ".p7b"};
static const char *const format_name[] = {NULL, "pem", "der", "p7b"};
static const char *const format_what[] = {NULL, "PEM certificate", "DER certificate",
					  "PKCS#7: the certificate and the CA"};

struct sign_args {
	char **csrs;
	size_t n_csrs;
	const char *template_name;
	long days;
	const char *out;
	enum sign_format format;
	int force;
};

/* One request on its way to a certificate: the library's part, and the files. */
struct signing {
	struct csr_signing csr;
	const char *path;
	char label[200];
	char *out_path; /* NULL: standard output */
	unsigned char *data; /* the certificate in the chosen format */
	size_t len;
};

static const struct argp_option options[] = {
	{"csr", OPT_CSR, "FILE", 0,
	 "The request ('-' for standard input); repeat to sign several with one passphrase", 1},
	{"template", OPT_TEMPLATE, "NAME", 0, "Template (default smtp-transport)", 2},
	{"days", OPT_DAYS, "N", 0, "Validity in days (default: the template's)", 2},
	{"format", OPT_FORMAT, "FMT", 0,
	 "pem (default), der, or p7b (PKCS#7 with the CA, for Import-ExchangeCertificate)", 3},
	{"out", OPT_OUT, "FILE|DIR", 0,
	 "Write here instead of standard output; a directory gets NAME.crt/.cer/.p7b (needed "
	 "with several --csr)", 3},
	{"force", OPT_FORCE, NULL, 0, "Replace existing files", 3},
	{0}
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcasecmp(s + n - m, suffix);
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct sign_args *a = state->input;

	switch (key) {
	case OPT_CSR:
		return cli_list_add(&a->csrs, &a->n_csrs, arg);
	case OPT_TEMPLATE:
		a->template_name = arg;
		return 0;
	case OPT_DAYS:
		return parse_long(arg, "--days", 1, DAYS_MAX, &a->days) ? EINVAL : 0;
	case OPT_FORMAT:
		if (!strcasecmp(arg, "pem"))
			a->format = FORMAT_PEM;
		else if (!strcasecmp(arg, "der") || !strcasecmp(arg, "cer"))
			a->format = FORMAT_DER;
		else if (!strcasecmp(arg, "p7b") || !strcasecmp(arg, "pkcs7"))
			a->format = FORMAT_P7B;
		else
			return cli_usage_error("--format '%s': one of pem, der, p7b", printable(arg)),
			       EINVAL;
		return 0;
	case OPT_OUT:
		a->out = arg;
		return 0;
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case ARGP_KEY_ARG:
		return cli_usage_error("unexpected argument '%s' (requests are given with --csr)",
				       printable(arg)),
		       EINVAL;
	case ARGP_KEY_END:
		if (!a->n_csrs)
			return cli_usage_error("give --csr FILE"), EINVAL;
		if (a->out && !*a->out)
			return cli_usage_error("--out needs a file or directory name"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Sign certificate requests made on the servers themselves.\v"
	"Reads PEM (CERTIFICATE REQUEST or NEW CERTIFICATE REQUEST), bare base64 or DER, as "
	"UTF-8 or UTF-16 text. The names come from the request's CN and subjectAltName and are "
	"checked like --host; the subject is rebuilt from them and the template decides every "
	"extension. The store keeps no key for these certificates. Without --format, an --out "
	"file ending in .p7b or .p7c gets p7b and one ending in .cer or .der gets der.\n\n"
	"Examples:\n  minica sign --csr mail-hub1.req --format p7b --out mail-hub1.p7b\n"
	"  minica sign --csr hub1.req --csr hub2.req --csr edge1.req --format p7b --out certs/",
	cli_children, NULL, NULL};

/* ---- reading ---- */

static int read_request(struct signing *sg, unsigned char **data, size_t *len)
{
	int fd = -1, rc = 0, from_stdin = !strcmp(sg->path, "-");
	unsigned char *buf = NULL;
	size_t used = 0;
	struct stat st;
	ssize_t n;

	*data = NULL;
	*len = 0;
	fd = from_stdin ? STDIN_FILENO : open(sg->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = fail(errno == ENOENT || errno == ENOTDIR ? EX_NOINPUT : EX_NOPERM, "%s: %s",
			  sg->label, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = fail(EX_IOERR, "%s: %s", sg->label, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = fail(EX_NOINPUT, "%s: is a directory", sg->label);
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > CSR_MAX_BYTES) {
		rc = fail(EX_DATAERR, "%s: %lld bytes; a certificate request is at most %d KiB (is "
				      "this the right file?)",
			  sg->label, (long long)st.st_size, CSR_MAX_BYTES / 1024);
		goto out;
	}
	/* one byte more than allowed tells a stream that is too long */
	buf = malloc(CSR_MAX_BYTES + 1);
	if (!buf) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	while (used < CSR_MAX_BYTES + 1 && (n = read(fd, buf + used, CSR_MAX_BYTES + 1 - used))) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = fail(EX_IOERR, "%s: %s", sg->label, strerror(errno));
			goto out;
		}
		used += (size_t)n;
	}
	if (used > CSR_MAX_BYTES) {
		rc = fail(EX_DATAERR, "%s: more than %d KiB; a certificate request is at most that "
				      "(is this the right file?)",
			  sg->label, CSR_MAX_BYTES / 1024);
		goto out;
	}
	*data = buf;
	*len = used;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0 && !from_stdin)
		close(fd);
	return rc;
}

/* Read, decode, verify, apply the key policy and validate the names: nothing secret yet. */
static int prepare(struct signing *sg, const struct template *tpl, const struct ca *ca)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc;

	sg->csr.label = sg->label;
	sg->csr.source = sg->path;
	if ((rc = read_request(sg, &data, &len)) == 0)
		rc = csr_signing_prepare(&sg->csr, data, len, tpl, ca);
	free(data);
	return rc;
}

/* ---- output ---- */

static int encode(struct signing *sg, enum sign_format format, X509 *ca_cert)
{
	char *pem = NULL;
	int rc;

	switch (format) {
	case FORMAT_DER:
		return x509_to_der(sg->csr.leaf, &sg->data, &sg->len);
	case FORMAT_P7B:
		return p7b_build(sg->csr.leaf, ca_cert, &sg->data, &sg->len);
	default:
		rc = x509_to_pem(sg->csr.leaf, &pem, &sg->len);
		sg->data = (unsigned char *)pem;
		return rc;
	}
}

/* --out: a directory (NAME + extension per request) or one file; absent: standard output. */
static int plan_output(struct signing *all, size_t n, const struct sign_args *a,
		       enum sign_format format)
{
	struct stat st;
	int to_dir = a->out && stat(a->out, &st) == 0 && S_ISDIR(st.st_mode), rc;
	char base[HOST_MAX + 16], name[HOST_MAX + 32];
	size_t i, j;

	if (n > 1 && !to_dir)
		return a->out ? fail(EX_CANTCREAT, "--out %s: not a directory; with several --csr, "
						   "--out names an existing directory",
				     a->out)
			      : fail(EX_USAGE, "several --csr need --out DIR (one file per request)");
	if (!a->out)
		return 0;
	if (to_dir) {
		if ((rc = out_check_dir(a->out)))
			return rc;
	} else {
		char *copy = strdup(a->out);

		if (!copy)
			return fail(EX_OSERR, "out of memory");
		rc = out_check_dir(dirname(copy));
		free(copy);
		if (rc)
			return rc;
	}
	for (i = 0; i < n; i++) {
		if (!to_dir) {
			all[i].out_path = strdup(a->out);
		} else {
			if (host_file_name(all[i].csr.hosts.names[0], base, sizeof(base)) != 0)
				return fail(EX_DATAERR, "host name '%s' is too long for a file name",
					    all[i].csr.hosts.names[0]);
			snprintf(name, sizeof(name), "%s%s", base, format_ext[format]);
			all[i].out_path = path_join(a->out, name);
		}
		if (!all[i].out_path)
			return fail(EX_OSERR, "out of memory");
		for (j = 0; j < i; j++)
			if (!strcmp(all[j].out_path, all[i].out_path))
				return fail(EX_DATAERR, "%s and %s would both be written to %s (same "
							"first host name); sign them separately",
					    all[j].label, all[i].label, all[i].out_path);
		if ((rc = out_check_absent(all[i].out_path, a->force)))
			return rc;
	}
	return 0;
}

static int build(struct signing *sg, struct ca *ca, const struct template *tpl, long days,
		 enum sign_format format)
{
	int rc;

	if ((rc = csr_signing_build(&sg->csr, ca, tpl, days)))
		return rc;
	return encode(sg, format, ca->cert);
}

static void signing_release(struct signing *sg)
{
	csr_signing_release(&sg->csr);
	free(sg->out_path);
	free(sg->data);
}

/* ---- reporting ---- */

struct joined {
	char text[512];
	json_t *array;
};

static void join_item(const char *item, void *vctx)
{
	struct joined *j = vctx;
	size_t used = strlen(j->text);

	if (j->array)
		json_array_append_new(j->array, json_string(item));
	if (used + 1 < sizeof(j->text))
		snprintf(j->text + used, sizeof(j->text) - used, "%s%s", used ? ", " : "", item);
}

static json_t *report_json(const struct signing *sg, const char *tpl_name,
			   enum sign_format format)
{
	char thumb[THUMBPRINT_HEX], serial[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF], kd[32];
	json_t *o = json_object(), *names = json_array(), *ignored = json_array();
	struct joined j = {"", ignored};
	char *pem = NULL;
	size_t i, pem_len = 0;

	x509_thumbprint(sg->csr.leaf, thumb);
	serial_hex(sg->csr.rec.serial, serial);
	for (i = 0; i < sg->csr.hosts.n; i++)
		json_array_append_new(names, json_string(sg->csr.hosts.names[i]));
	csr_ignored(sg->csr.req, join_item, &j);
	json_object_set_new(o, "csr", json_string(sg->path));
	json_object_set_new(o, "serial", json_string(serial));
	json_object_set_new(o, "thumbprint", json_string(thumb));
	json_object_set_new(o, "not_after", json_string(fmt_time_iso(sg->csr.rec.not_after, when)));
	json_object_set_new(o, "days_left", json_integer(days_left(sg->csr.rec.not_after, now_utc())));
	json_object_set_new(o, "names", names);
	json_object_set_new(o, "template", json_string(tpl_name));
	json_object_set_new(o, "key", json_string(key_describe(X509_REQ_get0_pubkey(sg->csr.req), kd)));
	json_object_set_new(o, "ignored", ignored);
	json_object_set_new(o, "format", json_string(format_name[format]));
	if (sg->out_path)
		json_object_set_new(o, "file", json_string(sg->out_path));
	if (x509_to_pem(sg->csr.leaf, &pem, &pem_len) == 0)
		json_object_set_new(o, "pem", json_stringn(pem, pem_len));
	free(pem);
	if (!sg->out_path && format != FORMAT_PEM) {
		/* the file itself, as the certificate alone would not say which format was asked */
		unsigned char *b64 = malloc(4 * ((sg->len + 2) / 3) + 1);

		if (b64) {
			int n = EVP_EncodeBlock(b64, sg->data, (int)sg->len);

			json_object_set_new(o, "base64", json_stringn((char *)b64, (size_t)n));
		}
		free(b64);
	}
	return o;
}

static void report_text(const struct signing *sg, const char *tpl_name, enum sign_format format,
			int install_hint)
{
	char thumb[THUMBPRINT_HEX], serial[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF], kd[32];
	struct joined j = {"", NULL};
	const char *slash;
	size_t i;

	x509_thumbprint(sg->csr.leaf, thumb);
	serial_hex(sg->csr.rec.serial, serial);
	key_describe(X509_REQ_get0_pubkey(sg->csr.req), kd);
	csr_ignored(sg->csr.req, join_item, &j);
	if (!sg->out_path) {
		/* standard output carries the certificate: the summary goes to stderr */
		char names[512] = "";
		size_t used = 0;

		for (i = 0; i < sg->csr.hosts.n && used < sizeof(names); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 i ? ", " : "", sg->csr.hosts.names[i]);
		notice("signed %s (template %s): serial %s, thumbprint %s, not after %s, names %s",
		       sg->label, tpl_name, serial, thumb, fmt_time(sg->csr.rec.not_after, when), names);
		if (j.text[0])
			notice("%s: not taken from the request: %s (the template decides)", sg->label,
			       j.text);
		return;
	}
	printf("Signed %s (template %s) from %s\n", sg->csr.hosts.names[0], tpl_name, sg->path);
	printf("  serial      %s\n", serial);
	printf("  thumbprint  %s\n", thumb);
	printf("  not after   %s (%ld days)\n", fmt_time(sg->csr.rec.not_after, when),
	       days_left(sg->csr.rec.not_after, now_utc()));
	printf("  names       ");
	for (i = 0; i < sg->csr.hosts.n; i++)
		printf("%s%s", i ? ", " : "", sg->csr.hosts.names[i]);
	printf("\n  key         %s (stays on the server that made the request)\n", kd);
	if (j.text[0])
		printf("  ignored     %s (the template decides the subject and extensions)\n", j.text);
	printf("  file        %s (%s)\n", sg->out_path, format_what[format]);
	if (install_hint && !g_opts.quiet && format != FORMAT_PEM) {
		slash = strrchr(sg->out_path, '/');
		exchange_print_response_install(stdout, slash ? slash + 1 : sg->out_path, thumb);
	}
}

/* ---- the command ---- */

static int write_outputs(struct signing *all, size_t n, int force)
{
	char serial[2 * STORE_SERIAL_LEN + 1];
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (all[i].out_path)
			rc = out_write_atomic(all[i].out_path, all[i].data, all[i].len, 0644, force);
		else if (!g_opts.json && fwrite(all[i].data, 1, all[i].len, stdout) != all[i].len)
			rc = fail(EX_IOERR, "cannot write to standard output: %s", strerror(errno));
		if (rc) {
			serial_hex(all[i].csr.rec.serial, serial);
			fail(rc, "%s: the certificate is stored (serial %s) but was not written; write "
				 "it again with 'minica export --serial %s --pem DIR'",
			     all[i].label, serial, serial);
		}
	}
	return rc;
}

static enum sign_format pick_format(const struct sign_args *a)
{
	if (a->format != FORMAT_UNSET)
		return a->format;
	if (a->out && a->n_csrs == 1 && (ends_with(a->out, ".p7b") || ends_with(a->out, ".p7c")))
		return FORMAT_P7B;
	if (a->out && a->n_csrs == 1 && (ends_with(a->out, ".cer") || ends_with(a->out, ".der")))
		return FORMAT_DER;
	return FORMAT_PEM;
}

int cmd_sign(int argc, char **argv)
{
	struct sign_args a = {0};
	struct signing *all = NULL;
	struct csr_signing **ptrs = NULL;
	struct template *tpl = NULL;
	struct ca ca = {0};
	enum sign_format format;
	json_t *json = NULL;
	store *st = NULL;
	size_t i, n_stdin = 0;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "sign", &a)))
		goto out;
	format = pick_format(&a);
	for (i = 0; i < a.n_csrs; i++)
		n_stdin += !strcmp(a.csrs[i], "-");
	if (n_stdin > 1) {
		rc = cli_usage_error("--csr - (standard input) can be given only once");
		goto out;
	}
	if (!a.out && !g_opts.json && format != FORMAT_PEM && isatty(STDOUT_FILENO)) {
		rc = fail(EX_USAGE, "--format %s is binary: give --out FILE (for example %s)",
			  format_name[format], format == FORMAT_P7B ? "mail-hub1.p7b" : "mail-hub1.cer");
		goto out;
	}
	all = calloc(a.n_csrs, sizeof(*all));
	ptrs = calloc(a.n_csrs, sizeof(*ptrs));
	if (!all || !ptrs) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	/* the template first: a bad one fails before the store is opened */
	if ((rc = template_load(a.template_name ? a.template_name : TEMPLATE_DEFAULT, &tpl)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)))
		goto out;
	if (tpl->sha1)
		warning("template %s signs with SHA-1: only for Exchange 2007 on Windows Server 2003 "
			"without KB938397; every modern client rejects it",
			tpl->name);
	for (i = 0; i < a.n_csrs; i++) {
		all[i].path = a.csrs[i];
		snprintf(all[i].label, sizeof(all[i].label), "request %s",
			 strcmp(a.csrs[i], "-") ? printable(a.csrs[i]) : "(standard input)");
		if ((rc = prepare(&all[i], tpl, &ca)))
			goto out;
	}
	if ((rc = plan_output(all, a.n_csrs, &a, format)))
		goto out;
	/* one unlock (one passphrase KDF) for the whole batch */
	if ((rc = ca_unlock(&ca)))
		goto out;
	for (i = 0; i < a.n_csrs; i++)
		if ((rc = build(&all[i], &ca, tpl, a.days, format)))
			goto out;
	for (i = 0; i < a.n_csrs; i++)
		ptrs[i] = &all[i].csr;
	if ((rc = csr_signing_commit(st, ptrs, a.n_csrs)))
		goto out;
	rc = write_outputs(all, a.n_csrs, a.force);
	if (g_opts.json) {
		json = a.n_csrs > 1 ? json_array() : NULL;
		for (i = 0; i < a.n_csrs; i++) {
			json_t *o = report_json(&all[i], tpl->name, format);

			if (!json)
				json = o;
			else
				json_array_append_new(json, o);
		}
		if (rc == 0)
			rc = json_emit(json);
		else
			json_decref(json);
		json = NULL;
	} else if (rc == 0) {
		for (i = 0; i < a.n_csrs; i++) {
			hosts_note_qualified(&all[i].csr.hosts, &ca);
			report_text(&all[i], tpl->name, format, a.n_csrs == 1);
		}
	}
out:
	json_decref(json);
	for (i = 0; all && i < a.n_csrs; i++)
		signing_release(&all[i]);
	free(all);
	free(ptrs);
	template_free(tpl);
	ca_release(&ca);
	store_close(st);
	free(a.csrs);
	return rc;
}
