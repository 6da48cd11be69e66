/*
 * The CA key on a PKCS#11 token (docs/token.md). Two libraries, each for what
 * it does and the other does not:
 *  - p11-kit parses RFC 7512 URIs, matches them against token information and
 *    knows the registered modules (used when the URI names no module-path);
 *    its pkcs11.h gives the raw calls for what libp11 cannot do warning-free:
 *    key generation with CKA_EXTRACTABLE false (C_GenerateKeyPair), the import
 *    of a file key (C_CreateObject) and the sealing secret's HMAC;
 *  - libp11 turns the private key object into an EVP_PKEY that X509_sign and
 *    X509_CRL_sign use as they use a file key: one signing path for both.
 * Both reach the same module: libp11 loads and initialises it, and the raw
 * calls use the function list of the same loaded library.
 *
 * The PIN is tried once: real tokens lock after a few wrong PINs, so a wrong
 * one is reported (exit 77), never retried.
 */
#include <dlfcn.h>
#include <libp11.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ca.h"
#include "common/common.h"

#define SEAL_SUFFIX " minica-seal"

struct ca_token {
	char *uri_text;
	P11KitUri *uri;
	char *module;                /* the module file that holds the token */
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots, *slot;
	unsigned int n_slots;
	void *dl;                    /* the same library, for the raw calls */
	CK_FUNCTION_LIST *fn;
	CK_SLOT_ID slot_id;
	CK_SESSION_HANDLE session;
	int has_session, logged_in;
	char *label;                 /* the URI's object= (CKA_LABEL), NULL when none */
	unsigned char *id;           /* the URI's id= (CKA_ID) */
	size_t id_len;
	EVP_PKEY *key;               /* libp11's key: lives as long as the context */
};

static int uri_attr(P11KitUri *uri, CK_ATTRIBUTE_TYPE type, void *out_ptr, size_t *len)
{
	CK_ATTRIBUTE *a = p11_kit_uri_get_attribute(uri, type);
	unsigned char **out = out_ptr;

	*out = NULL;
	*len = 0;
	if (!a || a->ulValueLen == (CK_ULONG)-1)
		return 0;
	*out = malloc(a->ulValueLen + 1);
	if (!*out)
		return fail(EX_OSERR, "out of memory");
	memcpy(*out, a->pValue, a->ulValueLen);
	(*out)[a->ulValueLen] = 0;
	*len = a->ulValueLen;
	return 0;
}

static int parse_uri(struct ca_token *t, const char *text)
{
	const char *path;
	size_t label_len;
	int r;

	t->uri = p11_kit_uri_new();
	if (!t->uri)
		return fail(EX_OSERR, "out of memory");
	if ((r = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, t->uri)) != P11_KIT_URI_OK)
		return fail(EX_USAGE, "key URI '%s': %s (an RFC 7512 URI, e.g. "
				      "'pkcs11:token=minica;object=ca')",
			    printable(text), p11_kit_uri_message(r));
	/* the PIN is a secret: never on a command line, so never in a URI */
	if (p11_kit_uri_get_pin_value(t->uri) || p11_kit_uri_get_pin_source(t->uri))
		return fail(EX_USAGE, "key URI '%s': remove pin-value/pin-source; the PIN comes from "
				      "--pin-file, $MINICA_PIN_FILE, the minica-pin credential or a prompt",
			    printable(text));
	if ((r = uri_attr(t->uri, CKA_LABEL, &t->label, &label_len)))
		return r;
	if ((r = uri_attr(t->uri, CKA_ID, &t->id, &t->id_len)))
		return r;
	if (!t->label && !t->id)
		return fail(EX_USAGE, "key URI '%s': name the key with object=LABEL (or id=)",
			    printable(text));
	path = p11_kit_uri_get_module_path(t->uri);
	if (path && !(t->module = strdup(path)))
		return fail(EX_OSERR, "out of memory");
	return 0;
}

