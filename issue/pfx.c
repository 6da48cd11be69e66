/*
 * PFX (PKCS#12) for Windows and Exchange.
 *
 * Built bag by bag rather than with PKCS12_create() because Windows needs
 * attributes that PKCS12_create() does not set: the Microsoft CSP name on
 * the key bag (Exchange transport cannot use CNG/KSP keys, so the key must
 * land in a legacy CryptoAPI provider), and one localKeyID shared by the key
 * and its certificate, which is how Windows pairs them.
 *
 *   legacy: key and certificates pbeWithSHA1And3-KeyTripleDES-CBC, HMAC-SHA1
 *           MAC, 2048 iterations: imports on every Windows since Server 2003,
 *           and needs no RC2, so OpenSSL 3 reads it without -legacy.
 *   modern: PBES2 AES-256-CBC with PBKDF2-HMAC-SHA256, HMAC-SHA256 MAC:
 *           Windows Server 2019 / Windows 10 1709 and later only.
 */
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <string.h>

#include "issue.h"
#include "common/common.h"

#define PFX_ITERATIONS 2048

const char *pfx_mode_describe(enum pfx_mode mode)
{
	switch (mode) {
	case PFX_LEGACY:
		return "legacy (3DES pbeWithSHA1And3-KeyTripleDES-CBC, SHA-1 MAC; imports on "
		       "every Windows Server since 2003)";
	case PFX_MODERN:
		return "modern (AES-256-CBC, PBKDF2-HMAC-SHA256, SHA-256 MAC; Windows Server 2019 "
		       "and later)";
	default:
		return "none";
	}
}

int pfx_build(EVP_PKEY *key, X509 *leaf, X509 *ca, const char *friendly_name,
	      const char *csp, enum pfx_mode mode, const char *pass, unsigned char **der,
	      size_t *len)
{
	STACK_OF(PKCS12_SAFEBAG) *cert_bags = NULL, *key_bags = NULL;
	STACK_OF(PKCS7) *safes = NULL;
	PKCS12_SAFEBAG *bag;
	PKCS12 *p12 = NULL;
	unsigned char key_id[EVP_MAX_MD_SIZE], *tmp = NULL;
	unsigned int key_id_len = 0;
	int nid = mode == PFX_MODERN ? NID_aes_256_cbc : NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
	const EVP_MD *mac_md = mode == PFX_MODERN ? EVP_sha256() : EVP_sha1();
	int n, rc = EX_SOFTWARE;

	*der = NULL;
	*len = 0;
	/* the leaf's SHA-1 thumbprint as localKeyID, as Windows itself does */
	if (!X509_digest(leaf, EVP_sha1(), key_id, &key_id_len))
		goto out;
	bag = PKCS12_add_cert(&cert_bags, leaf);
	if (!bag || !PKCS12_add_friendlyname_utf8(bag, friendly_name, -1) ||
	    !PKCS12_add_localkeyid(bag, key_id, (int)key_id_len))
		goto out;
	if (ca && !PKCS12_add_cert(&cert_bags, ca))
		goto out;
	bag = PKCS12_add_key_ex(&key_bags, key, 0, PFX_ITERATIONS, nid, pass, NULL, NULL);
	if (!bag || !PKCS12_add_friendlyname_utf8(bag, friendly_name, -1) ||
	    !PKCS12_add_localkeyid(bag, key_id, (int)key_id_len) ||
	    (csp && *csp && !EVP_PKEY_is_a(key, "EC") && !PKCS12_add_CSPName_asc(bag, csp, -1)))
		goto out;
	if (!PKCS12_add_safe_ex(&safes, cert_bags, nid, PFX_ITERATIONS, pass, NULL, NULL) ||
	    !PKCS12_add_safe_ex(&safes, key_bags, -1, 0, NULL, NULL, NULL))
		goto out;
	p12 = PKCS12_add_safes_ex(safes, 0, NULL, NULL);
	if (!p12 || !PKCS12_set_mac(p12, pass, -1, NULL, 0, PFX_ITERATIONS, mac_md))
		goto out;
	n = i2d_PKCS12(p12, &tmp);
	if (n <= 0)
		goto out;
	*der = tmp;
	*len = (size_t)n;
	rc = 0;
out:
	if (rc)
		rc = fail_ssl(rc, "cannot build the PFX file");
	sk_PKCS7_pop_free(safes, PKCS7_free);
	sk_PKCS12_SAFEBAG_pop_free(cert_bags, PKCS12_SAFEBAG_free);
	sk_PKCS12_SAFEBAG_pop_free(key_bags, PKCS12_SAFEBAG_free);
	PKCS12_free(p12);
	return rc;
}

/*
 * 24 characters from an alphabet without look-alikes (0/O, 1/l/I): about
 * 137 bits, and easy to type into Get-Credential from a printout.
 */
int pfx_password_generate(char out[PFX_PASSWORD_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
	const unsigned int size = sizeof(alphabet) - 1, limit = 256 - 256 % size;
	unsigned char r;
	int i = 0;

	while (i < PFX_PASSWORD_LEN) {
		if (RAND_bytes(&r, 1) != 1)
			return fail_ssl(EX_SOFTWARE, "no random numbers for a PFX password");
		if (r >= limit)
			continue; /* rejection sampling keeps every character equally likely */
		out[i++] = alphabet[r % size];
	}
	out[i] = '\0';
	OPENSSL_cleanse(&r, sizeof(r));
	return 0;
}
