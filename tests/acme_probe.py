#!/usr/bin/python3
"""A small ACME client for minica's tests: it does what real clients never
do on purpose (replayed nonces, wrong keys, wrong url headers, huge or
broken bodies, CSRs for other names), one case per run, and prints the
server's answer as one JSON line: {"status": ..., "type": ..., "detail": ...}.

usage: acme_probe.py DIRECTORY_URL CA_FILE STATE_DIR CASE [ARGS...]
STATE_DIR keeps the account key and URLs between runs."""
import base64, hashlib, hmac, http.client, json, os, socket, ssl, sys, threading, time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID

DIR_URL = CA_FILE = STATE = CASE = CTX = None
ARGS = []


def setup(dir_url, ca_file, state_dir):
    """Also for tests/acme_load.py, which imports this file."""
    global DIR_URL, CA_FILE, STATE, CTX
    DIR_URL, CA_FILE, STATE = dir_url, ca_file, state_dir
    CTX = ssl.create_default_context(cafile=CA_FILE)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def request(method, url, body=None, ctype='application/jose+json', headers=None):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPSConnection(u.hostname, u.port, context=CTX, timeout=30)
    h = {'Content-Type': ctype} if body is not None else {}
    h.update(headers or {})
    c.request(method, u.path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.headers, data


def directory():
    return json.loads(request('GET', DIR_URL)[2])


def nonce():
    return request('HEAD', directory()['newNonce'])[1]['Replay-Nonce']


def key_load(name):
    path = os.path.join(STATE, name + '.pem')
    if not os.path.exists(path):
        k = ec.generate_private_key(ec.SECP256R1())
        with open(path, 'wb') as f:
            f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    with open(path, 'rb') as f:
        return serialization.load_pem_private_key(f.read(), None)


def jwk(key):
    n = key.public_key().public_numbers()
    return {'kty': 'EC', 'crv': 'P-256', 'x': b64(n.x.to_bytes(32, 'big')),
            'y': b64(n.y.to_bytes(32, 'big'))}


def jwk_padded(key):
    """The same key with a non-zero padding bit in x: 43 characters carry 258
    bits for 256, and a lax decoder drops the last two."""
    j = jwk(key)
    alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    last = alphabet.index(j['x'][-1])
    j['x'] = j['x'][:-1] + alphabet[last | 1]
    return j


def thumbprint(key):
    return b64(hashlib.sha256(json.dumps(jwk(key), sort_keys=True, separators=(',', ':')).encode()).digest())


def sign(key, data):
    r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, 'big') + s.to_bytes(32, 'big')


def jws(key, url, payload, kid=None, nonce_value=None, signer=None, header_url=None, jwk_doc=None):
    prot = {'alg': 'ES256', 'nonce': nonce_value or nonce(), 'url': header_url or url}
    if kid:
        prot['kid'] = kid
    else:
        prot['jwk'] = jwk_doc or jwk(key)
    p64 = b64(json.dumps(prot).encode())
    pl64 = '' if payload is None else b64(json.dumps(payload).encode())
    sig = sign(signer or key, (p64 + '.' + pl64).encode())
    return json.dumps({'protected': p64, 'payload': pl64, 'signature': b64(sig)})


def state():
    path = os.path.join(STATE, 'state.json')
    return json.load(open(path)) if os.path.exists(path) else {}


def save(st):
    json.dump(st, open(os.path.join(STATE, 'state.json'), 'w'))


def answer(status, headers, data):
    try:
        doc = json.loads(data) if data else {}
    except ValueError:
        doc = {'raw': data.decode(errors='replace')}
    if not isinstance(doc, dict):
        doc = {'value': doc}
    out = {'status': status, 'type': doc.get('type', ''), 'detail': doc.get('detail', ''),
           'nonce': bool(headers.get('Replay-Nonce')), 'body': doc,
           'retry_after': headers.get('Retry-After')}
    print(json.dumps(out))


def post(url, payload, **kw):
    st = state()
    return request('POST', url, jws(key_load('account'), url, payload, kid=st.get('kid'), **kw))


def register(eab_kid, eab_key, jwk_doc=None):
    d = directory()
    key = key_load('account')
    url = d['newAccount']
    mac_key = b'' if eab_kid == '-' else base64.urlsafe_b64decode(eab_key + '=' * (-len(eab_key) % 4))
    prot = b64(json.dumps({'alg': 'HS256', 'kid': eab_kid, 'url': url}).encode())
    pl = b64(json.dumps(jwk_doc or jwk(key)).encode())
    mac = hmac.new(mac_key, (prot + '.' + pl).encode(), hashlib.sha256).digest()
    payload = {'termsOfServiceAgreed': True,
               'externalAccountBinding': {'protected': prot, 'payload': pl, 'signature': b64(mac)}}
    if eab_kid == '-':
        del payload['externalAccountBinding']
    status, headers, data = request('POST', url, jws(key, url, payload, jwk_doc=jwk_doc))
    if status in (200, 201):
        st = state()
        st['kid'] = headers['Location']
        save(st)
    return status, headers, data


