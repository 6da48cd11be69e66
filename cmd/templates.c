/* minica templates [show NAME]: what can be issued, and how. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "issue/issue.h"


struct tshow_args {
	const char *verb, *name;
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct tshow_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (!a->verb && !strcmp(arg, "show")) {
			a->verb = arg;
			return 0;
		}
		if (a->verb && !a->name) {
			a->name = arg;
			return 0;
		}
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (a->verb && !a->name)
			return cli_usage_error("templates show: which template?"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	NULL, parse, "[show NAME]",
	"List the templates, or show one (its settings and its file).\v"
	"Templates are searched in --templates DIR, $MINICA_TEMPLATES, then " MINICA_TEMPLATEDIR
	".",
	cli_children, NULL, NULL};

/* As template files write it: "sha256", not OpenSSL's "SHA256". */
static const char *digest_name(const EVP_MD *md)
{
	static char buf[32];
	const char *name = EVP_MD_get0_name(md);
	size_t i;

	for (i = 0; name && name[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}

static const char *pfx_name(enum pfx_mode m)
{
	return m == PFX_LEGACY ? "legacy" : m == PFX_MODERN ? "modern" : "no";
}

struct list_ctx {
	json_t *json;
	struct table *table;
	int count;
	int rc;
};

static int list_one(const char *name, const char *path, void *vctx)
{
	struct list_ctx *c = vctx;
	struct template *t = NULL;
	char ks[16];
	int rc = template_load(path, &t);

	(void)name;
	if (rc) {
		c->rc = rc; /* the message is out; list the others */
		return 0;
	}
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "description", json_string(t->description));
		json_object_set_new(o, "key", json_string(keyspec_name(&t->key, ks)));
		json_object_set_new(o, "days", json_integer(t->days));
		json_object_set_new(o, "pfx", json_string(pfx_name(t->pfx)));
		json_object_set_new(o, "path", json_string(path));
		json_array_append_new(c->json, o);
	} else {
		char days[24];
		const char *cells[5] = {name, keyspec_name(&t->key, ks), days, pfx_name(t->pfx),
					t->description};

		snprintf(days, sizeof(days), "%ld", t->days);
		rc = table_row(c->table, cells);
	}
	c->count++;
	template_free(t);
	return rc;
}

static int show(const char *name)
{
	struct template *t = NULL;
	char hash[65], ks[16];
	int rc = template_load(name, &t);

	if (rc)
		return rc;
	hex_upper(t->hash, sizeof(t->hash), hash);
	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(t->name));
		json_object_set_new(o, "path", json_string(t->path));
		json_object_set_new(o, "sha256", json_string(hash));
		json_object_set_new(o, "description", json_string(t->description));
		json_object_set_new(o, "key", json_string(keyspec_name(&t->key, ks)));
		json_object_set_new(o, "days", json_integer(t->days));
		json_object_set_new(o, "digest", json_string(digest_name(t->md)));
		json_object_set_new(o, "pfx", json_string(pfx_name(t->pfx)));
		json_object_set_new(o, "pfx_csp", json_string(t->pfx_csp));
		json_object_set_new(o, "wildcard", json_boolean(t->wildcard));
		json_object_set_new(o, "text", json_stringn(t->text, t->text_len));
		rc = json_emit(o);
	} else {
		printf("# template %s\n# file     %s\n# sha256   %s\n", t->name, t->path, hash);
		fwrite(t->text, 1, t->text_len, stdout);
		if (t->text_len && t->text[t->text_len - 1] != '\n')
			putchar('\n');
	}
	template_free(t);
	return rc;
}

int cmd_templates(int argc, char **argv)
{
	static const char *const headers[] = {"TEMPLATE", "KEY", "DAYS", "PFX", "DESCRIPTION"};
	struct tshow_args a = {0};
	struct list_ctx c = {0};
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "templates", &a)))
		return rc;
	if (a.name)
		return show(a.name);
	if (g_opts.json ? !(c.json = json_array()) : !(c.table = table_new(headers, 5, "..r..")))
		return fail(EX_OSERR, "out of memory");
	rc = template_each(list_one, &c);
	if (c.table) {
		if (c.count)
			table_print(c.table);
		table_free(c.table);
	}
	if (rc == 0 && c.count == 0 && !c.rc)
		rc = fail(EX_NOINPUT, "no templates found (set --templates DIR or $MINICA_TEMPLATES)");
	if (c.json) {
		int jrc = json_emit(c.json);

		rc = rc ? rc : jrc;
	}
	return rc ? rc : c.rc;
}
