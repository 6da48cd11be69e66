/*
 * minica acme account add | list | disable: the accounts that may use
 * `minica serve`. `add` makes an external account binding (EAB) key: a key
 * id and an HMAC key that an ACME client (win-acme, certbot, lego) presents
 * once, when it registers, and the name suffixes its certificates may carry.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "cmd/cmd.h"
#include "common/common.h"

enum { OPT_NAMES = 0x100, OPT_TEMPLATE, OPT_COMMENT };

struct add_args {
	char **names;
	size_t n_names;
	const char *template_name;
	const char *comment;
};

static const struct argp_child children[] = {COMMON_CHILD, {0}};

static const struct argp_option add_options[] = {
	{"names", OPT_NAMES, "SUFFIX", 0,
	 "A DNS suffix the account may order names under (repeat, or separate with commas)", 1},
	{"template", OPT_TEMPLATE, "NAME", 0,
	 "Template of this account's certificates (default: the server's)", 2},
	{"comment", OPT_COMMENT, "TEXT", 0, "Who or what the account is for", 2},
	{0}};

static error_t add_parse(int key, char *arg, struct argp_state *state)
{
	struct add_args *a = state->input;
	char *tok, *save = NULL;

	switch (key) {
	case OPT_NAMES:
		for (tok = strtok_r(arg, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
			if (cli_list_add(&a->names, &a->n_names, tok))
				return ENOMEM;
		return 0;
	case OPT_TEMPLATE:
		a->template_name = arg;
		return 0;
	case OPT_COMMENT:
		if (strchr(arg, '\n') || strlen(arg) > 200)
			return cli_usage_error("--comment: one line of at most 200 characters"),
			       EINVAL;
		a->comment = arg;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->n_names)
			return cli_usage_error("give --names SUFFIX (the names the account may "
					       "order)"),
			       EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp add_argp = {
	add_options, add_parse, NULL,
	"Make an ACME account key (external account binding) for 'minica serve'.\v"
	"Prints the key id and the HMAC key (base64url) that the ACME client needs once, "
	"when it registers; the store keeps the HMAC key sealed under the CA key, so this "
	"asks for the CA passphrase. The account may then order only names under its "
	"--names suffixes (and inside the CA's name constraints).\n\n"
	"Examples:\n  minica acme account add --names corp.example --comment 'Exchange hubs'\n"
	"  wacs.exe --baseuri https://ca.corp.example:8443/acme/directory "
	"--eab-key-identifier KID --eab-key KEY",
	children, NULL, NULL};

/* Each suffix as a host name, inside the CA's name constraints; normalised in place. */
static int check_suffixes(struct add_args *a, const struct ca *ca, json_t *out)
{
	size_t i, j;
	int rc, is_ip, inside;

	for (i = 0; i < a->n_names; i++) {
		char *norm = NULL;
		const char *s = a->names[i][0] == '.' ? a->names[i] + 1 : a->names[i];

		if ((rc = host_check(s, 0, &norm, &is_ip)))
			return rc;
		if (is_ip) {
			free(norm);
			return fail(EX_DATAERR, "--names %s: an IP address is not a name suffix",
				    printable(a->names[i]));
		}
		inside = ca->n_permitted == 0;
		for (j = 0; j < ca->n_permitted; j++)
			inside |= acme_name_under(norm, ca->permitted[j]);
		if (!inside) {
			rc = fail(EX_DATAERR, "--names %s: outside the CA's name constraints; the "
					      "account could not get a certificate for it",
				  norm);
			free(norm);
			return rc;
		}
		json_array_append_new(out, json_string(norm));
		free(norm);
	}
	return 0;
}

struct add_ctx {
	const char *kid;
	json_t *obj;
	char detail[1024];
};

static int add_fn(store_txn *txn, void *vctx)
{
	struct add_ctx *c = vctx;
	struct store_audit a = {0};
	int rc;

	if ((rc = acme_obj_put(txn, KIND_EAB, c->kid, c->obj, 1)))
		return rc;
	a.action = (char *)"acme account add";
	a.detail = c->detail;
	return store_txn_audit(txn, &a);
}