class Token(BaseHTTPRequestHandler):
    answers = {}

    def do_GET(self):
        token = self.path.rsplit('/', 1)[-1]
        body = Token.answers.get(token)
        self.send_response(200 if body else 404)
        self.end_headers()
        if body:
            self.wfile.write(body.encode())

    def log_message(self, *a):
        pass


def new_order(names):
    d = directory()
    return post(d['newOrder'], {'identifiers': [{'type': 'dns', 'value': n} for n in names]})


def make_ready(names, http_port):
    """An order whose http-01 challenges this script answers itself."""
    status, headers, data = new_order(names)
    assert status == 201, data
    order_url = headers['Location']
    order = json.loads(data)
    srv = HTTPServer(('127.0.0.1', http_port), Token)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    thumb = thumbprint(key_load('account'))
    for az in order['authorizations']:
        a = json.loads(post(az, None)[2])
        ch = [c for c in a['challenges'] if c['type'] == 'http-01'][0]
        Token.answers[ch['token']] = ch['token'] + '.' + thumb
        post(ch['url'], {})
        order['authz_url'], order['challenge_url'] = az, ch['url']
    deadline = time.time() + 20
    while time.time() < deadline:
        o = json.loads(post(order_url, None)[2])
        if o['status'] != 'pending':
            break
        time.sleep(0.1)
    srv.shutdown()
    assert o['status'] == 'ready', o
    o['authz_url'], o['challenge_url'] = order['authz_url'], order['challenge_url']
    return order_url, o


def tls_alpn_server(port, name, key_auth, mode):
    """One TLS handshake on 127.0.0.1:port, as a tls-alpn-01 client would serve
    it (RFC 8737), or wrongly: mode good, wrong-digest, no-alpn, two-names."""
    import datetime, tempfile
    from cryptography.x509.oid import ObjectIdentifier
    k = ec.generate_private_key(ec.SECP256R1())
    digest = hashlib.sha256(key_auth.encode()).digest()
    if mode == 'wrong-digest':
        digest = hashlib.sha256(b'not ' + key_auth.encode()).digest()
    names = [x509.DNSName(name)] + ([x509.DNSName('other.corp.example')] if mode == 'two-names' else [])
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(k.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), False)
            .add_extension(x509.UnrecognizedExtension(ObjectIdentifier('1.3.6.1.5.5.7.1.31'),
                                                      b'\x04\x20' + digest), True)
            .sign(k, hashes.SHA256()))
    d = tempfile.mkdtemp(dir=STATE)
    with open(os.path.join(d, 'c.pem'), 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, 'c.pem'))
    if mode != 'no-alpn':
        ctx.set_alpn_protocols(['acme-tls/1'])
    srv = socket.create_server(('127.0.0.1', port))
    srv.settimeout(30)

    def serve():
        try:
            conn, _ = srv.accept()
            with ctx.wrap_socket(conn, server_side=True) as s:
                s.recv(1)
        except (OSError, ssl.SSLError):
            pass
        srv.close()
    threading.Thread(target=serve, daemon=True).start()


def challenge_result(name, ctype, prepare=None):
    """A new order for name; its ctype challenge is prepared, triggered and
    polled until it is no longer pending; returns the challenge, with the
    seconds it took."""
    status, headers, data = new_order([name])
    order = json.loads(data)
    a = json.loads(post(order['authorizations'][0], None)[2])
    ch = [c for c in a['challenges'] if c['type'] == ctype][0]
    if prepare:
        prepare(ch)
    t0 = time.time()
    post(ch['url'], {})
    while time.time() - t0 < 60:
        c = json.loads(post(ch['url'], None)[2])
        if c['status'] not in ('pending', 'processing'):
            break
        time.sleep(0.1)
    c['seconds'] = round(time.time() - t0, 1)
    return c


