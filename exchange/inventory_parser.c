/*
 * What the inventory reader's two halves share (inventory.c reads lines and
 * objects, inventory_cert.c reads one certificate): property names and
 * look-ups, growing arrays, and the notes. Both call down into this file,
 * never into each other in a loop.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "inventory_parser.h"

/* Properties of Exchange's certificate objects (2007 to 2019, 'fl' and 'fl *'). */
static const char *const cert_properties[] = {
	"AccessRules", "Archived", "CertificateDomains", "CertificateRequest", "DnsNameList",
	"Extensions", "FriendlyName", "Handle", "HasPrivateKey", "IISServices", "Identity",
	"IsSelfSigned", "IsValid", "Issuer", "IssuerName", "KeyIdentifier", "NotAfter",
	"NotBefore", "ObjectState", "OriginatingServer", "PrivateKey", "PrivateKeyExportable",
	"PublicKey", "PublicKeySize", "RawData", "RootCAType", "SendAsTrustedIssuer",
	"SerialNumber", "ServerName", "Services", "ServicesStringForm", "SignatureAlgorithm",
	"Status", "Subject", "SubjectKeyIdentifier", "SubjectName", "Thumbprint", "Version",
};

int inv_is_cert_property(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cert_properties) / sizeof(cert_properties[0]); i++)
		if (!strcasecmp(name, cert_properties[i]))
			return 1;
	return 0;
}

void *inv_grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	q = realloc(p, n * size);
	if (q)
		*cap = n;
	return q;
}

/* A value quoted in a note: at most QUOTE_MAX bytes, cut on a UTF-8 boundary. */
const char *inv_quote(const char *value, char buf[QUOTE_MAX + 4])
{
	size_t len = strlen(value);

	if (len <= QUOTE_MAX)
		return value;
	len = QUOTE_MAX;
	while (len > 0 && ((unsigned char)value[len] & 0xC0) == 0x80)
		len--;
	memcpy(buf, value, len);
	memcpy(buf + len, "...", 4);
	return buf;
}

void inv_note(struct parser *p, long line, const char *fmt, ...)
{
	struct inventory *inv = p->inv;
	struct inv_note *grown;
	va_list ap;
	char *text = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	grown = n < 0 ? NULL : inv_grow(inv->notes, &inv->cap_notes, inv->n_notes + 1, sizeof(*grown));
	if (!grown) {
		if (n >= 0)
			free(text);
		p->oom = 1;
		return;
	}
	inv->notes = grown;
	inv->notes[inv->n_notes].line = line;
	inv->notes[inv->n_notes].text = text;
	inv->n_notes++;
}

struct prop *inv_find_prop(const struct run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcasecmp(r->props[i].name, name))
			return &r->props[i];
	return NULL;
}

int inv_has_thumbprint(const struct run *r)
{
	return inv_find_prop(r, "Thumbprint") != NULL;
}
