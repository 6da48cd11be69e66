/*
 * Templates: OpenSSL config files read with NCONF. The [template] section
 * holds minica's settings; [extensions] is applied verbatim with OpenSSL's
 * X509V3 config functions, exactly as in openssl.cnf. A template is checked
 * completely when it is loaded, so a bad one fails before the CA key is
 * touched, and every error names the file, the line and the key.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/err.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issue.h"
#include "common/common.h"

#define TEMPLATE_MAX_BYTES (256 * 1024)

static pthread_once_t checkout_once = PTHREAD_ONCE_INIT;
static char *checkout_templates; /* NULL: this binary is not in a checkout */

/*
 * A binary run where it was built (BUILD/minica in a checkout) has the
 * checkout's templates/ one level up: that directory, when it holds the
 * shipped templates. An installed binary has none there (PREFIX/templates).
 */
static void find_checkout_templates(void)
{
	char exe[PATH_MAX], *slash, *dir = NULL, *probe = NULL;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		goto out;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		goto out;
	*slash = '\0';
	if (!(dir = path_join(exe, "../templates")) ||
	    !(checkout_templates = realpath(dir, NULL)))
		goto out;
	probe = path_join(checkout_templates, TEMPLATE_DEFAULT ".cnf");
	if (!probe || access(probe, R_OK) != 0) {
		free(checkout_templates);
		checkout_templates = NULL;
	}
out:
	free(probe);
	free(dir);
}

int template_dirs(const char *dirs[3])
{
	const char *env = getenv("MINICA_TEMPLATES");
	int n = 0;

	if (g_opts.templates_dir && *g_opts.templates_dir)
		dirs[n++] = g_opts.templates_dir;
	if (env && *env)
		dirs[n++] = env;
	if (n == 0 && pthread_once(&checkout_once, find_checkout_templates) == 0 &&
	    checkout_templates)
		dirs[n++] = checkout_templates;
	dirs[n++] = MINICA_TEMPLATEDIR;
	return n;
}

static int valid_name(const char *name)
{
	const char *p;

	if (!*name || *name == '.' || strlen(name) > 64)
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return 0;
	return 1;
}

static int find(const char *name, char **path)
{
	const char *dirs[3];
	char file[80], where[1024] = "";
	int i, n = template_dirs(dirs);
	size_t used = 0;

	*path = NULL;
	if (strchr(name, '/'))
		return (*path = strdup(name)) ? 0 : fail(EX_OSERR, "out of memory");
	if (!valid_name(name))
		return fail(EX_DATAERR, "template name '%s' is not valid (letters, digits, '-', '_')",
			    printable(name));
	snprintf(file, sizeof(file), "%s.cnf", name);
	for (i = 0; i < n; i++) {
		char *p = path_join(dirs[i], file);

		if (!p)
			return fail(EX_OSERR, "out of memory");
		if (access(p, F_OK) == 0) {
			*path = p;
			return 0;
		}
		free(p);
		used += (size_t)snprintf(where + used, used < sizeof(where) ? sizeof(where) - used : 0,
					 "%s%s", i ? ", " : "", dirs[i]);
	}
	return fail(EX_NOINPUT, "template '%s' not found in %s (see 'minica templates')", name,
		    where);
}

/* NCONF keeps no line numbers for keys: find "key =" under "[section]". */
static long line_of(const struct template *t, const char *section, const char *key)
{
	const char *p = t->text, *end = t->text + t->text_len;
	char current[128] = "default";
	long line = 1;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *q = p;
		size_t klen = strlen(key);

		if (!eol)
			eol = end;
		while (q < eol && isspace((unsigned char)*q))
			q++;
		if (q < eol && *q == '[') {
			size_t n = 0;

			q++;
			while (q < eol && isspace((unsigned char)*q))
				q++;
			while (q < eol && *q != ']' && !isspace((unsigned char)*q) &&
			       n < sizeof(current) - 1)
				current[n++] = *q++;
			current[n] = '\0';
		} else if (!strcmp(current, section) && (size_t)(eol - q) > klen &&
			   !strncmp(q, key, klen)) {
			const char *r = q + klen;

			while (r < eol && (*r == ' ' || *r == '\t'))
				r++;
			if (r < eol && *r == '=')
				return line;
		}
		line++;
		p = eol + 1;
	}
	return 0;
}

