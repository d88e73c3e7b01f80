#!/usr/bin/env python3
"""bench/idle_connections.py - opens N keep-alive TCP connections to HOST:PORT and holds them
idle (no request sent) until it is terminated. Prints "open N" once they are all established.

Usage: bench/idle_connections.py HOST PORT N
"""
import resource
import signal
import socket
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = count + 64
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
conns = []
for i in range(count):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    conns.append(s)
    if i % 1000 == 999:
        time.sleep(0.01)  # let the receiver's accept loop keep up
print("open %d" % len(conns), flush=True)
while True:
    time.sleep(3600)