/* Without module-path: the first registered module with a matching token. */
static int find_module(struct ca_token *t)
{
	CK_FUNCTION_LIST **mods = p11_kit_modules_load_and_initialize(0);
	const char *name = p11_kit_uri_get_module_name(t->uri);
	size_t i;
	int rc = 0;

	if (!mods)
		return fail(EX_UNAVAILABLE, "key URI %s: p11-kit cannot load its registered modules: "
					    "%s (give module-path= in the URI)",
			    t->uri_text, p11_kit_message());
	for (i = 0; mods[i] && !t->module; i++) {
		CK_SLOT_ID slots[64];
		CK_ULONG n = 64, j;
		char *mname = p11_kit_module_get_name(mods[i]);
		int skip = name && (!mname || strcmp(name, mname));

		free(mname);
		if (skip || mods[i]->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
			continue;
		for (j = 0; j < n && !t->module; j++) {
			CK_TOKEN_INFO info;

			if (mods[i]->C_GetTokenInfo(slots[j], &info) == CKR_OK &&
			    p11_kit_uri_match_token_info(t->uri, &info) == 1) {
				t->module = p11_kit_module_get_filename(mods[i]);
				if (!t->module)
					rc = fail(EX_OSERR, "out of memory");
			}
		}
	}
	p11_kit_modules_finalize_and_release(mods);
	if (!rc && !t->module)
		rc = fail(EX_NOINPUT, "key URI %s: no token of p11-kit's registered modules matches "
				      "(is the token plugged in? 'p11tool --list-token-urls' lists them)",
			  t->uri_text);
	return rc;
}

static int raw_functions(struct ca_token *t)
{
	CK_C_GetFunctionList get;

	/* libp11 has loaded this library: the same handle, already initialised */
	t->dl = dlopen(t->module, RTLD_NOW | RTLD_LOCAL);
	get = t->dl ? (CK_C_GetFunctionList)dlsym(t->dl, "C_GetFunctionList") : NULL;
	if (!get || get(&t->fn) != CKR_OK || !t->fn)
		return fail(EX_UNAVAILABLE, "PKCS#11 module %s: no C_GetFunctionList", t->module);
	return 0;
}

static int find_slot(struct ca_token *t)
{
	unsigned int i;
	int found = 0;

	for (i = 0; i < t->n_slots; i++) {
		CK_TOKEN_INFO info;
		CK_SLOT_ID id;

		if (!t->slots[i].token)
			continue;
		id = PKCS11_get_slotid_from_slot(&t->slots[i]);
		if (t->fn->C_GetTokenInfo(id, &info) != CKR_OK ||
		    p11_kit_uri_match_token_info(t->uri, &info) != 1)
			continue;
		if (found)
			return fail(EX_USAGE, "key URI %s: several tokens match; add token= or serial= "
					      "to the URI",
				    t->uri_text);
		t->slot = &t->slots[i];
		t->slot_id = id;
		found = 1;
	}
	if (!found)
		return fail(EX_NOINPUT, "key URI %s: no such token in module %s (is it plugged in? "
					"'p11tool --list-token-urls' lists the tokens)",
			    t->uri_text, t->module);
	return 0;
}

int token_open(const char *uri, struct ca_token **out)
{
	struct ca_token *t = calloc(1, sizeof(*t));
	struct stat sb;
	int rc;

	*out = NULL;
	if (!t || !(t->uri_text = strdup(uri))) {
		free(t);
		return fail(EX_OSERR, "out of memory");
	}
	if ((rc = parse_uri(t, uri)) || (!t->module && (rc = find_module(t))))
		goto out;
	if (stat(t->module, &sb) != 0) {
		rc = fail(EX_NOINPUT, "key URI %s: PKCS#11 module %s: not found (check module-path=)",
			  t->uri_text, t->module);
		goto out;
	}
	t->ctx = PKCS11_CTX_new();
	if (!t->ctx || PKCS11_CTX_load(t->ctx, t->module) != 0) {
		rc = fail_ssl(EX_UNAVAILABLE, "key URI %s: cannot load PKCS#11 module %s",
			      t->uri_text, t->module);
		goto out;
	}
	if (PKCS11_enumerate_slots(t->ctx, &t->slots, &t->n_slots) != 0) {
		rc = fail_ssl(EX_UNAVAILABLE, "PKCS#11 module %s: cannot list its slots", t->module);
		goto out;
	}
	if ((rc = raw_functions(t)) || (rc = find_slot(t)))
		goto out;
	if (t->fn->C_OpenSession(t->slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
				 &t->session) != CKR_OK) {
		rc = fail(EX_UNAVAILABLE, "key URI %s: cannot open a session on the token",
			  t->uri_text);
		goto out;
	}
	t->has_session = 1;
out:
	ERR_clear_error();
	if (rc)
		token_close(t);
	else
		*out = t;
	return rc;
}

const char *token_uri(const struct ca_token *t)
{
	return t->uri_text;
}

int token_pin_state(const struct ca_token *t)
{
	const PKCS11_TOKEN *tok = t->slot->token;

	if (tok->userPinLocked)
		return TOKEN_PIN_LOCKED;
	if (tok->userPinFinalTry || tok->userPinCountLow)
		return TOKEN_PIN_TRIED;
	return TOKEN_PIN_OK;
}

int token_login(struct ca_token *t, const char *pin, size_t pinlen)
{
	CK_RV rv;

	if (t->logged_in)
		return 0;
	rv = t->fn->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)pinlen);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		t->logged_in = 1;
		return 0;
	}
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE)
		return fail(EX_NOPERM, "wrong PIN for token %s (not retried: tokens lock after a few "
				       "wrong PINs; check --pin-file or $MINICA_PIN_FILE)",
			    t->uri_text);
	if (rv == CKR_PIN_LOCKED)
		return fail(EX_NOPERM, "token %s: the PIN is locked; unlock it with the token's SO "
				       "PIN or PUK (see docs/token.md)",
			    t->uri_text);
	return fail(EX_UNAVAILABLE, "token %s: login failed (PKCS#11 error 0x%lx)", t->uri_text,
		    (unsigned long)rv);
}

