/*
 * Host names: RFC 1123 labels (letters, digits, hyphens; 1-63 characters,
 * not starting or ending with a hyphen), at most 253 characters, an optional
 * leading "*." only when the template allows wildcards, and IP literals,
 * which become iPAddress SANs. Names are compared and stored in lower case.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "issue.h"
#include "common/common.h"

void hostlist_free(struct hostlist *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->names[i]);
	free(h->names);
	free(h->is_ip);
	free(h->qualified);
	memset(h, 0, sizeof(*h));
}

static int bad(const char *in, const char *why)
{
	return fail(EX_DATAERR, "host name '%s': %s", printable(in), why);
}

static int ip_literal(const char *in, char **out)
{
	unsigned char buf[16];
	char text[INET6_ADDRSTRLEN], inner[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(in);

	if (len >= 2 && in[0] == '[' && in[len - 1] == ']' && len - 2 < sizeof(inner)) {
		memcpy(inner, in + 1, len - 2);
		inner[len - 2] = '\0';
		in = inner;
	}
	if (inet_pton(AF_INET, in, buf) == 1 && inet_ntop(AF_INET, buf, text, sizeof(text)))
		return (*out = strdup(text)) ? 1 : -1;
	if (inet_pton(AF_INET6, in, buf) == 1 && inet_ntop(AF_INET6, buf, text, sizeof(text)))
		return (*out = strdup(text)) ? 1 : -1;
	return 0;
}

int host_check(const char *in, int allow_wildcard, char **out, int *is_ip)
{
	char *name = NULL, msg[160];
	size_t len = strlen(in), i, label_start, label_len;
	int r, all_digits = 1;

	*out = NULL;
	*is_ip = 0;
	if (len == 0)
		return fail(EX_DATAERR, "host name is empty");
	r = ip_literal(in, out);
	if (r < 0)
		return fail(EX_OSERR, "out of memory");
	if (r > 0) {
		*is_ip = 1;
		return 0;
	}
	if (len > 1 && in[len - 1] == '.')
		len--; /* "mail-hub1.corp.example." is absolute, same name */
	if (len > HOST_MAX) {
		snprintf(msg, sizeof(msg), "%zu characters long; the limit is %d", len, HOST_MAX);
		return bad(in, msg);
	}
	if (in[0] == '*') {
		if (!allow_wildcard)
			return bad(in, "wildcards need a template that allows them (wildcard = yes)");
		if (len < 2 || in[1] != '.')
			return bad(in, "a wildcard must be a whole leftmost label, as in '*.corp.example'");
		if (!memchr(in + 2, '.', len - 2))
			return bad(in, "a wildcard needs at least two labels after '*.'");
	}
	for (i = in[0] == '*' ? 2 : 0, label_start = i; i <= len; i++) {
		char c = i < len ? in[i] : '.';

		if (c == '.') {
			label_len = i - label_start;
			if (label_len == 0)
				return bad(in, "has an empty label ('..' or a leading '.')");
			if (label_len > 63) {
				snprintf(msg, sizeof(msg), "label %zu is %zu characters long; the limit is 63",
					 label_start, label_len);
				return bad(in, msg);
			}
			if (in[label_start] == '-' || in[i - 1] == '-')
				return bad(in, "a label cannot start or end with '-'");
			all_digits = 1;
			for (size_t j = label_start; j < i; j++)
				all_digits &= isdigit((unsigned char)in[j]) != 0;
			label_start = i + 1;
			continue;
		}
		if (c == '_')
			return bad(in, "'_' is not allowed in host names (RFC 1123: letters, digits, "
				       "'-' and '.')");
		if (c == '*')
			return bad(in, "'*' is only allowed as the whole leftmost label");
		if (!isalnum((unsigned char)c) && c != '-') {
			if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
				snprintf(msg, sizeof(msg),
					 "'%c' is not allowed (letters, digits, '-' and '.' only)", c);
			else
				snprintf(msg, sizeof(msg),
					 "byte 0x%02X is not allowed (letters, digits, '-' and '.' only)",
					 (unsigned char)c);
			return bad(in, msg);
		}
	}
	if (all_digits)
		return bad(in, "looks like an IP address but is not a valid one");
	name = malloc(len + 1);
	if (!name)
		return fail(EX_OSERR, "out of memory");
	for (i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)in[i]);
	name[len] = '\0';
	*out = name;
	return 0;
}

static int within(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (suffix[0] == '.') /* ".corp.example": subdomains only */
		return n > s && !strcasecmp(name + n - s, suffix);
	if (n == s)
		return !strcasecmp(name, suffix);
	return n > s && name[n - s - 1] == '.' && !strcasecmp(name + n - s, suffix);
}

