/*
 * A small ACME load client for bench/acme.sh (make bench only):
 *
 *   acme_load DIRECTORY_URL CA_FILE HTTP01_PORT N CONNECTIONS [NAME_PREFIX]
 *
 * registers an account (EC P-256, no EAB: the server runs with --eab
 * optional), makes N orders ready through http-01 (answered by a thread of
 * its own on 127.0.0.1:HTTP01_PORT; the server's DNS must point the names
 * at 127.0.0.1), generates an EC P-256 CSR for each, then sends the N
 * finalize requests from CONNECTIONS threads, each on one kept-alive TLS
 * connection opened beforehand, and times each request. Prints one JSON
 * line: the count, the errors, the rate, p50/p99 and the preparation time;
 * with ACME_LOAD_SERVER_PID set (and ACME_LOAD_FRONT_PID, serve's front),
 * also the server's CPU time per finalize
 * during the burst, in all and in its event loop's thread (from /proc, in
 * clock ticks of 10 ms), beside the client's own.
 * Plain sockets, OpenSSL's SSL and jansson; one thread per connection.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme.h" /* b64url_encode */

static char host[64], dir_path[256], base[128], thumb[64];
static int port, http_port, n_orders, n_conns;
static const char *prefix = "load";
static SSL_CTX *tls;
static EVP_PKEY *account;
static char kid[512], url_new_order[256], url_new_nonce[256], url_new_account[256];

struct order {
	char url[512], finalize[512];
	unsigned char *csr; /* DER */
	int csr_len;
	double ms;
	int ok;
};
static struct order *orders;

struct conn {
	int fd;
	SSL *ssl;
	char nonce[128], location[512];
	char buf[65536];
	size_t have;
	int status;
	char *body;
	size_t body_len;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("acme_load: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void conn_open(struct conn *c)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;

	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		die("%s: give an IPv4 address", host);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("cannot connect to %s:%d", host, port);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!(c->ssl = SSL_new(tls)) || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1 ||
	    SSL_connect(c->ssl) != 1)
		die("TLS to %s:%d failed", host, port);
}

static void conn_close(struct conn *c)
{
	SSL_free(c->ssl);
	close(c->fd);
}

/* The value of header NAME in the header block HEAD (NUL-terminated), copied. */
static void header(const char *head, const char *name, char *out, size_t size)
{
	const char *p = head;
	size_t n = strlen(name), i;

	out[0] = '\0';
	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			for (i = 0; i + 1 < size && p[i] && p[i] != '\r'; i++)
				out[i] = p[i];
			out[i] = '\0';
			return;
		}
	}
}

/* One request and its response (Content-Length bodies: evhttp's). */
static void http(struct conn *c, const char *method, const char *path, const char *body)
{
	char req[65536], head[8192], len_text[32], *end;
	size_t blen = body ? strlen(body) : 0, hlen, need;
	int n;

	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s"
		     "Content-Length: %zu\r\n\r\n%s", method, path, host, port,
		     body ? "Content-Type: application/jose+json\r\n" : "", blen, body ? body : "");
	if (n < 0 || (size_t)n >= sizeof(req) || SSL_write(c->ssl, req, n) != n)
		die("cannot send %s %s", method, path);
	free(c->body);
	c->body = NULL;
	while (!(end = memmem(c->buf, c->have, "\r\n\r\n", 4))) {
		if (c->have == sizeof(c->buf) || (n = SSL_read(c->ssl, c->buf + c->have,
							      (int)(sizeof(c->buf) - c->have))) <= 0)
			die("%s %s: no response", method, path);
		c->have += (size_t)n;
	}
	hlen = (size_t)(end - c->buf) + 4;
	if (hlen >= sizeof(head))
		die("%s %s: headers too long", method, path);
	memcpy(head, c->buf, hlen);
	head[hlen] = '\0';
	if (sscanf(head, "HTTP/1.1 %d", &c->status) != 1)
		die("%s %s: not HTTP/1.1", method, path);
	header(head, "Content-Length", len_text, sizeof(len_text));
	header(head, "Replay-Nonce", c->nonce, sizeof(c->nonce));
	header(head, "Location", c->location, sizeof(c->location));
	c->body_len = !strcmp(method, "HEAD") ? 0 : strtoul(len_text, NULL, 10);
	need = hlen + c->body_len;
	if (need > sizeof(c->buf))
		die("%s %s: response too large", method, path);
	while (c->have < need) {
		if ((n = SSL_read(c->ssl, c->buf + c->have, (int)(sizeof(c->buf) - c->have))) <= 0)
			die("%s %s: response cut short", method, path);
		c->have += (size_t)n;
	}
	if (!(c->body = malloc(c->body_len + 1)))
		die("out of memory");
	memcpy(c->body, c->buf + hlen, c->body_len);
	c->body[c->body_len] = '\0';
	memmove(c->buf, c->buf + need, c->have - need);
	c->have -= need;
}