static int key_matches(const struct ca_token *t, const PKCS11_KEY *k)
{
	if (t->label && (!k->label || strcmp(k->label, t->label)))
		return 0;
	if (t->id && (k->id_len != t->id_len || memcmp(k->id, t->id, t->id_len)))
		return 0;
	return 1;
}

static int find_key(struct ca_token *t, PKCS11_KEY **out)
{
	PKCS11_KEY *keys = NULL;
	unsigned int n = 0, i;
	int r;

	*out = NULL;
	r = PKCS11_enumerate_keys(t->slot->token, &keys, &n);
	ERR_clear_error();
	if (r != 0)
		return fail(EX_UNAVAILABLE, "token %s: cannot list its keys", t->uri_text);
	for (i = 0; i < n; i++) {
		if (!key_matches(t, &keys[i]))
			continue;
		if (*out)
			return fail(EX_USAGE, "key URI %s: several keys match; add id= to the URI",
				    t->uri_text);
		*out = &keys[i];
	}
	return 0;
}

int token_key(struct ca_token *t, EVP_PKEY **out)
{
	PKCS11_KEY *k = NULL;
	EVP_PKEY *pk;
	int rc;

	*out = NULL;
	if ((rc = find_key(t, &k)))
		return rc;
	if (!k)
		return EX_NOINPUT; /* no message: the caller may make the key */
	pk = PKCS11_get_private_key(k);
	ERR_clear_error();
	if (!pk)
		return fail(EX_DATAERR, "key URI %s: the key is of a type minica cannot use (RSA "
					"3072/4096 or EC P-256/P-384)",
			    t->uri_text);
	/* the token's reference: freed before the module is unloaded, whatever the caller does */
	EVP_PKEY_free(t->key);
	t->key = pk;
	if (EVP_PKEY_up_ref(pk) != 1)
		return fail(EX_OSERR, "out of memory");
	*out = pk;
	return 0;
}