/*
 * Without name constraints nothing refuses a typo such as corp.exmaple: a
 * suffix outside the store's domain is accepted, and said (as issue says
 * of such a host), once the account exists.
 */
static void warn_outside_domain(const struct ca *ca, json_t *names)
{
	json_t *v;
	size_t i;

	if (!ca->domain || ca->n_permitted)
		return;
	json_array_foreach(names, i, v) {
		const char *suffix = json_string_value(v);

		if (suffix && !acme_name_under(suffix, ca->domain))
			warning("--names %s is not under the store's domain %s: added all the "
				"same (a typo? 'minica acme account disable ID' withdraws it; a CA "
				"made with --permit-dns refuses such names)",
				suffix, ca->domain);
	}
}

static int account_add(int argc, char **argv)
{
	struct add_args a = {0};
	struct add_ctx c = {0};
	struct template *tpl = NULL;
	struct ca ca = {0};
	store *st = NULL;
	unsigned char key[EAB_KEY_LEN];
	char kid[ACME_ID_LEN + 1], *sealed = NULL, *hmac = NULL, *names_text = NULL;
	json_t *names = json_array();
	int rc;

	if ((rc = cli_parse(&add_argp, argc, argv, "acme account add", &a)))
		goto out;
	if (!names) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if (a.template_name && (rc = template_load(a.template_name, &tpl)))
		goto out;
	if ((rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)) ||
	    (rc = check_suffixes(&a, &ca, names)) || (rc = ca_unlock(&ca)) ||
	    (rc = store_acme_prepare(st)) || (rc = acme_id_new(kid)))
		goto out;
	if (acme_random_no_dash(key, sizeof(key)) != 0) {
		rc = fail(EX_SOFTWARE, "cannot make a random key");
		goto out;
	}
	if ((rc = eab_seal(&ca, kid, key, &sealed)) || !(hmac = b64url_encode(key, sizeof(key)))) {
		rc = rc ? rc : fail(EX_OSERR, "out of memory");
		goto out;
	}
	c.kid = kid;
	c.obj = json_pack("{s:s, s:s, s:O, s:s?, s:s?, s:s, s:I, s:n}", "kid", kid, "hmac_sealed",
			  sealed, "names", names, "template", a.template_name, "comment", a.comment,
			  "status", "valid", "created", (json_int_t)now_utc(), "account");
	names_text = json_dumps(names, JSON_COMPACT);
	if (!c.obj || !names_text) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	snprintf(c.detail, sizeof(c.detail), "kid=%s names=%s template=%s", kid, names_text,
		 a.template_name ? a.template_name : "(server's)");
	if ((rc = store_write(st, add_fn, &c)))
		goto out;
	warn_outside_domain(&ca, names);
	if (g_opts.json) {
		rc = json_emit(json_pack("{s:s, s:s, s:O, s:s?, s:s?}", "kid", kid, "hmac_key", hmac,
					 "names", names, "template", a.template_name, "comment",
					 a.comment));
		goto out;
	}
	printf("kid       %s\nhmac_key  %s\n", kid, hmac);
	if (!g_opts.quiet)
		notice("account %s may order names under %s; give the client both values once "
		       "(the HMAC key is not shown again)",
		       kid, names_text);
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (hmac)
		OPENSSL_clear_free(hmac, strlen(hmac));
	free(sealed);
	free(names_text);
	json_decref(names);
	json_decref(c.obj);
	template_free(tpl);
	ca_release(&ca);
	store_close(st);
	free(a.names);
	return rc;
}

/* ---- list ---- */

static error_t no_args(int key, char *arg, struct argp_state *state)
{
	(void)state;
	if (key == ARGP_KEY_ARG)
		return cli_unexpected(arg);
	return ARGP_ERR_UNKNOWN;
}

static const struct argp list_argp = {
	NULL, no_args, NULL,
	"List the ACME accounts: each EAB key (its names, template, state and the ACME account "
	"bound to it) and each account registered without EAB.",
	children, NULL, NULL};

struct list_ctx {
	json_t *rows;
};

