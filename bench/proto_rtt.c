/*
 * The cost of serve's split, per finalize: the front's request message and
 * the signer's answer, each built, written to a socketpair, read and parsed
 * by the other process (acme/proto.c), as serve does, with the sizes of a
 * real finalize (a 1.2 KB JWS in, a 0.9 KB order and its headers out).
 *
 *   proto_rtt N   prints: request bytes, answer bytes, mean us, "p99 X us"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "acme/proto.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static char body[1200], answer[900];
	int n = argc > 1 ? atoi(argv[1]) : 10000, sv[2], i;
	double *lat;
	struct proto_out o;
	struct proto_msg m;
	const char *why;
	size_t req_len = 0, ans_len = 0;
	pid_t pid;

	memset(body, 'j', sizeof(body));
	memset(answer, 'o', sizeof(answer));
	if (n < 1 || !(lat = calloc((size_t)n, sizeof(*lat))) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	if ((pid = fork()) == 0) {
		/* the signer's side: read a request, answer it */
		close(sv[0]);
		while (proto_read_one(sv[1], 10000, &m, &why) == 0) {
			proto_begin(&o, P_RESPONSE, m.id);
			proto_add_str(&o, T_STATUS, "200");
			proto_add_str(&o, T_HEADERS, "Replay-Nonce: 0123456789abcdefghijkl\nLink: "
						     "<https://127.0.0.1:8443/acme/directory>;rel=\"index\"\n"
						     "Cache-Control: no-store\nContent-Type: application/json\n");
			proto_add(&o, T_BODY, answer, sizeof(answer));
			proto_msg_release(&m);
			if (proto_seal(&o) != 0 || write_all(sv[1], o.buf, o.len) != 0)
				_exit(1);
			free(o.buf);
		}
		_exit(0);
	}
	close(sv[1]);
	for (i = 0; i < n; i++) {
		double t0 = now_us();

		proto_begin(&o, P_REQUEST, (uint32_t)i);
		proto_add_str(&o, T_METHOD, "POST");
		proto_add_str(&o, T_PATH, "/acme/order/ZNijNpx9LiH9B7DLBbXaqQ/finalize");
		proto_add_str(&o, T_BASE, "https://127.0.0.1:8443");
		proto_add_str(&o, T_CTYPE, "application/jose+json");
		proto_add_str(&o, T_PEER, "127.0.0.1");
		proto_add(&o, T_BODY, body, sizeof(body));
		if (proto_seal(&o) != 0 || write_all(sv[0], o.buf, o.len) != 0)
			return 1;
		req_len = o.len;
		free(o.buf);
		if (proto_read_one(sv[0], 10000, &m, &why) != 0 || m.id != (uint32_t)i)
			return 1;
		ans_len = PROTO_HEAD + 5 * 3 + m.len[T_STATUS] + m.len[T_HEADERS] + m.len[T_BODY];
		proto_msg_release(&m);
		lat[i] = now_us() - t0;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	{
		double sum = 0;

		for (i = 0; i < n; i++)
			sum += lat[i];
		qsort(lat, (size_t)n, sizeof(*lat), cmp);
		printf("%zu\t%zu\t%.1f\tp99 %.1f us, %d round trips\n", req_len, ans_len, sum / n,
		       lat[(int)(n * 0.99)], n);
	}
	free(lat);
	return 0;
}