static int read_attr(struct ca_token *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		     unsigned char **val, size_t *len)
{
	CK_ATTRIBUTE a = {type, NULL, 0};

	*val = NULL;
	if (t->fn->C_GetAttributeValue(t->session, h, &a, 1) != CKR_OK ||
	    a.ulValueLen == (CK_ULONG)-1 || !(a.pValue = malloc(a.ulValueLen ? a.ulValueLen : 1)))
		return -1;
	if (t->fn->C_GetAttributeValue(t->session, h, &a, 1) != CKR_OK) {
		free(a.pValue);
		return -1;
	}
	*val = a.pValue;
	*len = a.ulValueLen;
	return 0;
}

/*
 * The token's public key object against a public key, compared on the raw
 * attributes (libp11 0.4.12 leaks the EVP_PKEY it would build for a public
 * key object). No login: public key objects are public.
 */
int token_public_matches(struct ca_token *t, EVP_PKEY *expected)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE q[3] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE h[2];
	CK_ULONG nq = 1, n = 0;
	unsigned char mine[1024], *theirs = NULL;
	size_t mlen = 0, tlen = 0, skip = 0;
	BIGNUM *bn = NULL;
	int is_ec = EVP_PKEY_is_a(expected, "EC"), rc = -1;

	if (t->label)
		q[nq++] = (CK_ATTRIBUTE){CKA_LABEL, t->label, strlen(t->label)};
	if (t->id)
		q[nq++] = (CK_ATTRIBUTE){CKA_ID, t->id, t->id_len};
	if (t->fn->C_FindObjectsInit(t->session, q, nq) != CKR_OK)
		return fail(EX_UNAVAILABLE, "token %s: cannot list its keys", t->uri_text);
	(void)t->fn->C_FindObjects(t->session, h, 2, &n);
	(void)t->fn->C_FindObjectsFinal(t->session);
	if (n == 0)
		return EX_NOINPUT;
	if (n > 1)
		return fail(EX_USAGE, "key URI %s: several keys match; add id= to the URI", t->uri_text);
	if (is_ec) {
		if (EVP_PKEY_get_octet_string_param(expected, OSSL_PKEY_PARAM_PUB_KEY, mine,
						    sizeof(mine), &mlen) != 1 ||
		    read_attr(t, h[0], CKA_EC_POINT, &theirs, &tlen))
			goto out;
		/* a DER OCTET STRING as PKCS#11 says, or the bare point as some tokens give it */
		if (tlen >= 2 && theirs[0] == 0x04 && theirs[1] == tlen - 2)
			skip = 2;
		else if (tlen >= 3 && theirs[0] == 0x04 && theirs[1] == 0x81 && theirs[2] == tlen - 3)
			skip = 3;
	} else {
		if (EVP_PKEY_get_bn_param(expected, OSSL_PKEY_PARAM_RSA_N, &bn) != 1 ||
		    BN_num_bytes(bn) > (int)sizeof(mine) ||
		    read_attr(t, h[0], CKA_MODULUS, &theirs, &tlen))
			goto out;
		mlen = (size_t)BN_bn2bin(bn, mine);
		while (skip < tlen && theirs[skip] == 0)
			skip++;
	}
	rc = tlen - skip == mlen && !memcmp(theirs + skip, mine, mlen) ? 0 : 1;
out:
	ERR_clear_error();
	BN_free(bn);
	free(theirs);
	return rc < 0 ? fail(EX_UNAVAILABLE, "token %s: cannot read its public key", t->uri_text)
		      : rc;
}