static const char *path_of(const char *url)
{
	if (strncmp(url, base, strlen(base)))
		die("%s is not on %s", url, base);
	return url + strlen(base);
}

static char *b64(const void *data, size_t len)
{
	char *out = b64url_encode(data, len);

	if (!out)
		die("out of memory");
	return out;
}

/* ES256: OpenSSL's DER signature turned into the JWS r||s. */
static char *sign(const char *input)
{
	unsigned char der[80], raw[64];
	const unsigned char *p = der;
	size_t der_len = sizeof(der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *sig;

	if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, account, NULL) != 1 ||
	    EVP_DigestSign(md, der, &der_len, (const unsigned char *)input, strlen(input)) != 1 ||
	    !(sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32) != 32)
		die("cannot sign");
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return b64(raw, sizeof(raw));
}

static json_t *jwk(void)
{
	unsigned char pt[65];
	size_t len = 0;
	char *x, *y;
	json_t *j;

	if (EVP_PKEY_get_octet_string_param(account, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
					    sizeof(pt), &len) != 1 || len != 65)
		die("cannot read the account key");
	x = b64(pt + 1, 32);
	y = b64(pt + 33, 32);
	j = json_pack("{s:s, s:s, s:s, s:s}", "crv", "P-256", "kty", "EC", "x", x, "y", y);
	free(x);
	free(y);
	return j;
}

/* POST a JWS (kid, or the jwk when no account yet); payload NULL: POST-as-GET. */
static void post(struct conn *c, const char *url, json_t *payload)
{
	json_t *prot, *jws;
	char *ptext, *pltext, *p64, *pl64, *input, *sig, *body;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		if (!c->nonce[0])
			http(c, "HEAD", path_of(url_new_nonce), NULL);
		prot = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "nonce", c->nonce, "url", url);
		json_object_set_new(prot, kid[0] ? "kid" : "jwk", kid[0] ? json_string(kid) : jwk());
		ptext = json_dumps(prot, JSON_COMPACT);
		pltext = payload ? json_dumps(payload, JSON_COMPACT) : strdup("");
		p64 = b64(ptext, strlen(ptext));
		pl64 = b64(pltext, strlen(pltext));
		if (asprintf(&input, "%s.%s", p64, pl64) < 0)
			die("out of memory");
		sig = sign(input);
		jws = json_pack("{s:s, s:s, s:s}", "protected", p64, "payload", pl64, "signature", sig);
		body = json_dumps(jws, JSON_COMPACT);
		json_decref(jws);
		c->nonce[0] = '\0';
		http(c, "POST", path_of(url), body);
		free(body);
		free(sig);
		free(input);
		free(p64);
		free(pl64);
		free(ptext);
		free(pltext);
		json_decref(prot);
		if (c->status != 400 || !strstr(c->body, "badNonce"))
			break;
	}
	json_decref(payload);
}

static json_t *body_json(struct conn *c, int want, const char *what)
{
	json_t *j = json_loads(c->body, 0, NULL);

	if (c->status != want || !j)
		die("%s: HTTP %d: %.300s", what, c->status, c->body);
	return j;
}

static const char *jstr(json_t *j, const char *path)
{
	const char *s = json_string_value(json_object_get(j, path));

	return s ? s : "";
}

