#!/usr/bin/python3
"""An http-01 server for the tests that answers every request with a 200
whose body comes one byte every DELAY seconds: never silent, never done.
usage: acme_drip.py PORT DELAY"""
import socket, sys, threading, time


def serve(c, delay):
    try:
        c.recv(4096)
        c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n')
        for _ in range(1000):
            c.sendall(b'x')
            time.sleep(delay)
    except OSError:
        pass
    c.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(64)
while True:
    threading.Thread(target=serve, args=(s.accept()[0], float(sys.argv[2])), daemon=True).start()