/* CKA_LABEL and CKA_ID of a new object: the URI's, a generated id when it has none. */
static int object_names(struct ca_token *t, CK_ATTRIBUTE *label, CK_ATTRIBUTE *id)
{
	if (!t->label)
		return fail(EX_USAGE, "key URI %s: a new key needs a name: add object=LABEL",
			    t->uri_text);
	if (!t->id) {
		t->id = malloc(16);
		if (!t->id || RAND_bytes(t->id, 16) != 1)
			return fail(EX_SOFTWARE, "cannot make a key id");
		t->id_len = 16;
	}
	*label = (CK_ATTRIBUTE){CKA_LABEL, t->label, strlen(t->label)};
	*id = (CK_ATTRIBUTE){CKA_ID, t->id, t->id_len};
	return 0;
}

static const unsigned char OID_P256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char OID_P384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

static void ec_params(const char *curve, CK_ATTRIBUTE *a)
{
	int p384 = !strcmp(curve, "P-384");

	*a = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)(p384 ? OID_P384 : OID_P256),
			    p384 ? sizeof(OID_P384) : sizeof(OID_P256)};
}

static int p11_fail(const struct ca_token *t, const char *what, CK_RV rv)
{
	if (rv == CKR_MECHANISM_INVALID || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
	    rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_KEY_SIZE_RANGE ||
	    rv == CKR_DOMAIN_PARAMS_INVALID)
		return fail(EX_DATAERR, "token %s: %s: the token does not support this key type "
					"(PKCS#11 error 0x%lx)",
			    t->uri_text, what, (unsigned long)rv);
	return fail(EX_UNAVAILABLE, "token %s: %s failed (PKCS#11 error 0x%lx)", t->uri_text,
		    what, (unsigned long)rv);
}

int token_generate(struct ca_token *t, const struct keyspec *spec)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = (CK_ULONG)spec->bits;
	CK_BYTE exponent[] = {0x01, 0x00, 0x01};
	CK_MECHANISM mech = {spec->is_ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pub[6], priv[10];
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_ULONG npub = 0, npriv = 0;
	CK_RV rv;
	int rc;

	if ((rc = object_names(t, &pub[0], &pub[1])))
		return rc;
	priv[0] = pub[0];
	priv[1] = pub[1];
	npub = npriv = 2;
	pub[npub++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof(yes)};
	pub[npub++] = (CK_ATTRIBUTE){CKA_VERIFY, &yes, sizeof(yes)};
	if (spec->is_ec) {
		ec_params(spec->curve, &pub[npub++]);
	} else {
		pub[npub++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof(bits)};
		pub[npub++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent)};
	}
	/* the key never leaves the token: sensitive, not extractable */
	priv[npriv++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof(yes)};
	priv[npriv++] = (CK_ATTRIBUTE){CKA_PRIVATE, &yes, sizeof(yes)};
	priv[npriv++] = (CK_ATTRIBUTE){CKA_SENSITIVE, &yes, sizeof(yes)};
	priv[npriv++] = (CK_ATTRIBUTE){CKA_EXTRACTABLE, &no, sizeof(no)};
	priv[npriv++] = (CK_ATTRIBUTE){CKA_SIGN, &yes, sizeof(yes)};
	/* a CA key signs, nothing else */
	priv[npriv++] = (CK_ATTRIBUTE){CKA_DECRYPT, &no, sizeof(no)};
	priv[npriv++] = (CK_ATTRIBUTE){CKA_UNWRAP, &no, sizeof(no)};
	rv = t->fn->C_GenerateKeyPair(t->session, &mech, pub, npub, priv, npriv, &hpub, &hpriv);
	return rv == CKR_OK ? 0 : p11_fail(t, "generating the key", rv);
}

