/*
 * minica export: write a stored certificate again: PEM files (with the key
 * when the store kept it) and/or a PFX. The key is decrypted with the CA's
 * key, so this asks for the CA passphrase when a key is involved.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "issue/issue.h"

enum {
	OPT_SERIAL = 0x100,
	OPT_HOST,
	OPT_PFX,
	OPT_PFX_PASS_FILE,
	OPT_LEGACY,
	OPT_MODERN,
	OPT_PEM,
	OPT_FORCE,
};

struct export_args {
	const char *serial, *host, *pfx, *pfx_pass_file, *pem_dir;
	enum pfx_mode mode;
	int force;
};

static const struct argp_option options[] = {
	{"serial", OPT_SERIAL, "SERIAL", 0, "The certificate with this serial", 1},
	{"host", OPT_HOST, "NAME", 0, "The valid certificate for NAME that expires last", 1},
	{"pfx", OPT_PFX, "FILE", 0, "Write a PFX (needs the kept key)", 2},
	{"pfx-pass-file", OPT_PFX_PASS_FILE, "FILE", 0,
	 "PFX password: first line of FILE (default: generated, saved as FILE-password)", 2},
	{"legacy", OPT_LEGACY, NULL, 0, "PFX with 3DES and a SHA-1 MAC (default; every Windows)", 2},
	{"modern", OPT_MODERN, NULL, 0, "PFX with AES-256 and a SHA-256 MAC (Server 2019+)", 2},
	{"pem", OPT_PEM, "DIR", 0, "Write NAME.crt, NAME.chain.pem and NAME.key into DIR", 3},
	{"force", OPT_FORCE, NULL, 0, "Replace existing files", 3},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct export_args *a = state->input;

	switch (key) {
	case OPT_SERIAL:
		a->serial = arg;
		return 0;
	case OPT_HOST:
		a->host = arg;
		return 0;
	case OPT_PFX:
		a->pfx = arg;
		return 0;
	case OPT_PFX_PASS_FILE:
		a->pfx_pass_file = arg;
		return 0;
	case OPT_LEGACY:
		a->mode = PFX_LEGACY;
		return 0;
	case OPT_MODERN:
		a->mode = PFX_MODERN;
		return 0;
	case OPT_PEM:
		a->pem_dir = arg;
		return 0;
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->serial == !a->host)
			return cli_usage_error("give --serial SERIAL or --host NAME"), EINVAL;
		if (!a->pfx && !a->pem_dir)
			return cli_usage_error("nothing to write: give --pfx FILE and/or --pem DIR"),
			       EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Export a stored certificate again.\v"
	"Examples:\n  minica export --host mail-hub1 --pfx mail-hub1.pfx\n"
	"  minica export --serial 4F3A... --pem /etc/postfix/tls",
	cli_children, NULL, NULL};

static char *password_path(const char *pfx)
{
	size_t len = strlen(pfx) + 10;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, "%s-password", pfx);
	return p;
}

int cmd_export(int argc, char **argv)
{
	struct export_args a = {0};
	struct store_record *rec = NULL;
	struct leaf_files files = {0};
	struct ca ca = {0};
	store *st = NULL;
	X509 *leaf = NULL;
	EVP_PKEY *key = NULL;
	unsigned char *pfx = NULL;
	char *pass = NULL, *pw_path = NULL, generated[PFX_PASSWORD_LEN + 1] = "";
	char base[HOST_MAX + 16], serial[2 * STORE_SERIAL_LEN + 1];
	size_t pfx_len = 0, passlen = 0;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "export", &a)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)) ||
	    (rc = record_lookup(st, a.serial, a.host, &rec)))
		goto out;
	serial_hex(rec->serial, serial);
	if (x509_from_der(rec->cert, rec->cert_len, &leaf) != 0) {
		rc = fail(EX_IOERR, "certificate %s: the stored certificate is damaged", serial);
		goto out;
	}
	if (a.pfx && !rec->key) {
		rc = fail(EX_NOINPUT, "certificate %s: its private key is not in the store (it was "
				      "signed from a CSR, so the key stayed on the server that made "
				      "the request); export --pem instead",
			  serial);
		goto out;
	}
	if (host_file_name(rec->hosts[0], base, sizeof(base)) != 0) {
		rc = fail(EX_DATAERR, "host name too long for a file name");
		goto out;
	}
	/* plan every output before any secret is touched */
	if (a.pem_dir) {
		files.dir = a.pem_dir;
		files.base = base;
		files.force = a.force;
		files.want_key = rec->key != NULL;
		if ((rc = leaf_files_plan(&files)))
			goto out;
	}
	if (a.pfx) {
		if ((rc = out_check_absent(a.pfx, a.force)))
			goto out;
		if (!a.pfx_pass_file) {
			pw_path = password_path(a.pfx);
			if (!pw_path) {
				rc = fail(EX_OSERR, "out of memory");
				goto out;
			}
			if ((rc = out_check_absent(pw_path, a.force)))
				goto out;
		} else if ((rc = pass_read_file(a.pfx_pass_file, "PFX password file", &pass,
						&passlen))) {
			goto out;
		}
	}
	if (rec->key && ((rc = ca_unlock(&ca)) ||
			 (rc = ca_unwrap_leaf_key(&ca, rec->key, rec->key_len, &key))))
		goto out;
	if (a.pfx) {
		enum pfx_mode mode = a.mode ? a.mode : PFX_LEGACY;

		if (!pass && (rc = pfx_password_generate(generated)))
			goto out;
		if ((rc = pfx_build(key, leaf, ca.cert, rec->hosts[0],
				    "Microsoft RSA SChannel Cryptographic Provider", mode,
				    pass ? pass : generated, &pfx, &pfx_len)))
			goto out;
		if (pw_path) {
			char line[PFX_PASSWORD_LEN + 2];

			snprintf(line, sizeof(line), "%s\n", generated);
			rc = out_write_atomic(pw_path, line, strlen(line), 0600, a.force);
			OPENSSL_cleanse(line, sizeof(line));
			if (rc)
				goto out;
		}
		if ((rc = out_write_atomic(a.pfx, pfx, pfx_len, 0600, a.force)))
			goto out;
		if (!g_opts.json)
			printf("wrote %s: %s%s%s\n", a.pfx, pfx_mode_describe(mode),
			       pw_path ? ", password in " : "", pw_path ? pw_path : "");
	}
	if (a.pem_dir) {
		if ((rc = leaf_files_write(&files, leaf, ca.cert, key, NULL, 0, NULL)))
			goto out;
		if (!g_opts.json)
			printf("wrote %s, %s%s%s\n", files.crt, files.chain, files.key ? ", " : "",
			       files.key ? files.key : "");
		if (!rec->key)
			notice("certificate %s: no key in the store (signed from a CSR); wrote the "
			       "certificate and chain only",
			       serial);
	}
	if (g_opts.json) {
		json_t *o = json_object(), *f = json_object();
		const char *paths[] = {files.crt, files.key, files.chain, a.pfx, pw_path};
		const char *labels[] = {"crt", "key", "chain", "pfx", "pfx_password"};
		size_t i;

		for (i = 0; i < 5; i++)
			if (paths[i])
				json_object_set_new(f, labels[i], json_string(paths[i]));
		json_object_set_new(o, "serial", json_string(serial));
		json_object_set_new(o, "pfx", json_string(!a.pfx ? "none"
							  : a.mode == PFX_MODERN ? "modern" : "legacy"));
		json_object_set_new(o, "files", f);
		rc = json_emit(o);
	}
out:
	OPENSSL_cleanse(generated, sizeof(generated));
	if (pfx)
		OPENSSL_clear_free(pfx, pfx_len);
	pass_free(pass, passlen);
	free(pw_path);
	leaf_files_release(&files);
	EVP_PKEY_free(key);
	X509_free(leaf);
	store_record_free(rec);
	ca_release(&ca);
	store_close(st);
	return rc;
}
