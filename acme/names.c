/*
 * Which names an ACME account may order: EAB accounts only names under the
 * suffixes of their key (`acme account add --names`), accounts without EAB
 * only names under the store's default domain; always only names inside
 * the CA's own name constraints, which every verifier enforces anyway.
 */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "acme.h"

int acme_name_under(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (s && suffix[0] == '.') {
		suffix++;
		s--;
	}
	if (!s || n < s || strcasecmp(name + n - s, suffix))
		return 0;
	return n == s || name[n - s - 1] == '.';
}

const char *acme_name_refused(const struct ca *ca, json_t *suffixes, const char *name)
{
	size_t i;
	json_t *v;
	int ok = 0;

	if (suffixes) {
		json_array_foreach(suffixes, i, v)
			if (json_is_string(v) && acme_name_under(name, json_string_value(v)))
				ok = 1;
		if (!ok)
			return "is not under the names this account may order";
	} else if (!ca->domain || !acme_name_under(name, ca->domain)) {
		return "is not under the store's default domain (accounts without external account "
		       "binding may order only those)";
	}
	if (ca->n_permitted) {
		ok = 0;
		for (i = 0; i < ca->n_permitted; i++)
			if (acme_name_under(name, ca->permitted[i]))
				ok = 1;
		if (!ok)
			return "is outside the CA's name constraints";
	}
	return NULL;
}