/* ---- http-01: every token answered with TOKEN.THUMBPRINT ---- */
static void *http01(void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		char req[4096], resp[512], *tok, *sp;
		ssize_t n;
		size_t have = 0;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		while (have < sizeof(req) - 1 && (n = read(fd, req + have, sizeof(req) - 1 - have)) > 0) {
			have += (size_t)n;
			req[have] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[have] = '\0';
		tok = strstr(req, "/.well-known/acme-challenge/");
		if (tok && (sp = strchr(tok += 28, ' '))) {
			*sp = '\0';
			n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s.%s",
				     strlen(tok) + 1 + strlen(thumb), tok, thumb);
		} else {
			n = snprintf(resp, sizeof(resp), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
				     "Connection: close\r\n\r\n");
		}
		if (n > 0 && (size_t)n < sizeof(resp) && write(fd, resp, (size_t)n) < 0)
			perror("acme_load: http-01");
		close(fd);
	}
	return NULL;
}

static void http01_start(void)
{
	static int lfd;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_port)};
	pthread_t t;
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 128) ||
	    pthread_create(&t, NULL, http01, &lfd))
		die("cannot answer http-01 on 127.0.0.1:%d", http_port);
	pthread_detach(t);
}

/* ---- the account, the orders, the CSRs ---- */
static void setup(void)
{
	struct conn c;
	json_t *d, *jk;
	unsigned char digest[32];
	unsigned int dlen = 0;
	char *text;

	conn_open(&c);
	http(&c, "GET", dir_path, NULL);
	d = body_json(&c, 200, "directory");
	snprintf(url_new_nonce, sizeof(url_new_nonce), "%s", jstr(d, "newNonce"));
	snprintf(url_new_account, sizeof(url_new_account), "%s", jstr(d, "newAccount"));
	snprintf(url_new_order, sizeof(url_new_order), "%s", jstr(d, "newOrder"));
	json_decref(d);
	if (!(account = EVP_EC_gen("P-256")))
		die("cannot make the account key");
	jk = jwk();
	text = json_dumps(jk, JSON_COMPACT | JSON_SORT_KEYS); /* RFC 7638: sorted, no spaces */
	if (!text || EVP_Digest(text, strlen(text), digest, &dlen, EVP_sha256(), NULL) != 1)
		die("cannot compute the thumbprint");
	free(text);
	json_decref(jk);
	text = b64(digest, dlen);
	snprintf(thumb, sizeof(thumb), "%s", text);
	free(text);
	post(&c, url_new_account, json_pack("{s:b}", "termsOfServiceAgreed", 1));
	if (c.status != 201 && c.status != 200)
		die("newAccount: HTTP %d: %.300s", c.status, c.body);
	snprintf(kid, sizeof(kid), "%s", c.location);
	free(c.body);
	conn_close(&c);
}

static void csr_make(struct order *o, const char *name)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_REQ *r = X509_REQ_new();
	X509_NAME *sn = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *san;
	char dns[300];

	snprintf(dns, sizeof(dns), "DNS:%s", name);
	san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, dns);
	if (!k || !r || !sn || !exts || !san ||
	    X509_NAME_add_entry_by_txt(sn, "CN", MBSTRING_UTF8, (const unsigned char *)name, -1, -1,
				       0) != 1 ||
	    X509_REQ_set_subject_name(r, sn) != 1 || X509_REQ_set_pubkey(r, k) != 1 ||
	    !sk_X509_EXTENSION_push(exts, san) || X509_REQ_add_extensions(r, exts) != 1 ||
	    X509_REQ_sign(r, k, EVP_sha256()) <= 0 || (o->csr_len = i2d_X509_REQ(r, &o->csr)) <= 0)
		die("cannot make a CSR for %s", name);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(sn);
	X509_REQ_free(r);
	EVP_PKEY_free(k);
}

