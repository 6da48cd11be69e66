/* Problem documents (RFC 7807 as RFC 8555 section 6.7 uses them). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

static const struct {
	const char *name;
	int status;
} problems[] = {
	[ACME_OK] = {"", 200},
	[ACME_MALFORMED] = {"malformed", 400},
	[ACME_BAD_NONCE] = {"badNonce", 400},
	[ACME_UNAUTHORIZED] = {"unauthorized", 403},
	[ACME_BAD_SIGNATURE_ALGORITHM] = {"badSignatureAlgorithm", 400},
	[ACME_ACCOUNT_DOES_NOT_EXIST] = {"accountDoesNotExist", 400},
	[ACME_REJECTED_IDENTIFIER] = {"rejectedIdentifier", 400},
	[ACME_UNSUPPORTED_IDENTIFIER] = {"unsupportedIdentifier", 400},
	[ACME_BAD_CSR] = {"badCSR", 400},
	[ACME_ORDER_NOT_READY] = {"orderNotReady", 403},
	[ACME_SERVER_INTERNAL] = {"serverInternal", 500},
	[ACME_EAB_REQUIRED] = {"externalAccountRequired", 400},
	[ACME_INCORRECT_RESPONSE] = {"incorrectResponse", 403},
	[ACME_CONNECTION] = {"connection", 400},
	[ACME_DNS] = {"dns", 400},
	[ACME_TLS] = {"tls", 400},
	[ACME_ALREADY_REVOKED] = {"alreadyRevoked", 400},
	[ACME_BAD_REVOCATION_REASON] = {"badRevocationReason", 400},
	[ACME_BAD_PUBLIC_KEY] = {"badPublicKey", 400},
	[ACME_UNSUPPORTED_CONTACT] = {"unsupportedContact", 400},
	[ACME_NOT_FOUND] = {"malformed", 404},
	[ACME_METHOD] = {"malformed", 405},
	[ACME_TOO_LARGE] = {"malformed", 413},
	[ACME_RATE_LIMITED] = {"rateLimited", 429},
};

static int known(enum acme_problem p)
{
	return (int)p >= 0 && (size_t)p < sizeof(problems) / sizeof(problems[0]);
}

const char *acme_problem_type(enum acme_problem p)
{
	static char buf[sizeof(problems) / sizeof(problems[0])][64];

	if (!known(p))
		p = ACME_SERVER_INTERNAL;
	if (!buf[p][0])
		snprintf(buf[p], sizeof(buf[p]), "urn:ietf:params:acme:error:%s", problems[p].name);
	return buf[p];
}

int acme_problem_status(enum acme_problem p)
{
	return known(p) ? problems[p].status : 500;
}

json_t *acme_problem_json(enum acme_problem p, const char *detail)
{
	return json_pack("{s:s, s:s, s:i}", "type", acme_problem_type(p), "detail",
			 detail ? detail : "", "status", acme_problem_status(p));
}

char *acme_problem_text(enum acme_problem p, const char *fmt, va_list ap)
{
	char detail[600], *text;
	json_t *doc;

	vsnprintf(detail, sizeof(detail), fmt, ap);
	doc = acme_problem_json(p, detail);
	text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	json_decref(doc);
	return text ? text : strdup("{}");
}
