/*
 * minica: declarations shared by every part of the program: global options,
 * diagnostics, the command-line helpers and small utilities.
 */
#ifndef MINICA_COMMON_H
#define MINICA_COMMON_H

#include <argp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sysexits.h>

#ifndef MINICA_VERSION
#define MINICA_VERSION "0.1.0"
#endif
#ifndef MINICA_REVISION
#define MINICA_REVISION "unknown"
#endif
#ifndef MINICA_TEMPLATEDIR
#define MINICA_TEMPLATEDIR "/usr/local/share/minica/templates"
#endif

/* Exit codes besides sysexits.h: the monitoring-plugin convention of check/remind. */
enum { MON_OK = 0, MON_WARNING = 1, MON_CRITICAL = 2, MON_UNKNOWN = 3 };

/* Options that every command accepts, before or after its name. */
struct minica_options {
	const char *store_dir;     /* --store, else $MINICA_STORE, else the XDG default */
	const char *templates_dir; /* --templates, else $MINICA_TEMPLATES */
	const char *pass_file;     /* --pass-file, else $MINICA_PASS_FILE */
	const char *pin_file;      /* --pin-file, else $MINICA_PIN_FILE */
	int json;                  /* --json */
	int quiet;                 /* -q: no notes, no advice; data and warnings stay */
};
extern struct minica_options g_opts; /* common/options.c */

/* common/diag.c: every diagnostic is one line on stderr, prefixed "minica: ". */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fail_ssl(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *ssl_reason(void);
const char *printable(const char *text); /* for echoing user input in one line */
const char *diag_last(void); /* text of the last fail()/fail_ssl() line, "" if none */
/* Prefix this thread's next diagnostics with a context, e.g. "hosts file F line 7"; NULL clears. */
void diag_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* End this thread's next error lines with what to do about them; NULL clears. */
void diag_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* common/cli.c: argp glue shared by the commands. */
extern const struct argp common_argp;
#define COMMON_CHILD {&common_argp, 0, "Global options:", 10}
/* The children of a command whose only child is the global options:
 *   static const struct argp argp = {options, parse, NULL, doc, cli_children, NULL, NULL}; */
extern const struct argp_child cli_children[];
/* case ARGP_KEY_ARG: return cli_unexpected(arg); -- a command that takes no arguments */
error_t cli_unexpected(const char *arg);
/* The parser of a command with no options and no arguments of its own. */
error_t cli_no_args(int key, char *arg, struct argp_state *state);
int cli_parse(const struct argp *argp, int argc, char **argv, const char *cmd_name,
	      void *input);
int cli_parse_flags(const struct argp *argp, int argc, char **argv, const char *cmd_name,
		    void *input, unsigned int flags);
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int parse_long(const char *text, const char *option, long min, long max, long *out);
int cli_list_add(char ***list, size_t *n, char *item); /* repeatable option values */
const char *store_dir(void);
/* where store_dir() comes from: "--store", "$MINICA_STORE", or NULL for the default */
const char *store_dir_source(void);
const char *store_default_dir(void); /* ${XDG_DATA_HOME:-$HOME/.local/share}/minica */
char *sh_quote(const char *word);    /* one /bin/sh word, malloc'ed (shquote.c) */
struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};
int cli_dispatch(const char *group, const struct subcommand *subs, size_t n, int argc,
		 char **argv);

/* common/pass.c: secrets come from a file or a terminal, never from argv. */
int pass_read_file(const char *path, const char *what, char **out, size_t *len);
int pass_get_ca(int confirm, char **out, size_t *len);
void pass_free(char *pass, size_t len);
/* A token's PIN: --pin-file, $MINICA_PIN_FILE, $CREDENTIALS_DIRECTORY/minica-pin, a prompt */
int pin_get(const char *token, char **out, size_t *len);
const char *pin_file_given(void); /* the file pin_get would read, NULL when it would prompt */
/* Before any secret enters memory: no core file, not dumpable (idempotent). */
void secrets_protect(void);

/* common/fileout.c: files written by minica (atomic, never clobbered silently). */
int out_check_dir(const char *dir);
int out_check_absent(const char *path, int force);
int out_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		     int force);
int out_rename(const char *tmp, const char *path, int force); /* a finished temp file into place */
char *path_join(const char *dir, const char *name);

/* common/pidlock.c: a file holding this process's id under flock, while it runs. */
int pidlock_take(const char *path, const char *hint, int *fd); /* EX_TEMPFAIL: held */
void pidlock_release(const char *path, int fd, int remove);

/* common/timefmt.c: times are int64 seconds since the epoch, UTC. */
int64_t now_utc(void);
#define TIME_BUF 32
const char *fmt_time(int64_t t, char buf[TIME_BUF]);     /* 2031-11-25 12:00:00 UTC */
const char *fmt_time_iso(int64_t t, char buf[TIME_BUF]); /* 2031-11-25T12:00:00Z */
long days_left(int64_t not_after, int64_t now);
int parse_date(const char *text, int64_t *out);          /* YYYY-MM-DD[THH:MM:SSZ] */
struct asn1_string_st;
int asn1_time_epoch(const struct asn1_string_st *t, int64_t *out);

/* common/jsonout.c: prints and releases a jansson value. */
struct json_t;
int json_emit(struct json_t *value);
struct json_t *json_text(const char *s); /* json_string, or \xNN for bytes that are not UTF-8 */
/*
 * The bytes json_emit(top) prints once top's array at key holds n items,
 * item(i, ctx) each (NULL: out of memory), without holding them all: each is
 * built, printed and released in turn (a 100,000-certificate inventory held
 * 800 MB as one tree). Releases top.
 */
int json_emit_streamed(struct json_t *top, const char *key, size_t n,
		       struct json_t *(*item)(size_t i, void *ctx), void *ctx);

/*
 * common/text.c: UTF-8 (BOM optional) or UTF-16 LE/BE (BOM optional, told by
 * the NUL bytes) to NUL-terminated UTF-8. 0, or -1 if it is not valid text.
 */
int text_to_utf8(const unsigned char *in, size_t len, char **out, size_t *out_len,
		 const char **encoding);
char *text_join(char *const *items, size_t n, const char *sep); /* malloc'ed */

/*
 * common/table.c: human tables whose columns fit their data (see the file).
 * right: one character per column, 'r' for right-aligned, or NULL.
 */
struct table;
struct table *table_new(const char *const *headers, size_t ncols, const char *right);
int table_row(struct table *t, const char *const *cells); /* 0 or EX_OSERR */
void table_print(struct table *t);                        /* what is still buffered */
void table_free(struct table *t);

/* common/hex.c */
void hex_upper(const unsigned char *bytes, size_t len, char *out); /* out: 2*len+1 */

#endif