def csr_der(names, k=None):
    k = k or ec.generate_private_key(ec.SECP256R1())
    with open(os.path.join(STATE, 'csrkey.pem'), 'wb') as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    b = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
    b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    return b.sign(k, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def main():
    global CASE, ARGS
    setup(*sys.argv[1:4])
    CASE, ARGS = sys.argv[4], sys.argv[5:]
    d = directory()
    st = state()
    if CASE == 'register':            # EAB_KID EAB_KEY ('-' '-': none)
        return answer(*register(ARGS[0], ARGS[1]))
    if CASE == 'ready':               # HTTP_PORT NAME: an order made ready, kept in state
        url, o = make_ready([ARGS[1]], int(ARGS[0]))
        st['ready'] = url
        st['finalize'] = o['finalize']
        st['authz'], st['challenge'] = o['authz_url'], o['challenge_url']
        save(st)
        return answer(200, {}, json.dumps(o).encode())
    if CASE == 'pending':             # NAME: an order left pending
        status, headers, data = new_order([ARGS[0]])
        if status == 201:
            st['pending'] = headers.get('Location')
            st['pending_finalize'] = json.loads(data).get('finalize')
            save(st)
        return answer(status, headers, data)
    if CASE == 'order':               # IDENTIFIERS_JSON: a new order for exactly these identifiers
        return answer(*post(d['newOrder'], {'identifiers': json.loads(ARGS[0])}))
    if CASE == 'replay':              # the same nonce twice: the second is refused
        n = nonce()
        request('POST', d['newOrder'], jws(key_load('account'), d['newOrder'],
                                           {'identifiers': []}, kid=st['kid'], nonce_value=n))
        return answer(*post(d['newOrder'], {'identifiers': [{'type': 'dns', 'value': ARGS[0]}]},
                            nonce_value=n))
    if CASE == 'other-key':           # the account's kid, another key's signature
        return answer(*post(d['newOrder'], {'identifiers': [{'type': 'dns', 'value': ARGS[0]}]},
                            signer=key_load('intruder')))
    if CASE == 'jwk-other-key':       # a jwk, signed by a different key
        url = d['newAccount']
        return answer(*request('POST', url, jws(key_load('intruder'), url, {'termsOfServiceAgreed': True},
                                                signer=key_load('account'))))
    if CASE == 'url-mismatch':        # signed for newAccount, sent to newOrder
        return answer(*post(d['newOrder'], {'identifiers': [{'type': 'dns', 'value': ARGS[0]}]},
                            header_url=d['newAccount']))
    if CASE == 'huge':                # a body over 64 KiB: answered from its Content-Length
        u = urllib.parse.urlsplit(d['newOrder'])
        s = CTX.wrap_socket(socket.create_connection((u.hostname, u.port), 10),
                            server_hostname=u.hostname)
        s.sendall(b'POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/jose+json\r\n'
                  b'Content-Length: 70000\r\n\r\n' % (u.path.encode(), u.hostname.encode(), u.port))
        s.settimeout(10)
        head = s.recv(4096)
        s.close()
        return answer(int(head.split()[1]), {}, b'')
    if CASE == 'not-json':
        return answer(*request('POST', d['newOrder'], '{"protected": "eyJ'))
    if CASE == 'payload-not-json':    # a proper JWS whose payload is not JSON
        key = key_load('account')
        prot = b64(json.dumps({'alg': 'ES256', 'nonce': nonce(), 'url': d['newOrder'],
                               'kid': st['kid']}).encode())
        pl = b64(b'{"identifiers": [')
        body = json.dumps({'protected': prot, 'payload': pl,
                           'signature': b64(sign(key, (prot + '.' + pl).encode()))})
        return answer(*request('POST', d['newOrder'], body))
    if CASE == 'wrong-type':          # JSON, but not application/jose+json
        return answer(*request('POST', d['newOrder'], jws(key_load('account'), d['newOrder'], {},
                                                          kid=st['kid']), ctype='application/json'))
    if CASE == 'finalize':            # URL_KEY NAME...: finalize with a CSR for these names
        url = st[ARGS[0]]
        status, headers, data = post(url, {'csr': b64(csr_der(ARGS[1:]))})
        if status == 200 and json.loads(data).get('certificate'):
            st['certificate'] = json.loads(data)['certificate']
            save(st)
        return answer(status, headers, data)
    if CASE == 'finalize-account-key':  # URL_KEY NAME: a CSR for the account's own key
        url = st[ARGS[0]]
        return answer(*post(url, {'csr': b64(csr_der(ARGS[1:], key_load('account')))}))
    if CASE == 'download':            # PEM_FILE: the order's certificate (leaf first) saved
        status, headers, data = post(st['certificate'], None)
        if status == 200:
            with open(ARGS[0], 'wb') as f:
                f.write(data.split(b'-----END CERTIFICATE-----')[0] + b'-----END CERTIFICATE-----\n')
        return answer(status, headers, b'')
    if CASE == 'url':                 # URL PAYLOAD ('-': POST-as-GET): by this account
        return answer(*post(ARGS[0], None if ARGS[1] == '-' else json.loads(ARGS[1])))
    if CASE == 'revoke':              # PEM_FILE [KEY_PEM]: by this account, or signed by KEY_PEM (jwk)
        cert = x509.load_pem_x509_certificate(open(ARGS[0], 'rb').read())
        payload = {'certificate': b64(cert.public_bytes(serialization.Encoding.DER))}
        url = d['revokeCert']
        if len(ARGS) > 1:
            k = serialization.load_pem_private_key(open(ARGS[1], 'rb').read(), None)
            return answer(*request('POST', url, jws(k, url, payload)))
        return answer(*post(url, payload))
    if CASE == 'register-padded':     # the account's key again, x with a padding bit set
        return answer(*register('-', '-', jwk_padded(key_load('account'))))
    if CASE == 'key-change-padded':   # KEY_PEM: roll over to that key, x with a padding bit set
        new = serialization.load_pem_private_key(open(ARGS[0], 'rb').read(), None)
        url = d['keyChange']
        prot = b64(json.dumps({'alg': 'ES256', 'jwk': jwk_padded(new), 'url': url}).encode())
        pl = b64(json.dumps({'account': st['kid'], 'oldKey': jwk(key_load('account'))}).encode())
        inner = {'protected': prot, 'payload': pl,
                 'signature': b64(sign(new, (prot + '.' + pl).encode()))}
        return answer(*post(url, inner))
    if CASE == 'key-change':          # the account's key rolled over to a new one (RFC 8555 7.3.5);
        old, new = key_load('account'), key_load('new')  # then account.pem is the new key
        url = d['keyChange']
        prot = b64(json.dumps({'alg': 'ES256', 'jwk': jwk(new), 'url': url}).encode())
        pl = b64(json.dumps({'account': st['kid'], 'oldKey': jwk(old)}).encode())
        inner = {'protected': prot, 'payload': pl,
                 'signature': b64(sign(new, (prot + '.' + pl).encode()))}
        status, headers, data = post(url, inner)
        if status == 200:
            os.rename(os.path.join(STATE, 'account.pem'), os.path.join(STATE, 'old.pem'))
            os.rename(os.path.join(STATE, 'new.pem'), os.path.join(STATE, 'account.pem'))
        return answer(status, headers, data)
    if CASE == 'old-key':             # NAME: a new order signed by the key before the rollover
        return answer(*post(d['newOrder'], {'identifiers': [{'type': 'dns', 'value': ARGS[0]}]},
                            signer=key_load('old')))
    if CASE == 'get':                 # STATE_KEY: POST-as-GET
        return answer(*post(st[ARGS[0]], None))
    if CASE == 'trigger':             # NAME...: for each, a new order and its http-01 challenge
        for name in ARGS:             # asked for; the answer to the last of those requests
            status, headers, data = new_order([name])
            if status != 201:
                return answer(status, headers, data)
            order = json.loads(data)
            a = json.loads(post(order['authorizations'][0], None)[2])
            ch = [c for c in a['challenges'] if c['type'] == 'http-01'][0]
            status, headers, data = post(ch['url'], {})
        out = json.loads(data)
        out['retry_after'] = headers.get('Retry-After')
        return answer(status, headers, json.dumps(out).encode())
    if CASE == 'challenge-dead':      # NAME: http-01 to a port whose server never answers
        return answer(200, {}, json.dumps(challenge_result(ARGS[0], 'http-01')).encode())
    if CASE == 'tls-alpn':            # MODE TLS_PORT NAME: tls-alpn-01 against our own TLS server
        def serve(ch):
            tls_alpn_server(int(ARGS[1]), ARGS[2],
                            ch['token'] + '.' + thumbprint(key_load('account')), ARGS[0])
        return answer(200, {}, json.dumps(challenge_result(ARGS[2], 'tls-alpn-01', serve)).encode())
    if CASE == 'slow':                # SECONDS: a client that never finishes its request
        u = urllib.parse.urlsplit(DIR_URL)
        raw = socket.create_connection((u.hostname, u.port), 5)
        s = CTX.wrap_socket(raw, server_hostname=u.hostname)
        s.sendall(b'POST /acme/new-order HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: 1000\r\n\r\n{' %
                  (u.hostname.encode(), u.port))
        t0 = time.time()
        others = []
        s.settimeout(float(ARGS[0]))
        # meanwhile other clients are served at once
        for _ in range(5):
            t1 = time.time()
            request('GET', DIR_URL)
            others.append(round(time.time() - t1, 3))
        try:
            got = s.recv(100)
        except (socket.timeout, ssl.SSLError, ConnectionError):
            got = b'timeout'
        out = {'closed_after': round(time.time() - t0, 1), 'got': got.decode(errors='replace')[:40],
               'others': others}
        return answer(200, {}, json.dumps(out).encode())
    raise SystemExit('unknown case ' + CASE)


if __name__ == '__main__':
    main()