static int bad_key(const struct template *t, const char *section, const char *key,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bad_key(const struct template *t, const char *section, const char *key,
		   const char *fmt, ...)
{
	char why[256];
	long line = line_of(t, section, key);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (line)
		return fail(EX_DATAERR, "template %s line %ld: [%s] %s: %s", t->path, line, section,
			    key, why);
	return fail(EX_DATAERR, "template %s: [%s] %s: %s", t->path, section, key, why);
}

static int yes_no(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
	    !strcmp(v, "1"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
		 !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int read_settings(struct template *t)
{
	STACK_OF(CONF_VALUE) *sec = NCONF_get_section(t->conf, "template");
	int i;

	t->days = 1825;
	t->md = EVP_sha256();
	t->pfx = PFX_LEGACY;
	t->min_rsa_bits = 2048;
	keyspec_parse("rsa:2048", &t->key);
	if (!sec)
		return fail(EX_DATAERR, "template %s: no [template] section", t->path);
	for (i = 0; i < sk_CONF_VALUE_num(sec); i++) {
		CONF_VALUE *cv = sk_CONF_VALUE_value(sec, i);
		const char *k = cv->name, *v = cv->value;
		char *end;
		int flag;

		if (!strcmp(k, "description")) {
			free(t->description);
			if (!(t->description = strdup(v)))
				return fail(EX_OSERR, "out of memory");
		} else if (!strcmp(k, "key")) {
			if (keyspec_parse(v, &t->key))
				return bad_key(t, "template", k,
					       "'%s' is not a supported key type (rsa:2048, rsa:3072, "
					       "rsa:4096, ec:P-256, ec:P-384)", printable(v));
		} else if (!strcmp(k, "days")) {
			errno = 0;
			t->days = strtol(v, &end, 10);
			if (errno || end == v || *end || t->days < 1 || t->days > DAYS_MAX)
				return bad_key(t, "template", k,
					       "'%s' is not a number of days between 1 and 36500", printable(v));
		} else if (!strcmp(k, "digest")) {
			if (!strcasecmp(v, "sha256"))
				t->md = EVP_sha256();
			else if (!strcasecmp(v, "sha384"))
				t->md = EVP_sha384();
			else if (!strcasecmp(v, "sha512"))
				t->md = EVP_sha512();
			else if (!strcasecmp(v, "sha1")) {
				t->md = EVP_sha1();
				t->sha1 = 1;
			} else
				return bad_key(t, "template", k,
					       "'%s' is not supported (sha256, sha384, sha512, sha1)", printable(v));
		} else if (!strcmp(k, "pfx")) {
			if (!strcasecmp(v, "legacy") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
				t->pfx = PFX_LEGACY;
			else if (!strcasecmp(v, "modern"))
				t->pfx = PFX_MODERN;
			else if (!strcasecmp(v, "no") || !strcasecmp(v, "off"))
				t->pfx = PFX_NONE;
			else
				return bad_key(t, "template", k,
					       "'%s' is not one of legacy, modern, no", printable(v));
		} else if (!strcmp(k, "pfx_csp")) {
			free(t->pfx_csp);
			if (strlen(v) > 255)
				return bad_key(t, "template", k, "longer than 255 characters");
			if (!(t->pfx_csp = strdup(v)))
				return fail(EX_OSERR, "out of memory");
		} else if (!strcmp(k, "wildcard")) {
			if (yes_no(v, &flag))
				return bad_key(t, "template", k, "'%s' is not yes or no", printable(v));
			t->wildcard = flag;
		} else if (!strcmp(k, "subject")) {
			if (!NCONF_get_section(t->conf, v)) {
				ERR_clear_error();
				return bad_key(t, "template", k, "no section [%s] in this file", printable(v));
			}
			free(t->subject_section);
			if (!(t->subject_section = strdup(v)))
				return fail(EX_OSERR, "out of memory");
		} else if (!strcmp(k, "min_rsa_bits")) {
			long bits;

			errno = 0;
			bits = strtol(v, &end, 10);
			if (errno || end == v || *end || bits < 2048 || bits > 16384)
				return bad_key(t, "template", k,
					       "'%s' is not a number of bits between 2048 and 16384",
					       printable(v));
			t->min_rsa_bits = (int)bits;
		} else {
			return bad_key(t, "template", k,
				       "unknown key%s (description, key, days, digest, pfx, pfx_csp, "
				       "wildcard, subject, min_rsa_bits)",
				       "");
		}
	}
	if (!t->pfx_csp && !(t->pfx_csp = strdup("Microsoft RSA SChannel Cryptographic Provider")))
		return fail(EX_OSERR, "out of memory");
	if (!t->description && !(t->description = strdup("")))
		return fail(EX_OSERR, "out of memory");
	return 0;
}

static int check_subject(struct template *t)
{
	STACK_OF(CONF_VALUE) *sec;
	X509_NAME *name;
	int i, rc = 0;

	if (!t->subject_section)
		return 0;
	sec = NCONF_get_section(t->conf, t->subject_section);
	name = X509_NAME_new();
	if (!name)
		return fail(EX_OSERR, "out of memory");
	for (i = 0; i < sk_CONF_VALUE_num(sec) && rc == 0; i++) {
		CONF_VALUE *cv = sk_CONF_VALUE_value(sec, i);

		if (!strcasecmp(cv->name, "CN") || !strcasecmp(cv->name, "commonName"))
			rc = bad_key(t, t->subject_section, cv->name,
				     "the common name comes from the first host");
		else if (!X509_NAME_add_entry_by_txt(name, cv->name, MBSTRING_UTF8,
						     (const unsigned char *)cv->value, -1, -1, 0))
			rc = bad_key(t, t->subject_section, cv->name, "not a valid name attribute: %s",
				     ssl_reason());
	}
	X509_NAME_free(name);
	return rc;
}

/* Extensions minica sets itself, or that no leaf template may ask for. */
static int check_extension(struct template *t, const CONF_VALUE *cv, X509_EXTENSION *ext)
{
	int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext)), rc = 0;

	switch (nid) {
	case NID_subject_alt_name:
		return bad_key(t, "extensions", cv->name,
			       "set by minica from the host names; remove it");
	case NID_subject_key_identifier:
	case NID_authority_key_identifier:
		return bad_key(t, "extensions", cv->name,
			       "set by minica (key identifier only); remove it");
	case NID_name_constraints:
		return bad_key(t, "extensions", cv->name, "belongs on the CA, not a leaf");
	case NID_basic_constraints: {
		BASIC_CONSTRAINTS *bc = X509V3_EXT_d2i(ext);

		if (bc && bc->ca)
			rc = bad_key(t, "extensions", cv->name,
				     "CA:TRUE is not allowed: minica issues leaf certificates only");
		BASIC_CONSTRAINTS_free(bc);
		return rc;
	}
	case NID_key_usage: {
		ASN1_BIT_STRING *ku = X509V3_EXT_d2i(ext);

		if (ku && (ASN1_BIT_STRING_get_bit(ku, 5) || ASN1_BIT_STRING_get_bit(ku, 6)))
			rc = bad_key(t, "extensions", cv->name,
				     "keyCertSign and cRLSign belong to the CA only");
		ASN1_BIT_STRING_free(ku);
		return rc;
	}
	default:
		return 0;
	}
}

static int check_extensions(struct template *t)
{
	STACK_OF(CONF_VALUE) *sec = NCONF_get_section(t->conf, "extensions");
	X509V3_CTX ctx;
	int i, rc = 0;

	if (!sec) {
		ERR_clear_error();
		return fail(EX_DATAERR, "template %s: no [extensions] section", t->path);
	}
	X509V3_set_ctx(&ctx, NULL, NULL, NULL, NULL, X509V3_CTX_TEST);
	X509V3_set_nconf(&ctx, t->conf);
	for (i = 0; i < sk_CONF_VALUE_num(sec) && rc == 0; i++) {
		CONF_VALUE *cv = sk_CONF_VALUE_value(sec, i);
		X509_EXTENSION *ext = X509V3_EXT_nconf(t->conf, &ctx, cv->name, cv->value);

		if (!ext) {
			const char *reason = ssl_reason();

			rc = bad_key(t, "extensions", cv->name, "%s",
				     *reason ? reason : "not a valid extension");
			continue;
		}
		rc = check_extension(t, cv, ext);
		X509_EXTENSION_free(ext);
	}
	return rc;
}

static int read_file(struct template *t)
{
	FILE *f = fopen(t->path, "rb");
	struct stat st;
	int rc = 0;

	if (!f)
		return fail(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "template %s: %s", t->path,
			    strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TEMPLATE_MAX_BYTES) {
		rc = fail(EX_DATAERR, "template %s: not a regular file of at most %d bytes", t->path,
			  TEMPLATE_MAX_BYTES);
		goto out;
	}
	t->text = malloc((size_t)st.st_size + 1);
	if (!t->text) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	t->text_len = fread(t->text, 1, (size_t)st.st_size, f);
	t->text[t->text_len] = '\0';
	if (ferror(f))
		rc = fail(EX_IOERR, "template %s: read error", t->path);
out:
	fclose(f);
	return rc;
}

/*
 * A template is one file: each certificate records its SHA-256, which says
 * nothing about a file it would include (and an include of /dev/zero would
 * never end).
 */
static int refuse_includes(const struct template *t)
{
	const char *p = t->text, *end = t->text + t->text_len;
	long line = 1;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(end - p) >= 8 && !strncmp(p, ".include", 8))
			return fail(EX_DATAERR, "template %s line %ld: .include is not allowed: a template "
						"is one file, whose SHA-256 each certificate records",
				    t->path, line);
		if (!eol)
			break;
		p = eol + 1;
		line++;
	}
	return 0;
}

