/*
 * argp glue shared by every command: the global options (accepted before or
 * after the command name), --help that names the command, and option-value
 * parsing with one-line errors.
 *
 * argp's own "Try `... --help'" hint is sent to /dev/null: a usage error is
 * one line on stderr, like every other diagnostic.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

enum {
	OPT_STORE = 0x1000,
	OPT_JSON,
	OPT_PASS_FILE,
	OPT_PIN_FILE,
	OPT_TEMPLATES,
	OPT_USAGE,
};

static const char *current_name = "minica";
static FILE *null_stream;

static const struct argp_option common_options[] = {
	{"store", OPT_STORE, "DIR", 0,
	 "Store directory (default $MINICA_STORE, else $XDG_DATA_HOME/minica, else "
	 "~/.local/share/minica)",
	 0},
	{"json", OPT_JSON, NULL, 0, "Machine-readable output on stdout", 0},
	{"quiet", 'q', NULL, 0, "Silent on success: only data, warnings and errors", 0},
	{"pass-file", OPT_PASS_FILE, "FILE",
	 0, "CA passphrase: first line of FILE (default $MINICA_PASS_FILE, else a prompt)", 0},
	{"pin-file", OPT_PIN_FILE, "FILE", 0,
	 "PIN of the token holding the CA key: first line of FILE (default $MINICA_PIN_FILE, "
	 "else $CREDENTIALS_DIRECTORY/minica-pin, else a prompt)",
	 0},
	{"templates", OPT_TEMPLATES, "DIR", 0,
	 "Template directory searched first (default $MINICA_TEMPLATES, else a checkout's "
	 "templates/ beside the build directory, then the installed ones)",
	 0},
	{"help", '?', NULL, 0, "Give this help list", -1},
	{"usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1},
	{"version", 'V', NULL, 0, "Print the version and exit", -1},
	{0}
};

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_INIT:
		if (!null_stream)
			null_stream = fopen("/dev/null", "w");
		if (null_stream)
			state->err_stream = null_stream;
		return 0;
	case OPT_STORE:
		g_opts.store_dir = arg;
		return 0;
	case OPT_JSON:
		g_opts.json = 1;
		return 0;
	case 'q':
		g_opts.quiet = 1;
		return 0;
	case OPT_PASS_FILE:
		g_opts.pass_file = arg;
		return 0;
	case OPT_PIN_FILE:
		g_opts.pin_file = arg;
		return 0;
	case OPT_TEMPLATES:
		g_opts.templates_dir = arg;
		return 0;
	case '?':
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP, (char *)current_name);
		putchar('\n');
		exit(0);
	case 'V': {
		/* a build from a tarball without a revision prints the release alone */
		static const char revision[] = MINICA_REVISION;

		if (revision[0] && strcmp(revision, "unknown"))
			printf("minica %s (git %s)\n", MINICA_VERSION, revision);
		else
			printf("minica %s\n", MINICA_VERSION);
		exit(0);
	}
	case OPT_USAGE:
		argp_help(state->root_argp, stdout, ARGP_HELP_USAGE, (char *)current_name);
		exit(0);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp common_argp = {common_options, common_parse, NULL, NULL, NULL, NULL, NULL};
const struct argp_child cli_children[] = {COMMON_CHILD, {0}};

error_t cli_unexpected(const char *arg)
{
	cli_usage_error("unexpected argument '%s'", printable(arg));
	return EINVAL;
}

error_t cli_no_args(int key, char *arg, struct argp_state *state)
{
	(void)state;
	return key == ARGP_KEY_ARG ? cli_unexpected(arg) : ARGP_ERR_UNKNOWN;
}

int cli_parse(const struct argp *argp, int argc, char **argv, const char *cmd_name,
	      void *input)
{
	return cli_parse_flags(argp, argc, argv, cmd_name, input, 0);
}

/* The option of ARGP (or of its children) named NAME (LEN bytes) or keyed KEY. */
static const struct argp_option *find_option(const struct argp *argp, const char *name,
					     size_t len, int key)
{
	const struct argp_option *o, *found;
	const struct argp_child *c;

	for (o = argp->options; o && (o->name || o->key || o->doc || o->group); o++) {
		if (o->flags & OPTION_DOC)
			continue;
		if (name ? o->name && strlen(o->name) == len && !strncmp(o->name, name, len)
			 : o->key == key && key > ' ' && key < 0x7f)
			return o;
	}
	for (c = argp->children; c && c->argp; c++)
		if ((found = find_option(c->argp, name, len, key)))
			return found;
	return NULL;
}

/* Whether an option takes a value (an alias takes what the option it aliases takes). */
static int takes_value(const struct argp_option *o)
{
	while (o->flags & OPTION_ALIAS)
		o--;
	return o->arg && !(o->flags & OPTION_ARG_OPTIONAL);
}

