/*
 * Fuzz target: templates (issue/template.c). template_load reads a file, so
 * each input is written to one private temporary file first. A template
 * that loads is then applied to a leaf, as 'issue' would do, with a real CA
 * certificate as the issuer.
 */
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issue/issue.h"
#include "common/common.h"

static char path[256];
static EVP_PKEY *key;
static X509 *ca;

static void cleanup(void)
{
	unlink(path);
	X509_free(ca);
	EVP_PKEY_free(key);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	X509_NAME *name;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/minica-fuzz-template-%ld.cnf", tmp, (long)getpid());
	key = EVP_EC_gen("P-256");
	ca = X509_new();
	name = X509_get_subject_name(ca);
	if (!key || !ca || !X509_set_version(ca, X509_VERSION_3) || !X509_set_pubkey(ca, key) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"Fuzz CA",
					-1, -1, 0) ||
	    !X509_set_issuer_name(ca, name) || x509_add_key_ids(ca, ca) ||
	    !X509_sign(ca, key, EVP_sha256()))
		abort();
	atexit(cleanup);
	return 0;
}

static int write_input(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct template *t = NULL;
	X509 *leaf = NULL;

	if (write_input(data, size) != 0)
		abort();
	if (template_load(path, &t) == 0) {
		leaf = X509_new();
		if (!leaf || !X509_set_version(leaf, X509_VERSION_3) || !X509_set_pubkey(leaf, key) ||
		    !X509_set_issuer_name(leaf, X509_get_subject_name(ca)))
			abort();
		(void)template_apply(t, leaf, ca);
	}
	X509_free(leaf);
	template_free(t);
	ERR_clear_error();
	return 0;
}