int template_load(const char *name, struct template **out)
{
	struct template *t = calloc(1, sizeof(*t));
	BIO *bio = NULL;
	long errline = -1;
	unsigned int hlen = 0;
	int rc;

	*out = NULL;
	if (!t || !(t->name = strdup(name))) {
		free(t);
		return fail(EX_OSERR, "out of memory");
	}
	if ((rc = find(name, &t->path)) || (rc = read_file(t)))
		goto out;
	if (!EVP_Digest(t->text, t->text_len, t->hash, &hlen, EVP_sha256(), NULL)) {
		rc = fail_ssl(EX_SOFTWARE, "template %s: cannot hash", t->path);
		goto out;
	}
	t->conf = NCONF_new(NULL);
	bio = BIO_new_mem_buf(t->text, (int)t->text_len);
	if (!t->conf || !bio) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if ((rc = refuse_includes(t)))
		goto out;
	if (NCONF_load_bio(t->conf, bio, &errline) <= 0) {
		if (errline > 0)
			rc = fail_ssl(EX_DATAERR, "template %s line %ld: syntax error", t->path,
				      errline);
		else
			rc = fail_ssl(EX_DATAERR, "template %s: cannot be read", t->path);
		goto out;
	}
	if ((rc = read_settings(t)) || (rc = check_subject(t)) || (rc = check_extensions(t)))
		goto out;
	*out = t;
	t = NULL;
out:
	BIO_free(bio);
	template_free(t);
	return rc;
}