/* A big number as PKCS#11 wants it: unsigned big-endian, in a buffer wiped on release. */
static int bn_attr(EVP_PKEY *key, const char *param, size_t pad, CK_ATTRIBUTE_TYPE type,
		   CK_ATTRIBUTE *a)
{
	BIGNUM *bn = NULL;
	size_t n;
	int ok = 0;

	a->type = type;
	a->pValue = NULL;
	a->ulValueLen = 0;
	if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
		goto out;
	n = pad ? pad : (size_t)BN_num_bytes(bn);
	a->pValue = OPENSSL_zalloc(n ? n : 1);
	if (a->pValue && BN_bn2binpad(bn, a->pValue, (int)n) == (int)n) {
		a->ulValueLen = n;
		ok = 1;
	}
out:
	BN_clear_free(bn);
	return ok ? 0 : -1;
}

static void attrs_wipe(CK_ATTRIBUTE *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].pValue)
			OPENSSL_clear_free(a[i].pValue, a[i].ulValueLen ? a[i].ulValueLen : 1);
}

/* The EC public point as CKA_EC_POINT wants it: a DER OCTET STRING. */
static int ec_point_attr(EVP_PKEY *key, CK_ATTRIBUTE *a)
{
	unsigned char pt[160], *der;
	size_t n = 0;

	a->type = CKA_EC_POINT;
	a->pValue = NULL;
	if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n) != 1 ||
	    n > 127)
		return -1;
	der = OPENSSL_zalloc(n + 2);
	if (!der)
		return -1;
	der[0] = 0x04;
	der[1] = (unsigned char)n;
	memcpy(der + 2, pt, n);
	a->pValue = der;
	a->ulValueLen = n + 2;
	return 0;
}

