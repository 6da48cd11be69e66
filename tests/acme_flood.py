#!/usr/bin/python3
"""Hostile load against 'minica serve', for tests/cmd/acme_slow.sh and
bench/acme.sh: slow clients (TLS, then a request dripped one byte every
--drip seconds), clients pushing large bodies, both spread over --sources
loopback addresses (127.0.0.2 and up), while one ordinary client from
127.0.0.1 asks for the directory; then one JSON line:
  slow_closed_after  seconds from each slow client's opening to its closing
                     by the server (null: still open at the end)
  slow_open_peak     slow clients open at once at most
  big_statuses       what each large-body client got (HTTP status, or
                     "closed")
  refused            connections closed before any answer within 2 s of
                     opening (caps)
  dir_ms             latencies of the directory requests, sorted
  rss_kb_peak        the server's peak resident size while loaded (VmRSS
                     sampled; --pid)

usage: acme_flood.py HOST PORT CA_FILE --pid PID [--slow N] [--big N]
       [--sources N] [--drip S] [--seconds S] [--big-bytes N] [--dir N]
       [--burst-from ADDR --burst N] [--persist]
--persist: each slow or large-body client connects again when closed, until
--seconds are over.
"""
import argparse, asyncio, json, ssl, time


def rss_kb(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


async def connect(a, ctx, source):
    return await asyncio.wait_for(asyncio.open_connection(
        a.host, a.port, ssl=ctx, server_hostname=a.host, local_addr=(source, 0)), 20)


async def again(a, t0, body):
    """body once, or (--persist) again and again until --seconds are over, as a flood does."""
    await body()
    while a.persist and time.monotonic() - t0 < a.seconds:
        await asyncio.sleep(0.5)
        await body()


async def slow_client(a, ctx, source, out):
    try:
        r, w = await connect(a, ctx, source)
    except (OSError, asyncio.TimeoutError, ssl.SSLError) as e:
        out['refused'] += 1
        out.setdefault('refused_why', []).append(type(e).__name__ + str(e)[:60])
        return
    t0 = time.monotonic()
    out['slow_open'] += 1
    out['slow_open_peak'] = max(out['slow_open_peak'], out['slow_open'])
    req = b'POST /acme/new-order HTTP/1.1\r\nHost: localhost\r\nContent-Length: 500\r\n\r\n' + \
        b'{' * 500
    closed = None
    try:
        for byte in req:
            w.write(bytes([byte]))
            await w.drain()
            try:
                await asyncio.wait_for(r.read(100), a.drip)
                closed = time.monotonic() - t0  # an answer or the end: the server acted
                break
            except asyncio.TimeoutError:
                pass
            if time.monotonic() > a.deadline:
                break
    except (OSError, ssl.SSLError):
        closed = time.monotonic() - t0
    out['slow_open'] -= 1
    out['slow_closed_after'].append(round(closed, 1) if closed is not None else None)
    w.close()


async def big_client(a, ctx, source, out):
    try:
        r, w = await connect(a, ctx, source)
    except (OSError, asyncio.TimeoutError, ssl.SSLError) as e:
        out['refused'] += 1
        out.setdefault('refused_why', []).append(type(e).__name__ + str(e)[:60])
        return
    t0 = time.monotonic()
    w.write(b'POST /acme/new-order HTTP/1.1\r\nHost: localhost\r\n'
            b'Content-Type: application/jose+json\r\nContent-Length: %d\r\n\r\n' % a.big_bytes)
    chunk, sent, status = b'x' * 16384, 0, 'open'
    try:
        while sent < a.big_bytes and time.monotonic() - t0 < a.seconds:
            w.write(chunk)
            sent += len(chunk)
            await asyncio.wait_for(w.drain(), 1)
            if r.at_eof():
                break
        line = await asyncio.wait_for(r.readline(), 3)
        status = int(line.split()[1]) if line.startswith(b'HTTP/') else 'closed'
    except (OSError, ssl.SSLError, asyncio.TimeoutError, ValueError, IndexError):
        status = 'closed'
    out['big_statuses'].append(status)
    w.close()


async def directory(a, ctx, out):
    req = b'GET /acme/directory HTTP/1.1\r\nHost: localhost\r\n\r\n'
    for _ in range(a.dir):
        await asyncio.sleep(a.seconds / (a.dir + 1))
        t0 = time.monotonic()
        try:
            r, w = await connect(a, ctx, '127.0.0.1')
            w.write(req)
            head = await asyncio.wait_for(r.readuntil(b'\r\n\r\n'), 10)
            n = int([l.split(b':')[1] for l in head.split(b'\r\n')
                     if l.lower().startswith(b'content-length')][0])
            await asyncio.wait_for(r.readexactly(n), 10)
            w.close()
            out['dir_ms'].append(round((time.monotonic() - t0) * 1000, 1))
        except (OSError, ssl.SSLError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                IndexError) as e:
            out['dir_errors'].append(type(e).__name__)
        out['rss_kb_peak'] = max(out['rss_kb_peak'], rss_kb(a.pid))


async def burst(a, ctx, out):
    """--burst connections from --burst-from, held: how many the server closes at once."""
    held, closed = [], 0
    for _ in range(a.burst):
        try:
            held.append(await connect(a, ctx, a.burst_from))
        except (OSError, asyncio.TimeoutError, ssl.SSLError):
            closed += 1
    await asyncio.sleep(1)
    for r, w in held:
        try:
            got = await asyncio.wait_for(r.read(1), 0.05)
            if not got:
                closed += 1
        except asyncio.TimeoutError:
            pass
        except (OSError, ssl.SSLError):
            closed += 1
    out['burst_closed'] = closed
    return held


async def sampler(a, out, stop):
    while not stop.is_set():
        out['rss_kb_peak'] = max(out['rss_kb_peak'], rss_kb(a.pid))
        await asyncio.sleep(0.2)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument('host')
    p.add_argument('port', type=int)
    p.add_argument('ca')
    p.add_argument('--pid', type=int, default=0)
    p.add_argument('--slow', type=int, default=0)
    p.add_argument('--big', type=int, default=0)
    p.add_argument('--big-bytes', type=int, default=1 << 20)
    p.add_argument('--sources', type=int, default=10)
    p.add_argument('--drip', type=float, default=5)
    p.add_argument('--seconds', type=float, default=10)
    p.add_argument('--dir', type=int, default=20)
    p.add_argument('--burst', type=int, default=0)
    p.add_argument('--burst-from', default='127.0.0.1')
    p.add_argument('--persist', action='store_true')
    a = p.parse_args()
    ctx = ssl.create_default_context(cafile=a.ca)
    out = {'slow_closed_after': [], 'slow_open': 0, 'slow_open_peak': 0, 'big_statuses': [],
           'refused': 0, 'dir_ms': [], 'dir_errors': [], 'rss_kb_peak': 0}
    stop = asyncio.Event()
    samp = asyncio.ensure_future(sampler(a, out, stop))
    held = []
    if a.burst:
        held = await burst(a, ctx, out)
    tasks = []
    t0 = time.monotonic()
    a.deadline = t0 + a.seconds
    for i in range(a.slow):
        src = '127.0.0.%d' % (2 + i % a.sources)
        tasks.append(asyncio.ensure_future(
            again(a, t0, lambda src=src: slow_client(a, ctx, src, out))))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # open them over a moment, as a real flood ramps up
    for i in range(a.big):
        src = '127.0.0.%d' % (2 + (a.slow + i) % a.sources)
        tasks.append(asyncio.ensure_future(
            again(a, t0, lambda src=src: big_client(a, ctx, src, out))))
    tasks.append(asyncio.ensure_future(directory(a, ctx, out)))
    await asyncio.gather(*tasks)
    stop.set()
    await samp
    for r, w in held:
        w.close()
    out['dir_ms'].sort()
    del out['slow_open']
    print(json.dumps(out))


if __name__ == '__main__':
    asyncio.run(main())