static int list_eab(const char *id, json_t *obj, void *vctx)
{
	struct list_ctx *c = vctx;
	json_t *row = json_pack("{s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:s}", "id", id, "kind", "eab",
				"status", json_object_get(obj, "status"), "names",
				json_object_get(obj, "names"), "template",
				json_object_get(obj, "template") ? json_object_get(obj, "template")
								  : json_null(),
				"comment",
				json_object_get(obj, "comment") ? json_object_get(obj, "comment")
								 : json_null(),
				"account", json_object_get(obj, "account"), "created", "");
	char when[TIME_BUF];

	if (!row)
		return fail(EX_IOERR, "ACME key %s is damaged (run 'minica store verify')", id);
	json_object_set_new(row, "created",
			    json_string(fmt_time_iso(json_integer_value(json_object_get(obj, "created")),
						     when)));
	json_array_append_new(c->rows, row);
	return 0;
}

static int list_plain(const char *id, json_t *obj, void *vctx)
{
	struct list_ctx *c = vctx;
	char when[TIME_BUF];

	if (json_is_string(json_object_get(obj, "eab")))
		return 0; /* shown with its key */
	json_array_append_new(
		c->rows,
		json_pack("{s:s, s:s, s:O, s:n, s:n, s:n, s:s, s:s}", "id", id, "kind", "account",
			  "status", json_object_get(obj, "status"), "names", "template", "comment",
			  "account", id, "created",
			  fmt_time_iso(json_integer_value(json_object_get(obj, "created")), when)));
	return 0;
}

static char *row_names(json_t *names)
{
	size_t i, n = json_array_size(names);
	char **v = calloc(n ? n : 1, sizeof(char *)), *out;

	if (!v)
		return NULL;
	for (i = 0; i < n; i++)
		v[i] = (char *)json_string_value(json_array_get(names, i));
	out = n ? text_join(v, n, ",") : strdup("(default domain)");
	free(v);
	return out;
}

static int account_list(int argc, char **argv)
{
	static const char *const headers[] = {"ID", "STATUS", "NAMES", "TEMPLATE", "ACCOUNT",
					      "CREATED", "COMMENT"};
	struct list_ctx c = {json_array()};
	struct table *t = NULL;
	store *st = NULL;
	size_t i;
	json_t *row;
	int rc;

	if ((rc = cli_parse(&list_argp, argc, argv, "acme account list", NULL)) ||
	    (rc = store_open(store_dir(), &st)) ||
	    (rc = acme_obj_scan(st, KIND_EAB, list_eab, &c)) ||
	    (rc = acme_obj_scan(st, KIND_ACCOUNT, list_plain, &c)))
		goto out;
	if (g_opts.json) {
		rc = json_emit(c.rows);
		c.rows = NULL;
		goto out;
	}
	if (!(t = table_new(headers, 7, NULL))) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	json_array_foreach(c.rows, i, row) {
		char *names = row_names(json_object_get(row, "names"));
		const char *cells[7];

		cells[0] = json_string_value(json_object_get(row, "id"));
		cells[1] = json_string_value(json_object_get(row, "status"));
		cells[2] = names ? names : "?";
		cells[3] = json_string_value(json_object_get(row, "template"));
		cells[4] = json_string_value(json_object_get(row, "account"));
		cells[5] = json_string_value(json_object_get(row, "created"));
		cells[6] = json_string_value(json_object_get(row, "comment"));
		cells[3] = cells[3] ? cells[3] : "-";
		cells[4] = cells[4] ? cells[4] : "-";
		cells[6] = cells[6] ? cells[6] : "";
		rc = table_row(t, cells);
		free(names);
		if (rc)
			goto out;
	}
	table_print(t);
out:
	table_free(t);
	json_decref(c.rows);
	store_close(st);
	return rc;
}

/* ---- disable ---- */

struct disable_args {
	const char *id;
};

