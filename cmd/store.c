/*
 * minica store verify | backup | stats: the store itself. All three only
 * read, so none needs the CA passphrase, and all run while other processes
 * issue (each works on one consistent snapshot).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/common.h"


/* 1.2 MiB: sizes for people; JSON carries the bytes. */
static const char *human_size(uint64_t bytes, char buf[32])
{
	static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, 32, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(buf, 32, "%.1f %s", v, units[u]);
	return buf;
}

/* ---- verify ---- */

static const struct argp verify_argp = {
	NULL, cli_no_args, NULL,
	"Check the whole store: every record decodes, every index entry points at a record "
	"whose fields match and every record is indexed, every certificate parses and its "
	"signature verifies against a CA certificate of the store, the audit log decodes, the "
	"CA key is there (it is not decrypted: no passphrase needed).\v"
	"Each problem is printed on one line; the exit code is 74 when there is any.",
	cli_children, NULL, NULL};

struct problems {
	json_t *list;
	int oom;
};

static void collect(void *ctx, const char *line)
{
	struct problems *p = ctx;

	if (json_array_append_new(p->list, json_text(line)) != 0)
		p->oom = 1;
}

static int store_verify_cmd(int argc, char **argv)
{
	struct problems p = {json_array(), 0};
	struct store_verify_counts c;
	store *st = NULL;
	size_t i, n;
	int rc;

	if ((rc = cli_parse(&verify_argp, argc, argv, "store verify", NULL)))
		goto out;
	if (!p.list) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if ((rc = store_open(store_dir(), &st)) || (rc = ca_verify_store(st, collect, &p, &c)))
		goto out;
	if (p.oom) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	n = json_array_size(p.list);
	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "store", json_text(store_path(st)));
		json_object_set_new(o, "ok", json_boolean(n == 0));
		json_object_set_new(o, "records", json_integer((json_int_t)c.records));
		json_object_set_new(o, "hosts", json_integer((json_int_t)c.hosts));
		json_object_set_new(o, "host_entries", json_integer((json_int_t)c.host_entries));
		json_object_set_new(o, "expiry_entries", json_integer((json_int_t)c.expiry_entries));
		json_object_set_new(o, "ca_versions", json_integer((json_int_t)c.ca_versions));
		json_object_set_new(o, "audit_entries", json_integer((json_int_t)c.audit_entries));
		json_object_set_new(o, "acme_objects", json_integer((json_int_t)c.acme_objects));
		json_object_set_new(o, "problems", json_incref(p.list));
		if ((rc = json_emit(o)))
			goto out;
	} else if (n || !g_opts.quiet) { /* -q: silent when the store is OK */
		printf("Store %s: %s\n", store_path(st), n ? "PROBLEMS" : "OK");
		for (i = 0; i < n; i++)
			printf("  problem         %s\n", json_string_value(json_array_get(p.list, i)));
		printf("  records         %llu\n", (unsigned long long)c.records);
		printf("  host names      %llu (%llu index entries)\n", (unsigned long long)c.hosts,
		       (unsigned long long)c.host_entries);
		printf("  expiry index    %llu entries\n", (unsigned long long)c.expiry_entries);
		printf("  CA versions     %llu\n", (unsigned long long)c.ca_versions);
		printf("  audit entries   %llu\n", (unsigned long long)c.audit_entries);
		if (c.acme_objects)
			printf("  ACME objects    %llu\n", (unsigned long long)c.acme_objects);
		printf("  problems        %zu\n", n);
	}
	if (n)
		rc = fail(EX_IOERR, "store %s: %zu problem%s found (listed on standard output); "
				    "restore the latest backup that verifies",
			  store_path(st), n, n == 1 ? "" : "s");
out:
	json_decref(p.list);
	store_close(st);
	return rc;
}

/* ---- backup ---- */

struct backup_args {
	const char *file;
	int force;
};

enum { OPT_FORCE = 0x100 };

static const struct argp_option backup_options[] = {
	{"force", OPT_FORCE, NULL, 0, "Replace FILE if it exists", 0},
	{0}
};