int token_import(struct ca_token *t, EVP_PKEY *key)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS cpriv = CKO_PRIVATE_KEY, cpub = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt;
	CK_ATTRIBUTE priv[24], pub[10], secret[8], shared[2];
	CK_OBJECT_HANDLE hpriv = 0, hpub = 0;
	size_t ns = 0, np = 0, nq = 0, i;
	char curve[32];
	int is_ec = EVP_PKEY_is_a(key, "EC"), rc, bad = 0;
	CK_RV rv;

	memset(secret, 0, sizeof(secret));
	if ((rc = object_names(t, &shared[0], &shared[1])))
		return rc;
	kt = is_ec ? CKK_EC : CKK_RSA;
	for (i = 0; i < 2; i++)
		priv[np++] = pub[nq++] = shared[i];
	priv[np++] = (CK_ATTRIBUTE){CKA_CLASS, &cpriv, sizeof(cpriv)};
	pub[nq++] = (CK_ATTRIBUTE){CKA_CLASS, &cpub, sizeof(cpub)};
	priv[np++] = pub[nq++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &kt, sizeof(kt)};
	priv[np++] = pub[nq++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof(yes)};
	pub[nq++] = (CK_ATTRIBUTE){CKA_VERIFY, &yes, sizeof(yes)};
	priv[np++] = (CK_ATTRIBUTE){CKA_PRIVATE, &yes, sizeof(yes)};
	priv[np++] = (CK_ATTRIBUTE){CKA_SENSITIVE, &yes, sizeof(yes)};
	priv[np++] = (CK_ATTRIBUTE){CKA_EXTRACTABLE, &no, sizeof(no)};
	priv[np++] = (CK_ATTRIBUTE){CKA_SIGN, &yes, sizeof(yes)};
	priv[np++] = (CK_ATTRIBUTE){CKA_DECRYPT, &no, sizeof(no)};
	priv[np++] = (CK_ATTRIBUTE){CKA_UNWRAP, &no, sizeof(no)};
	if (is_ec) {
		size_t len = 0;

		if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve,
						   sizeof(curve), &len) != 1 ||
		    (strcmp(curve, "prime256v1") && strcmp(curve, "secp384r1")))
			return fail(EX_DATAERR, "the CA key's curve cannot go on a token (P-256 or "
						"P-384)");
		ec_params(strcmp(curve, "secp384r1") ? "P-256" : "P-384", &priv[np]);
		pub[nq++] = priv[np++];
		bad |= bn_attr(key, OSSL_PKEY_PARAM_PRIV_KEY, (size_t)(EVP_PKEY_get_bits(key) + 7) / 8,
			       CKA_VALUE, &secret[ns++]);
		if (ec_point_attr(key, &secret[ns++]))
			bad = 1;
	} else {
		bad |= bn_attr(key, OSSL_PKEY_PARAM_RSA_N, 0, CKA_MODULUS, &secret[ns++]);
		bad |= bn_attr(key, OSSL_PKEY_PARAM_RSA_E, 0, CKA_PUBLIC_EXPONENT, &secret[ns++]);
		bad |= bn_attr(key, OSSL_PKEY_PARAM_RSA_D, 0, CKA_PRIVATE_EXPONENT, &secret[ns++]);
		bad |= bn_attr(key, OSSL_PKEY_PARAM_RSA_FACTOR1, 0, CKA_PRIME_1, &secret[ns++]);
		bad |= bn_attr(key, OSSL_PKEY_PARAM_RSA_FACTOR2, 0, CKA_PRIME_2, &secret[ns++]);
		bad |= bn_attr(key, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0, CKA_EXPONENT_1, &secret[ns++]);
		bad |= bn_attr(key, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0, CKA_EXPONENT_2, &secret[ns++]);
		bad |= bn_attr(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0, CKA_COEFFICIENT,
			       &secret[ns++]);
	}
	if (bad) {
		rc = fail_ssl(EX_SOFTWARE, "cannot read the CA key's parameters");
		goto out;
	}
	if (is_ec) {
		priv[np++] = secret[0];
		pub[nq++] = secret[1];
	} else {
		for (i = 0; i < ns; i++)
			priv[np++] = secret[i];
		pub[nq++] = secret[0];
		pub[nq++] = secret[1];
	}
	rv = t->fn->C_CreateObject(t->session, priv, np, &hpriv);
	if (rv == CKR_OK)
		rv = t->fn->C_CreateObject(t->session, pub, nq, &hpub);
	if (rv != CKR_OK) {
		if (hpriv)
			(void)t->fn->C_DestroyObject(t->session, hpriv);
		rc = p11_fail(t, "importing the key", rv);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	attrs_wipe(secret, ns);
	return rc;
}

static int find_secret(struct ca_token *t, const char *label, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE q[2] = {{CKA_CLASS, &cls, sizeof(cls)},
			     {CKA_LABEL, (void *)label, strlen(label)}};
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;
	CK_RV rv = t->fn->C_FindObjectsInit(t->session, q, 2);

	if (rv == CKR_OK) {
		rv = t->fn->C_FindObjects(t->session, h, 2, &n);
		(void)t->fn->C_FindObjectsFinal(t->session);
	}
	if (rv != CKR_OK)
		return p11_fail(t, "looking up the sealing secret", rv);
	if (n == 0)
		return EX_NOINPUT; /* no message: the caller may make it */
	if (n > 1)
		return fail(EX_DATAERR, "token %s: several secrets labelled '%s'", t->uri_text, label);
	*out = h[0];
	return 0;
}

char *token_seal_label(const struct ca_token *t)
{
	const char *base = t->label ? t->label : "ca";
	char *s = malloc(strlen(base) + sizeof(SEAL_SUFFIX));

	if (s) {
		strcpy(s, base);
		strcat(s, SEAL_SUFFIX);
	}
	return s;
}