/* Thread T prepares orders T, T+P, ...: order, authorization, challenge; then waits for ready. */
static void *prepare(void *arg)
{
	long t = (long)arg;
	struct conn c;
	int i;

	conn_open(&c);
	for (i = (int)t; i < n_orders; i += n_conns) {
		struct order *o = &orders[i];
		char name[200];
		json_t *j, *chs, *ch;
		size_t k;

		snprintf(name, sizeof(name), "%s%06d.corp.example", prefix, i);
		csr_make(o, name);
		post(&c, url_new_order, json_pack("{s:[{s:s, s:s}]}", "identifiers", "type", "dns",
						  "value", name));
		j = body_json(&c, 201, "newOrder");
		snprintf(o->url, sizeof(o->url), "%s", c.location);
		snprintf(o->finalize, sizeof(o->finalize), "%s", jstr(j, "finalize"));
		post(&c, json_string_value(json_array_get(json_object_get(j, "authorizations"), 0)),
		     NULL);
		json_decref(j);
		j = body_json(&c, 200, "authorization");
		chs = json_object_get(j, "challenges");
		json_array_foreach(chs, k, ch)
			if (!strcmp(jstr(ch, "type"), "http-01"))
				/* serve caps validations in progress per account: wait and ask again */
				do {
					post(&c, jstr(ch, "url"), json_object());
					if (c.status == 429)
						usleep(50000);
				} while (c.status == 429);
		if (c.status != 200)
			die("challenge: HTTP %d: %.300s", c.status, c.body);
		json_decref(j);
	}
	for (i = (int)t; i < n_orders; i += n_conns) {
		double deadline = now_ms() + 60000;
		const char *st;
		json_t *j;

		for (;;) {
			post(&c, orders[i].url, NULL);
			j = body_json(&c, 200, "order");
			st = jstr(j, "status");
			if (strcmp(st, "pending") || now_ms() > deadline)
				break;
			json_decref(j);
			usleep(10000);
		}
		if (strcmp(st, "ready"))
			die("order %s is %s, not ready", orders[i].url, st);
		json_decref(j);
	}
	free(c.body);
	conn_close(&c);
	return NULL;
}

/* ---- the burst ---- */
static pthread_barrier_t start;

static void *burst(void *arg)
{
	long t = (long)arg;
	struct conn c;
	int i;

	conn_open(&c);
	http(&c, "HEAD", path_of(url_new_nonce), NULL);
	pthread_barrier_wait(&start);
	for (i = (int)t; i < n_orders; i += n_conns) {
		struct order *o = &orders[i];
		char *csr = b64(o->csr, (size_t)o->csr_len);
		double t0 = now_ms();
		json_t *j;

		post(&c, o->finalize, json_pack("{s:s}", "csr", csr));
		o->ms = now_ms() - t0;
		j = json_loads(c.body, 0, NULL);
		o->ok = c.status == 200 && !strcmp(jstr(j, "status"), "valid");
		if (!o->ok)
			fprintf(stderr, "acme_load: finalize: HTTP %d: %.300s\n", c.status, c.body);
		json_decref(j);
		free(csr);
	}
	free(c.body);
	conn_close(&c);
	return NULL;
}