void template_free(struct template *t)
{
	if (!t)
		return;
	NCONF_free(t->conf);
	free(t->name);
	free(t->path);
	free(t->text);
	free(t->description);
	free(t->pfx_csp);
	free(t->subject_section);
	free(t);
}

int template_apply(const struct template *t, X509 *leaf, X509 *issuer)
{
	STACK_OF(CONF_VALUE) *sec;
	X509V3_CTX ctx;
	int i;

	if (t->subject_section) {
		X509_NAME *name = X509_get_subject_name(leaf);

		sec = NCONF_get_section(t->conf, t->subject_section);
		for (i = 0; i < sk_CONF_VALUE_num(sec); i++) {
			CONF_VALUE *cv = sk_CONF_VALUE_value(sec, i);

			if (!X509_NAME_add_entry_by_txt(name, cv->name, MBSTRING_UTF8,
							(const unsigned char *)cv->value, -1, -1, 0))
				return fail_ssl(EX_DATAERR, "template %s: subject %s", t->path, cv->name);
		}
	}
	X509V3_set_ctx(&ctx, issuer, leaf, NULL, NULL, 0);
	X509V3_set_nconf(&ctx, t->conf);
	if (!X509V3_EXT_add_nconf(t->conf, &ctx, "extensions", leaf))
		return fail_ssl(EX_DATAERR, "template %s: [extensions] cannot be applied", t->path);
	return 0;
}

int template_each(template_visit_fn fn, void *ctx)
{
	const char *dirs[3];
	char *seen[256];
	size_t n_seen = 0, i;
	int d, n = template_dirs(dirs), rc = 0;

	for (d = 0; d < n && rc == 0; d++) {
		struct dirent **list = NULL;
		int count = scandir(dirs[d], &list, NULL, alphasort), j;

		for (j = 0; j < count; j++) {
			char *name = list[j]->d_name, *path = NULL;
			size_t len = strlen(name);
			int dup = 0;

			if (rc == 0 && len > 4 && !strcmp(name + len - 4, ".cnf") && name[0] != '.') {
				name[len - 4] = '\0';
				for (i = 0; i < n_seen; i++)
					dup |= !strcmp(seen[i], name);
				if (!dup && n_seen < 256 && (seen[n_seen] = strdup(name))) {
					n_seen++;
					name[len - 4] = '.';
					path = path_join(dirs[d], name);
					name[len - 4] = '\0';
					rc = path ? fn(seen[n_seen - 1], path, ctx) : EX_OSERR;
					free(path);
				}
			}
			free(list[j]);
		}
		free(list);
	}
	for (i = 0; i < n_seen; i++)
		free(seen[i]);
	return rc;
}
