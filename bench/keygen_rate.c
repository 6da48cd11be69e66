/*
 * The machine's limit for bulk issuance: RSA-2048 key generations per
 * second on all cores (one thread per core, each generating keys for a fixed
 * time with the same OpenSSL call minica uses). Prints "<keys/s> <threads>".
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double seconds;
static const char *type = "RSA";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	long *count = arg;
	double end = now() + seconds;

	while (now() < end) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)2048);

		if (!k)
			abort();
		EVP_PKEY_free(k);
		(*count)++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = argc > 1 ? atol(argv[1]) : sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t tid[64];
	long counts[64] = {0}, total = 0, i;
	double start;

	seconds = argc > 2 ? atof(argv[2]) : 10.0;
	if (threads < 1 || threads > 64 || seconds <= 0)
		return 2;
	start = now();
	for (i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, worker, &counts[i]);
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		total += counts[i];
	}
	printf("%.2f %ld\n", total / (now() - start), threads);
	return 0;
}