static error_t backup_parse(int key, char *arg, struct argp_state *state)
{
	struct backup_args *a = state->input;

	switch (key) {
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case ARGP_KEY_ARG:
		if (a->file)
			return cli_unexpected(arg);
		a->file = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			return cli_usage_error("give the backup FILE"), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp backup_argp = {
	backup_options, backup_parse, "FILE",
	"Write a consistent, compacted copy of the store to FILE while it stays in use.\v"
	"FILE is one LMDB data file (mode 0600: it holds the encrypted CA key). To restore:\n"
	"  mkdir -m 700 /srv/minica.restored\n"
	"  cp FILE /srv/minica.restored/data.mdb\n"
	"  minica --store /srv/minica.restored store verify",
	cli_children, NULL, NULL};

static int store_backup_cmd(int argc, char **argv)
{
	struct backup_args a = {0};
	struct store_backup_info info;
	store *st = NULL;
	void *key_uri = NULL;
	size_t uri_len = 0;
	char size[32];
	int rc;

	if ((rc = cli_parse(&backup_argp, argc, argv, "store backup", &a)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = store_backup(st, a.file, a.force, &info)) ||
	    (rc = store_meta_get(st, "ca.key.uri", &key_uri, &uri_len)))
		goto out;
	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "store", json_text(store_path(st)));
		json_object_set_new(o, "file", json_text(a.file));
		json_object_set_new(o, "records", json_integer((json_int_t)info.records));
		json_object_set_new(o, "bytes", json_integer((json_int_t)info.bytes));
		json_object_set_new(o, "ca_key_included", json_boolean(!key_uri));
		rc = json_emit(o);
		goto out;
	}
	if (g_opts.quiet) /* -q: silent on success */
		goto out;
	printf("Backed up %s to %s\n", store_path(st), a.file);
	printf("  records   %llu\n", (unsigned long long)info.records);
	printf("  size      %s (compacted)\n", human_size(info.bytes, size));
	printf("\nRestore: mkdir -m 700 DIR && cp %s DIR/data.mdb && "
		       "minica --store DIR store verify\n",
		       a.file);
	if (key_uri)
		printf("\nThe CA key is NOT in this backup: it is on the token %s. Back the token "
		       "up as its maker says (docs/token.md); without it this backup cannot sign.\n",
		       (char *)key_uri);
out:
	free(key_uri);
	store_close(st);
	return rc;
}

/* ---- stats ---- */

static const struct argp stats_argp = {
	NULL, cli_no_args, NULL,
	"Sizes of the store: records, index entries, audit entries, file and map size, "
	"bytes per record.",
	cli_children, NULL, NULL};

static int store_stats_cmd(int argc, char **argv)
{
	struct store_stats s;
	store *st = NULL;
	char a[32], b[32], c[32];
	uint64_t per_record;
	int rc;

	if ((rc = cli_parse(&stats_argp, argc, argv, "store stats", NULL)) ||
	    (rc = store_open(store_dir(), &st)) || (rc = store_stats_get(st, &s)))
		goto out;
	per_record = s.records ? s.used_bytes / s.records : 0;
	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "store", json_text(store_path(st)));
		json_object_set_new(o, "records", json_integer((json_int_t)s.records));
		json_object_set_new(o, "host_entries", json_integer((json_int_t)s.hosts));
		json_object_set_new(o, "expiry_entries", json_integer((json_int_t)s.expiry_entries));
		json_object_set_new(o, "ca_versions", json_integer((json_int_t)s.ca_versions));
		json_object_set_new(o, "audit_entries", json_integer((json_int_t)s.audit_entries));
		json_object_set_new(o, "file_bytes", json_integer((json_int_t)s.file_bytes));
		json_object_set_new(o, "used_bytes", json_integer((json_int_t)s.used_bytes));
		json_object_set_new(o, "bytes_per_record", json_integer((json_int_t)per_record));
		json_object_set_new(o, "map_size", json_integer((json_int_t)s.map_size));
		rc = json_emit(o);
		goto out;
	}
	printf("Store %s\n", store_path(st));
	printf("  records           %llu\n", (unsigned long long)s.records);
	printf("  host index        %llu entries\n", (unsigned long long)s.hosts);
	printf("  expiry index      %llu entries\n", (unsigned long long)s.expiry_entries);
	printf("  CA versions       %llu\n", (unsigned long long)s.ca_versions);
	printf("  audit entries     %llu\n", (unsigned long long)s.audit_entries);
	printf("  file size         %s\n", human_size(s.file_bytes, a));
	printf("  in use            %s", human_size(s.used_bytes, b));
	if (s.records)
		printf(" (%llu bytes per record)", (unsigned long long)per_record);
	printf("\n  map size          %s (grows on demand)\n", human_size(s.map_size, c));
out:
	store_close(st);
	return rc;
}

static const struct subcommand store_commands[] = {
	{"verify", store_verify_cmd, "check every record, index entry and signature"},
	{"backup", store_backup_cmd, "consistent compacted copy into one file, while in use"},
	{"stats", store_stats_cmd, "records, index and file sizes, bytes per record"},
};

int cmd_store(int argc, char **argv)
{
	return cli_dispatch("store", store_commands,
			    sizeof(store_commands) / sizeof(store_commands[0]), argc, argv);
}
