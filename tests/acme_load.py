#!/usr/bin/python3
"""Many ACME finalize requests at once, for the crash test and the benchmark.

usage: acme_load.py DIRECTORY_URL CA_FILE STATE_DIR prepare N HTTP_PORT
       acme_load.py DIRECTORY_URL CA_FILE STATE_DIR burst PROCESSES
       acme_load.py DIRECTORY_URL CA_FILE STATE_DIR check
       acme_load.py DIRECTORY_URL CA_FILE STATE_DIR orders N

prepare: an account (no EAB: the server runs with --eab optional) and N
orders for loadNNNN.corp.example, made ready through http-01 answered here,
with an EC P-256 CSR each. burst: finalize them all from PROCESSES
processes, each on one kept-alive connection; prints one JSON line with the
count, the errors, the rate and the latencies. check: every order is either
valid with a certificate, or ready and then finalized now."""
import base64, http.client, json, multiprocessing, os, sys, threading, time
import urllib.parse
from http.server import HTTPServer, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acme_probe as p  # noqa: E402


class Conn:
    """One kept-alive connection and the nonce its last answer carried."""

    def __init__(self):
        u = urllib.parse.urlsplit(p.DIR_URL)
        self.c = http.client.HTTPSConnection(u.hostname, u.port, context=p.CTX, timeout=60)
        self.nonce = None
        self.key = p.key_load('account')
        self.kid = p.state()['kid']

    def post(self, url, payload):
        if not self.nonce:
            self.c.request('HEAD', urllib.parse.urlsplit(p.directory()['newNonce']).path)
            r = self.c.getresponse()
            r.read()
            self.nonce = r.headers['Replay-Nonce']
        body = p.jws(self.key, url, payload, kid=self.kid, nonce_value=self.nonce)
        self.c.request('POST', urllib.parse.urlsplit(url).path, body=body,
                       headers={'Content-Type': 'application/jose+json'})
        r = self.c.getresponse()
        data = r.read()
        self.nonce = r.headers.get('Replay-Nonce')
        return r.status, data


def prepare(n, http_port):
    status, headers, data = p.register('-', '-')
    assert status in (200, 201), data
    srv = ThreadingHTTPServer(('127.0.0.1', http_port), p.Token)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    thumb = p.thumbprint(p.key_load('account'))
    conn = Conn()
    d = p.directory()
    orders = []
    for i in range(n):
        name = 'load%04d.corp.example' % i
        st, data = conn.post(d['newOrder'], {'identifiers': [{'type': 'dns', 'value': name}]})
        assert st == 201, data
        o = json.loads(data)
        st, data = conn.post(o['authorizations'][0], None)
        ch = [c for c in json.loads(data)['challenges'] if c['type'] == 'http-01'][0]
        p.Token.answers[ch['token']] = ch['token'] + '.' + thumb
        # serve caps the validations in progress of an account (rateLimited): ask again
        while conn.post(ch['url'], {})[0] == 429:
            time.sleep(0.05)
        orders.append({'finalize': o['finalize'], 'order': o['finalize'].rsplit('/', 1)[0],
                       'name': name, 'csr': p.b64(p.csr_der([name]))})
    deadline = time.time() + 120
    for o in orders:
        while time.time() < deadline:
            st, data = conn.post(o['order'], None)
            if json.loads(data)['status'] != 'pending':
                break
            time.sleep(0.05)
        assert json.loads(data)['status'] == 'ready', data
    srv.shutdown()
    json.dump(orders, open(os.path.join(p.STATE, 'orders.json'), 'w'))
    print(json.dumps({'ready': len(orders)}))


def worker(args):
    orders, q = args
    conn = Conn()
    out = []
    for o in orders:
        t0 = time.perf_counter()
        try:
            st, data = conn.post(o['finalize'], {'csr': o['csr']})
        except (OSError, http.client.HTTPException) as e:
            out.append((None, time.perf_counter() - t0, str(e)))
            break
        status = json.loads(data).get('status') if st == 200 else json.loads(data).get('type')
        out.append((st, time.perf_counter() - t0, status))
    q.put(out)


def burst(procs):
    orders = json.load(open(os.path.join(p.STATE, 'orders.json')))
    q = multiprocessing.Queue()
    shares = [orders[i::procs] for i in range(procs)]
    ps = [multiprocessing.Process(target=worker, args=((s, q),)) for s in shares]
    t0 = time.perf_counter()
    for x in ps:
        x.start()
    results = []
    for _ in ps:
        results += q.get()
    elapsed = time.perf_counter() - t0
    for x in ps:
        x.join()
    ok = [r for r in results if r[0] == 200 and r[2] == 'valid']
    lat = sorted(r[1] for r in ok) or [0]
    kinds = sorted({str(r[2]) for r in results if not (r[0] == 200 and r[2] == 'valid')})
    print(json.dumps({'requests': len(results), 'valid': len(ok), 'errors': len(results) - len(ok),
                      'error_types': kinds,
                      'seconds': round(elapsed, 3), 'per_second': round(len(ok) / elapsed, 1),
                      'p50_ms': round(lat[len(lat) // 2] * 1000, 1),
                      'p99_ms': round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1)}))


def check():
    orders = json.load(open(os.path.join(p.STATE, 'orders.json')))
    conn = Conn()
    counts = {'valid': 0, 'finalized_now': 0, 'bad': 0}
    serials = []
    for o in orders:
        st, data = conn.post(o['order'], None)
        order = json.loads(data)
        if order.get('status') == 'ready':
            st, data = conn.post(o['finalize'], {'csr': o['csr']})
            order = json.loads(data)
            key = 'finalized_now'
        else:
            key = 'valid'
        if order.get('status') != 'valid' or 'certificate' not in order:
            counts['bad'] += 1
            continue
        st, pem = conn.post(order['certificate'], None)
        if st != 200 or b'BEGIN CERTIFICATE' not in pem:
            counts['bad'] += 1
            continue
        counts[key] += 1
        serials.append(order['certificate'].rsplit('/', 1)[1])
    counts['serials'] = serials
    print(json.dumps(counts))


def orders(n):
    if not p.state().get('kid'):
        p.register('-', '-')
    conn = Conn()
    url = p.directory()['newOrder']
    for i in range(n):
        name = 'rss%06d.corp.example' % i
        st, data = conn.post(url, {'identifiers': [{'type': 'dns', 'value': name}]})
        assert st == 201, data
    print(json.dumps({'orders': n}))


def main():
    p.setup(*sys.argv[1:4])
    case = sys.argv[4]
    if case == 'prepare':
        prepare(int(sys.argv[5]), int(sys.argv[6]))
    elif case == 'burst':
        burst(int(sys.argv[5]))
    elif case == 'check':
        check()
    elif case == 'orders':
        orders(int(sys.argv[5]))
    else:
        raise SystemExit('unknown case ' + case)


if __name__ == '__main__':
    main()