/* CPU seconds (user + system) of process PID so far, from /proc; 0 when unknown. */
static double cpu_of(const char *pid, int main_thread)
{
	char path[64], text[2048], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	if (!pid)
		return 0;
	if (main_thread)
		snprintf(path, sizeof(path), "/proc/%s/task/%s/stat", pid, pid);
	else
		snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* after "pid (comm) ": state, then fields 4..13, then utime and stime (14, 15) */
	if (!(p = strrchr(text, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double cpu_self(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Where the clocks stood when the burst started, and when it ended. */
struct sample {
	double t, server, loop, front, self;
};

/* serve's front (ACME_LOAD_FRONT_PID): the process that holds the connections */
static const char *front_pid;

static void sample(struct sample *x, const char *server_pid)
{
	x->t = now_ms();
	x->server = cpu_of(server_pid, 0);
	x->loop = cpu_of(server_pid, 1);
	x->front = server_pid ? cpu_of(front_pid, 0) : 0;
	x->self = cpu_self();
}

/* fn(0..P-1) in P threads; with at, they start together (the barrier) and *at is sampled then. */
static void run(void *(*fn)(void *), struct sample *at, const char *server_pid)
{
	pthread_t *ts = calloc((size_t)n_conns, sizeof(*ts));
	long i;

	if (!ts)
		die("out of memory");
	for (i = 0; i < n_conns; i++)
		if (pthread_create(&ts[i], NULL, fn, (void *)i))
			die("cannot start a thread");
	if (at) {
		pthread_barrier_wait(&start);
		sample(at, server_pid);
	}
	for (i = 0; i < n_conns; i++)
		pthread_join(ts[i], NULL);
	free(ts);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *server_pid = getenv("ACME_LOAD_SERVER_PID");
	struct sample b0, b1;
	double signer_ms, front_ms;
	double t0, t1, *lat;
	int i, ok = 0;

	front_pid = getenv("ACME_LOAD_FRONT_PID");
	if (argc < 6 || argc > 7 ||
	    sscanf(argv[1], "https://%63[0-9.]:%d%255s", host, &port, dir_path) != 3)
		die("usage: acme_load https://IP:PORT/DIRECTORY CA_FILE HTTP01_PORT N CONNECTIONS "
		    "[NAME_PREFIX]");
	snprintf(base, sizeof(base), "https://%s:%d", host, port);
	http_port = atoi(argv[3]);
	n_orders = atoi(argv[4]);
	n_conns = atoi(argv[5]);
	if (argc == 7)
		prefix = argv[6];
	if (n_orders < 1 || n_conns < 1 || n_conns > n_orders)
		die("N and CONNECTIONS: 1 <= CONNECTIONS <= N");
	if (!(tls = SSL_CTX_new(TLS_client_method())) ||
	    SSL_CTX_load_verify_locations(tls, argv[2], NULL) != 1)
		die("cannot read the CA file %s", argv[2]);
	SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
	if (!(orders = calloc((size_t)n_orders, sizeof(*orders))) ||
	    !(lat = calloc((size_t)n_orders, sizeof(*lat))))
		die("out of memory");
	http01_start();
	t0 = now_ms();
	setup();
	run(prepare, NULL, NULL);
	t1 = now_ms();
	if (getenv("ACME_LOAD_PAUSE")) { /* time to attach a profiler to the server */
		fprintf(stderr, "acme_load: %d orders ready; the burst starts in %s s\n", n_orders,
			getenv("ACME_LOAD_PAUSE"));
		sleep((unsigned)atoi(getenv("ACME_LOAD_PAUSE")));
	}
	pthread_barrier_init(&start, NULL, (unsigned)n_conns + 1);
	run(burst, &b0, server_pid);
	sample(&b1, server_pid);
	for (i = 0; i < n_orders; i++)
		if (orders[i].ok)
			lat[ok++] = orders[i].ms;
	qsort(lat, (size_t)(ok ? ok : 1), sizeof(*lat), cmp);
	signer_ms = ok ? (b1.server - b0.server) * 1e3 / ok : 0;
	front_ms = ok ? (b1.front - b0.front) * 1e3 / ok : 0;
	printf("{\"requests\": %d, \"valid\": %d, \"errors\": %d, \"connections\": %d, "
	       "\"prepare_seconds\": %.1f, \"seconds\": %.3f, \"per_second\": %.1f, "
	       "\"p50_ms\": %.1f, \"p99_ms\": %.1f, \"max_ms\": %.1f, "
	       "\"server_cpu_ms_per_finalize\": %.2f, \"signer_cpu_ms_per_finalize\": %.2f, "
	       "\"front_cpu_ms_per_finalize\": %.2f, \"server_loop_cpu_ms_per_finalize\": %.2f, "
	       "\"client_cpu_ms_per_finalize\": %.2f}\n",
	       n_orders, ok, n_orders - ok, n_conns, (t1 - t0) / 1e3, (b1.t - b0.t) / 1e3,
	       ok / ((b1.t - b0.t) / 1e3), ok ? lat[ok / 2] : 0, ok ? lat[(int)(ok * 0.99)] : 0,
	       ok ? lat[ok - 1] : 0, signer_ms + front_ms, signer_ms, front_ms,
	       ok ? (b1.loop - b0.loop) * 1e3 / ok : 0, ok ? (b1.self - b0.self) * 1e3 / ok : 0);
	for (i = 0; i < n_orders; i++)
		OPENSSL_free(orders[i].csr);
	free(orders);
	free(lat);
	EVP_PKEY_free(account);
	SSL_CTX_free(tls);
	return ok == n_orders ? 0 : 1;
}