int token_seal_make(struct ca_token *t, const char *label)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG len = 32;
	CK_MECHANISM mech = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
	CK_ATTRIBUTE a[] = {
		{CKA_CLASS, &cls, sizeof(cls)},         {CKA_KEY_TYPE, &kt, sizeof(kt)},
		{CKA_LABEL, (void *)label, strlen(label)}, {CKA_VALUE_LEN, &len, sizeof(len)},
		{CKA_TOKEN, &yes, sizeof(yes)},         {CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},     {CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_SIGN, &yes, sizeof(yes)},
	};
	CK_OBJECT_HANDLE h;
	CK_RV rv;
	int rc = find_secret(t, label, &h);

	if (rc != EX_NOINPUT)
		return rc; /* there already (0), or an error */
	rv = t->fn->C_GenerateKey(t->session, &mech, a, sizeof(a) / sizeof(a[0]), &h);
	if (rv == CKR_MECHANISM_INVALID || rv == CKR_TEMPLATE_INCONSISTENT ||
	    rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_ATTRIBUTE_TYPE_INVALID)
		return EX_CONFIG; /* no message: the caller may seal another way */
	return rv == CKR_OK ? 0 : p11_fail(t, "making the sealing secret", rv);
}

int token_seal_prf(struct ca_token *t, const char *label, const char *context,
		   unsigned char out[32])
{
	CK_MECHANISM mech = {CKM_SHA256_HMAC, NULL, 0};
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 32;
	CK_RV rv;
	int rc = find_secret(t, label, &h);

	if (rc == EX_NOINPUT)
		return fail(EX_NOINPUT, "token %s: the sealing secret '%s' is missing: kept leaf keys "
					"and EAB keys cannot be opened (is this the right token?)",
			    t->uri_text, label);
	if (rc)
		return rc;
	rv = t->fn->C_SignInit(t->session, &mech, h);
	if (rv == CKR_MECHANISM_INVALID || rv == CKR_KEY_TYPE_INCONSISTENT ||
	    rv == CKR_KEY_FUNCTION_NOT_PERMITTED)
		return EX_CONFIG; /* no message: the caller may seal another way */
	if (rv == CKR_OK)
		rv = t->fn->C_Sign(t->session, (CK_BYTE_PTR)context, strlen(context), out, &n);
	if (rv == CKR_OK && n != 32)
		rv = CKR_GENERAL_ERROR;
	return rv == CKR_OK ? 0 : p11_fail(t, "using the sealing secret", rv);
}

int token_remove_key(struct ca_token *t)
{
	CK_OBJECT_CLASS cls[2] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY};
	int i;

	for (i = 0; i < 2; i++) {
		CK_ATTRIBUTE q[3] = {{CKA_CLASS, &cls[i], sizeof(cls[i])}};
		CK_OBJECT_HANDLE h[4];
		CK_ULONG nq = 1, n = 0, j;

		if (t->label)
			q[nq++] = (CK_ATTRIBUTE){CKA_LABEL, t->label, strlen(t->label)};
		if (t->id)
			q[nq++] = (CK_ATTRIBUTE){CKA_ID, t->id, t->id_len};
		if (t->fn->C_FindObjectsInit(t->session, q, nq) != CKR_OK)
			continue;
		(void)t->fn->C_FindObjects(t->session, h, 4, &n);
		(void)t->fn->C_FindObjectsFinal(t->session);
		for (j = 0; j < n; j++)
			(void)t->fn->C_DestroyObject(t->session, h[j]);
	}
	return 0;
}

void token_close(struct ca_token *t)
{
	if (!t)
		return;
	EVP_PKEY_free(t->key);
	if (t->has_session)
		(void)t->fn->C_CloseSession(t->session);
	if (t->slots)
		PKCS11_release_all_slots(t->ctx, t->slots, t->n_slots);
	if (t->ctx) {
		PKCS11_CTX_unload(t->ctx);
		PKCS11_CTX_free(t->ctx);
	}
	if (t->dl)
		dlclose(t->dl);
	if (t->uri)
		p11_kit_uri_free(t->uri);
	free(t->uri_text);
	free(t->module);
	free(t->label);
	free(t->id);
	free(t);
	ERR_clear_error();
}
