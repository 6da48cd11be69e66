/*
 * 'certutil -store My': Windows' own tool, in the language of the server.
 * Each certificate starts with a line such as
 *   ================ Certificate 0 ================   (de: Zertifikat, fr: Certificat)
 * and goes on with "Label: value" lines until the next such line, a blank
 * line, a prompt or "CertUtil: ..."; the labels that matter:
 *   en  Serial Number   Issuer     NotBefore  NotAfter    Subject        Cert Hash(sha1)
 *   de  Seriennummer    Aussteller Nicht vor  Nicht nach  Antragsteller  Zertifikathash(sha1)
 *   fr  Numéro de série Émetteur   NotBefore  NotAfter    Objet          Hach. cert. (sha1)
 * (French puts a no-break space before the colon; older French and German
 * Windows write NotBefore/NotAfter and "Hachage du certificat(sha1)").
 * The hash is hex with or without spaces between the bytes; dates are the
 * short date and short time of the culture ("10/22/2027 4:18 PM").
 */
#include <ctype.h>
#include <string.h>

#include "exchange.h"
#include "inventory_parser.h"

static const struct {
	const char *label; /* without spaces */
	const char *name;
} labels[] = {
	{"SerialNumber", "SerialNumber"},
	{"Seriennummer", "SerialNumber"},
	{"Num\xC3\xA9rodes\xC3\xA9rie", "SerialNumber"},
	{"Issuer", "Issuer"},
	{"Aussteller", "Issuer"},
	{"\xC3\x89metteur", "Issuer"},
	{"NotBefore", "NotBefore"},
	{"Nichtvor", "NotBefore"},
	{"NotAfter", "NotAfter"},
	{"Nichtnach", "NotAfter"},
	{"Subject", "Subject"},
	{"Antragsteller", "Subject"},
	{"Objet", "Subject"},
	{"CertHash(sha1)", "Thumbprint"},
	{"Zertifikathash(sha1)", "Thumbprint"},
	{"Hach.cert.(sha1)", "Thumbprint"},
	{"Hachageducertificat(sha1)", "Thumbprint"},
};

/* "================ Certificate 0 ================" in any language. */
static int separator(const char *s)
{
	size_t eq = strspn(s, "="), len = strlen(s);
	const char *p;

	if (eq < 8 || s[eq] != ' ' || len < 2 * eq + 4 || strspn(s + len - eq, "=") != eq ||
	    s[len - eq - 1] != ' ')
		return 0;
	/* a word, a space, a number between the two rules */
	p = s + len - eq - 2;
	if (!isdigit((unsigned char)*p))
		return 0;
	while (p > s + eq && isdigit((unsigned char)*p))
		p--;
	return *p == ' ' && p > s + eq + 1;
}

/* The property a label line names, and where its value starts; NULL when none. */
static const char *label_of(const char *s, const char **value)
{
	const char *colon = strchr(s, ':');
	char key[48];
	size_t i, k = 0;

	if (!colon || colon == s)
		return NULL;
	for (i = 0; s + i < colon; i++) {
		if (s[i] == ' ')
			continue;
		if (k + 1 >= sizeof(key))
			return NULL;
		key[k++] = s[i];
	}
	key[k] = '\0';
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (!strcasecmp(key, labels[i].label)) {
			*value = colon + 1 + strspn(colon + 1, " ");
			return labels[i].name;
		}
	return NULL;
}

int inv_read_certutil(struct parser *p)
{
	size_t i = 0, j;

	while (i < p->n_lines && !p->oom) {
		struct run *run;

		if (p->lines[i].claimed || !separator(p->lines[i].s)) {
			i++;
			continue;
		}
		p->lines[i].claimed = 1;
		if (!(run = inv_new_run(p, (long)i + 1, INV_CERTUTIL)))
			return -1;
		for (j = i + 1; j < p->n_lines; j++) {
			struct line *l = &p->lines[j];
			const char *name, *value = NULL;

			if (l->claimed || l->prompt || !l->len || separator(l->s))
				break;
			l->claimed = 1;
			run->last = (long)j + 1;
			if (!strncasecmp(l->s, "CertUtil:", 9)) {
				j++;
				break;
			}
			name = label_of(l->s + strspn(l->s, " "), &value);
			if (name && !inv_find_prop(run, name) &&
			    inv_add_prop_in_text(p, run, name, l->s + (value - l->s), strlen(value),
						 (long)j + 1))
				return -1;
		}
		i = j;
	}
	return p->oom ? -1 : 0;
}