/*
 * getopt takes any unambiguous prefix of a long option, so that --hosts
 * became --hosts-file; and its "unrecognized option" names no --help. Every
 * option must be spelled out in full, and an unknown one is a usage error
 * like every other. ARGP_IN_ORDER (the global options) stops at the first
 * argument that is not an option: the rest belongs to the command.
 */
static int check_options(const struct argp *argp, int argc, char **argv, unsigned int flags)
{
	const struct argp_option *o;
	char name[64];
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *p;

		if (!strcmp(a, "--"))
			break;
		if (a[0] != '-' || a[1] == '\0') {
			if (flags & ARGP_IN_ORDER)
				break;
			continue;
		}
		if (a[1] == '-') {
			size_t len = strcspn(a + 2, "=");

			if (!(o = find_option(argp, a + 2, len, 0))) {
				snprintf(name, sizeof(name), "%.*s", (int)(len < 60 ? len : 60), a + 2);
				return cli_usage_error("unknown option '--%s'", printable(name));
			}
			if (!a[2 + len] && takes_value(o))
				i++;
			continue;
		}
		for (p = a + 1; *p; p++) {
			if (!(o = find_option(argp, NULL, 0, (unsigned char)*p))) {
				snprintf(name, sizeof(name), "%c", *p);
				return cli_usage_error("unknown option '-%s'", printable(name));
			}
			if (takes_value(o)) {
				i += !p[1];
				break;
			}
		}
	}
	return 0;
}

int cli_parse_flags(const struct argp *argp, int argc, char **argv, const char *cmd_name,
		    void *input, unsigned int flags)
{
	static char name[64];
	error_t err;

	snprintf(name, sizeof(name), "minica%s%s", *cmd_name ? " " : "", cmd_name);
	current_name = name;
	/* getopt names argv[0] in its messages: keep them "minica: ..." */
	argv[0] = (char *)"minica";
	if (check_options(argp, argc, argv, flags))
		return EX_USAGE;
	err = argp_parse(argp, argc, argv, ARGP_NO_HELP | flags, NULL, input);
	return err ? EX_USAGE : 0;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("minica: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s --help')\n", current_name);
	return EX_USAGE;
}

int parse_long(const char *text, const char *option, long min, long max, long *out)
{
	char *end = NULL;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (end == text || *end != '\0' || text[0] == '\0' || text[0] == ' ')
		return cli_usage_error("%s '%s': not a whole number", option, text);
	if (errno == ERANGE || value < min || value > max)
		return cli_usage_error("%s '%s': must be between %ld and %ld", option, text,
				       min, max);
	*out = value;
	return 0;
}

const char *store_default_dir(void)
{
	static char buf[4096];
	const char *env = getenv("XDG_DATA_HOME");

	if (env && *env) {
		snprintf(buf, sizeof(buf), "%s/minica", env);
		return buf;
	}
	env = getenv("HOME");
	snprintf(buf, sizeof(buf), "%s/.local/share/minica", env && *env ? env : ".");
	return buf;
}

const char *store_dir_source(void)
{
	const char *env = getenv("MINICA_STORE");

	if (g_opts.store_dir && *g_opts.store_dir)
		return "--store";
	if (env && *env)
		return "$MINICA_STORE";
	return NULL;
}

const char *store_dir(void)
{
	const char *env = getenv("MINICA_STORE");

	if (g_opts.store_dir && *g_opts.store_dir)
		return g_opts.store_dir;
	if (env && *env)
		return env;
	return store_default_dir();
}

/* "minica ca show ...": the second word picks the subcommand. */
int cli_dispatch(const char *group, const struct subcommand *subs, size_t n, int argc,
		 char **argv)
{
	size_t i;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-?"))) {
		printf("Usage: minica %s COMMAND [OPTION...]\n\nCommands:\n", group);
		for (i = 0; i < n; i++)
			printf("  %-10s %s\n", subs[i].name, subs[i].summary);
		printf("\nRun 'minica %s COMMAND --help' for a command's options.\n", group);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "minica: %s: which one? ", group);
		for (i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", subs[i].name);
		fprintf(stderr, " (see 'minica %s --help')\n", group);
		return EX_USAGE;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "minica: %s: unknown command '%s' (see 'minica %s --help')\n", group,
		printable(argv[1]), group);
	return EX_USAGE;
}

/* Repeatable options collect their values: 0, or ENOMEM for argp. */
int cli_list_add(char ***list, size_t *n, char *item)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(char *));

	if (!grown)
		return ENOMEM;
	*list = grown;
	grown[(*n)++] = item;
	return 0;
}
