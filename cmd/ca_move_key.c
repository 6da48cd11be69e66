/*
 * minica ca move-key: put the store's CA key on a PKCS#11 token (imported
 * non-extractable and sensitive), prove it there with a signature that the
 * CA certificate verifies, then remove the software copy from the store
 * (ca/tokenkey.c). The copy is removed only when --backup names a 'store
 * backup' file that holds this very key: the token may break, and a backup
 * made before the move is the only software copy left.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/common.h"

enum { OPT_TO = 0x100, OPT_BACKUP };

struct move_args {
	const char *to, *backup;
};

static const struct argp_option options[] = {
	{"to", OPT_TO, "URI", 0, "The token and object name: 'pkcs11:token=minica;object=ca' "
				 "(RFC 7512; module from module-path=, else p11-kit's modules)", 0},
	{"backup", OPT_BACKUP, "FILE", 0,
	 "A 'minica store backup' file taken before the move: it must hold this store's CA key", 0},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct move_args *a = state->input;

	switch (key) {
	case OPT_TO:
		a->to = arg;
		return 0;
	case OPT_BACKUP:
		a->backup = arg;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->to)
			return cli_usage_error("give --to URI (the token and object name)"), EINVAL;
		if (!a->backup)
			return cli_usage_error("give --backup FILE: take 'minica store backup FILE' "
					       "first; the software copy of the key is removed"),
			       EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Move the CA key onto a PKCS#11 token; the store then keeps only its URI.\v"
	"Needs the passphrase and the token's PIN. The key is imported non-extractable, a "
	"signature by it is checked against the CA certificate, and only then is the software "
	"copy removed from the store; each step is in the audit log. The backup given is the "
	"last software copy: keep it offline (docs/token.md).\n\nExample:\n"
	"  minica store backup /media/offline/minica-before-token.mdb\n"
	"  minica ca move-key --to 'pkcs11:token=minica;object=ca' \\\n"
	"      --backup /media/offline/minica-before-token.mdb",
	cli_children, NULL, NULL};

int ca_move_key_cmd(int argc, char **argv)
{
	struct move_args a = {0};
	struct ca ca = {0};
	store *st = NULL;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "ca move-key", &a)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)) ||
	    (rc = ca_move_key(&ca, a.to, a.backup)))
		goto out;
	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "key_uri", json_string(a.to));
		json_object_set_new(o, "backup", json_string(a.backup));
		json_object_set_new(o, "software_copy", json_string("removed"));
		rc = json_emit(o);
	} else if (!g_opts.quiet) {
		printf("Moved the CA key to %s\n"
		       "  imported     non-extractable, sensitive\n"
		       "  proved       a signature by the token key verifies with the CA certificate\n"
		       "  removed      the software copy from store %s\n"
		       "  backup       %s holds the last software copy: keep it offline, or destroy "
		       "it to leave the token the only copy\n"
		       "From now on the token and its PIN sign; 'store backup' no longer holds the "
		       "key (docs/token.md).\n",
		       a.to, store_path(st), a.backup);
	}
out:
	ca_release(&ca);
	store_close(st);
	return rc;
}