static error_t disable_parse(int key, char *arg, struct argp_state *state)
{
	struct disable_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (a->id)
			return cli_usage_error("give one account id"), EINVAL;
		a->id = arg;
		return 0;
	case ARGP_KEY_END:
		return a->id ? 0 : (cli_usage_error("give the account id (see 'minica acme account "
						    "list')"),
				    EINVAL);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp disable_argp = {
	NULL, disable_parse, "ID",
	"Disable an ACME account: its EAB key can no longer register, and the ACME account "
	"bound to it (or registered without EAB under this id) is deactivated. Certificates "
	"already issued stay valid; revoke them with 'minica revoke'. A running 'minica serve' "
	"sees the change at once.",
	children, NULL, NULL};

struct disable_ctx {
	const char *id;
	char detail[256];
};

static int deactivate(store_txn *txn, const char *account)
{
	json_t *acct = NULL;
	int rc;

	if ((rc = acme_obj_txn_get(txn, KIND_ACCOUNT, account, &acct)) || !acct)
		return rc;
	json_object_set_new(acct, "status", json_string("deactivated"));
	rc = acme_obj_put(txn, KIND_ACCOUNT, account, acct, 0);
	json_decref(acct);
	return rc;
}

static int disable_fn(store_txn *txn, void *vctx)
{
	struct disable_ctx *c = vctx;
	struct store_audit a = {0};
	json_t *eab = NULL, *acct = NULL;
	const char *bound;
	int rc;

	if ((rc = acme_obj_txn_get(txn, KIND_EAB, c->id, &eab)))
		return rc;
	if (eab) {
		if (!strcmp(json_string_value(json_object_get(eab, "status")) ?: "", "disabled")) {
			rc = fail(EX_DATAERR, "ACME account %s is disabled already; nothing was changed",
				  c->id);
			goto out;
		}
		json_object_set_new(eab, "status", json_string("disabled"));
		if ((rc = acme_obj_put(txn, KIND_EAB, c->id, eab, 0)))
			goto out;
		bound = json_string_value(json_object_get(eab, "account"));
		if (bound && (rc = deactivate(txn, bound)))
			goto out;
		snprintf(c->detail, sizeof(c->detail), "kid=%s account=%s", c->id,
			 bound ? bound : "(none registered)");
	} else {
		if ((rc = acme_obj_txn_get(txn, KIND_ACCOUNT, c->id, &acct)))
			goto out;
		if (!acct) {
			rc = fail(EX_NOINPUT, "no ACME account %s in store %s (see 'minica acme "
					      "account list')",
				  printable(c->id), store_dir());
			goto out;
		}
		if ((rc = deactivate(txn, c->id)))
			goto out;
		snprintf(c->detail, sizeof(c->detail), "account=%s", c->id);
	}
	a.action = (char *)"acme account disable";
	a.detail = c->detail;
	rc = store_txn_audit(txn, &a);
out:
	json_decref(eab);
	json_decref(acct);
	return rc;
}

static int account_disable(int argc, char **argv)
{
	struct disable_args a = {0};
	struct disable_ctx c = {0};
	json_t *found = NULL;
	store *st = NULL;
	int rc;

	if ((rc = cli_parse(&disable_argp, argc, argv, "acme account disable", &a)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = acme_obj_get(st, KIND_EAB, a.id, &found)) ||
	    (!found && (rc = acme_obj_get(st, KIND_ACCOUNT, a.id, &found))))
		goto out;
	if (!found) {
		/* before the table is made: a refusal changes nothing */
		rc = fail(EX_NOINPUT, "no ACME account %s in store %s (see 'minica acme account list')",
			  printable(a.id), store_dir());
		goto out;
	}
	if ((rc = store_acme_prepare(st)))
		goto out;
	c.id = a.id;
	if ((rc = store_write(st, disable_fn, &c)))
		goto out;
	if (g_opts.json)
		rc = json_emit(json_pack("{s:s, s:s}", "id", a.id, "status", "disabled"));
	else if (!g_opts.quiet)
		printf("Disabled ACME account %s (%s)\n", a.id, c.detail);
out:
	json_decref(found);
	store_close(st);
	return rc;
}

static int account(int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"add", account_add, "make an account key (EAB) and its name suffixes"},
		{"list", account_list, "the accounts, their names and state"},
		{"disable", account_disable, "stop an account (its certificates stay valid)"},
	};

	return cli_dispatch("acme account", subs, sizeof(subs) / sizeof(subs[0]), argc, argv);
}

int cmd_acme(int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"account", account, "the accounts that may use 'minica serve'"},
	};

	return cli_dispatch("acme", subs, sizeof(subs) / sizeof(subs[0]), argc, argv);
}