static int permitted(const struct ca *ca, const char *name)
{
	const char *check = name[0] == '*' ? name + 2 : name;
	size_t i;

	if (ca->n_permitted == 0)
		return 1;
	for (i = 0; i < ca->n_permitted; i++)
		if (within(check, ca->permitted[i]))
			return 1;
	return 0;
}

static char *permitted_list(const struct ca *ca)
{
	static char buf[256];
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < ca->n_permitted && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? ", " : "",
					 ca->permitted[i]);
	return buf;
}

static int add_name(struct hostlist *h, char *name, int is_ip, int qualified)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		if (!strcmp(h->names[i], name)) {
			free(name);
			return 0;
		}
	}
	h->names[h->n] = name;
	h->is_ip[h->n] = (unsigned char)is_ip;
	h->qualified[h->n] = (unsigned char)qualified;
	h->n++;
	return 0;
}

static char *qualify(const char *name, const char *domain)
{
	size_t len = strlen(name) + 1 + strlen(domain) + 1;
	char *q = malloc(len);

	if (q)
		snprintf(q, len, "%s.%s", name, domain);
	return q;
}

/*
 * A short name also gets NAME.<domain> (Exchange lists both). Under DNS name
 * constraints no verifier accepts a short name, so it is replaced by its
 * qualified form instead, and refused when the store has no domain.
 */
int hosts_resolve(char *const *in, size_t n, const struct ca *ca, int allow_wildcard,
		  struct hostlist *out)
{
	size_t i;
	int rc = 0, is_ip;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return fail(EX_USAGE, "no host name given (use --host NAME)");
	out->names = calloc(2 * n, sizeof(char *));
	out->is_ip = calloc(2 * n, 1);
	out->qualified = calloc(2 * n, 1);
	if (!out->names || !out->is_ip || !out->qualified) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *name = NULL, *q = NULL;

		if ((rc = host_check(in[i], allow_wildcard, &name, &is_ip)))
			goto out;
		if (is_ip || strchr(name, '.')) {
			if (!is_ip && !permitted(ca, name)) {
				rc = fail(EX_DATAERR,
					  "host name '%s' is outside the CA's permitted DNS names (%s)",
					  name, permitted_list(ca));
				free(name);
				goto out;
			}
			add_name(out, name, is_ip, 0);
			continue;
		}
		if (ca->domain) {
			q = qualify(name, ca->domain);
			if (!q) {
				free(name);
				rc = fail(EX_OSERR, "out of memory");
				goto out;
			}
			if (strlen(q) > HOST_MAX) {
				rc = fail(EX_DATAERR, "host name '%s' is longer than %d characters", q,
					  HOST_MAX);
				free(name);
				free(q);
				goto out;
			}
		}
		if (ca->n_permitted) {
			if (!q) {
				rc = fail(EX_DATAERR,
					  "host name '%s': a short name cannot satisfy the CA's name "
					  "constraints (%s) and the store has no default domain; give "
					  "the full name",
					  name, permitted_list(ca));
				free(name);
				goto out;
			}
			if (!permitted(ca, q)) {
				rc = fail(EX_DATAERR,
					  "host name '%s' is outside the CA's permitted DNS names (%s)",
					  q, permitted_list(ca));
				free(name);
				free(q);
				goto out;
			}
			free(name);
			add_name(out, q, 0, 1);
			continue;
		}
		add_name(out, name, 0, 0);
		if (q)
			add_name(out, q, 0, 0);
	}
out:
	if (rc)
		hostlist_free(out);
	return rc;
}

/*
 * Said by the caller once the certificate exists, so that a failure later
 * on stays one line.
 */
void hosts_note_qualified(const struct hostlist *h, const struct ca *ca)
{
	size_t i, dl = ca->domain ? strlen(ca->domain) : 0;

	for (i = 0; i < h->n; i++) {
		size_t len = strlen(h->names[i]);

		if (!h->qualified[i] || len <= dl + 1)
			continue;
		notice("%.*s: issued as %s: the CA's name constraints (%s) reject short names",
		       (int)(len - dl - 1), h->names[i], h->names[i], permitted_list(ca));
	}
}

/* File names from host names: "*" becomes "wildcard", IPv6 ':' (invalid on Windows) '_'. */
int host_file_name(const char *host, char *out, size_t size)
{
	size_t i, o = 0, len = strlen(host);

	if (len + 8 >= size)
		return -1;
	for (i = 0; i < len; i++) {
		if (host[i] == '*') {
			memcpy(out + o, "wildcard", 8);
			o += 8;
		} else {
			out[o++] = host[i] == ':' ? '_' : host[i];
		}
	}
	out[o] = '\0';
	return 0;
}
