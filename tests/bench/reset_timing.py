#!/usr/bin/env python3
"""tests/bench/reset_timing.py (make bench, via reset_timing.sh): how long
POST /api/v1/password/reset-request takes for accounts that exist and for
ids that do not, measured the way a client on the LAN would (request sent
to last byte of the answer, on a fresh TLS connection per request, each
from its own source address so the box's per-address throttle does not
answer instead). Samples interleave at random; prints medians, means and
two tests of "same distribution": Mann-Whitney U (normal approximation,
two-sided p) and Kolmogorov-Smirnov D with its 5 % critical value.

usage: reset_timing.py PORT CAFILE N REAL_PREFIX
  REAL_PREFIX: the real accounts are REAL_PREFIX0 .. REAL_PREFIX{N-1}
"""
import math, random, socket, ssl, sys, time

port, ca, n, prefix = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)


def one(i, uid):
    src = "127.%d.%d.%d" % (1 + i // 62500, (i // 250) % 250, 2 + i % 250)
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.bind((src, 0))
    raw.settimeout(10)
    raw.connect(("127.0.0.1", port))
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    body = '{"user":"%s"}' % uid
    req = ("POST /api/v1/password/reset-request HTTP/1.1\r\nHost: localhost:%d\r\n"
           "Origin: https://localhost:%d\r\nContent-Type: application/json\r\n"
           "Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (port, port, len(body), body))
    t0 = time.perf_counter()
    s.sendall(req.encode())
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    t1 = time.perf_counter()
    s.close()
    status = data.split(b" ", 2)[1].decode() if data else "none"
    return status, (t1 - t0) * 1000


def mann_whitney(a, b):
    allv = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks, i = {}, 0
    r = [0.0] * len(allv)
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1][0] == allv[i][0]:
            j += 1
        for k in range(i, j + 1):
            r[k] = (i + j) / 2 + 1
        i = j + 1
    ra = sum(r[k] for k in range(len(allv)) if allv[k][1] == 0)
    na, nb = len(a), len(b)
    u = ra - na * (na + 1) / 2
    mu, sd = na * nb / 2, math.sqrt(na * nb * (na + nb + 1) / 12)
    z = (u - mu) / sd
    return u, 2 * (1 - 0.5 * (1 + math.erf(abs(z) / math.sqrt(2))))


def ks(a, b):
    pts = sorted(set(a + b))
    d = max(abs(sum(x <= p for x in a) / len(a) - sum(x <= p for x in b) / len(b)) for p in pts)
    crit = 1.358 * math.sqrt((len(a) + len(b)) / (len(a) * len(b)))
    return d, crit


order = [("real", prefix + str(i)) for i in range(n)] + \
        [("none", "nobody.%d.%d" % (i, random.randrange(10**6))) for i in range(n)]
random.shuffle(order)
t = {"real": [], "none": []}
for i, (kind, uid) in enumerate(order):
    st, ms = one(i, uid)
    if st != "202":
        print("unexpected status %s for %s" % (st, uid), file=sys.stderr)
        sys.exit(1)
    t[kind].append(ms)
med = lambda v: sorted(v)[len(v) // 2]
u, p = mann_whitney(t["real"], t["none"])
d, crit = ks(t["real"], t["none"])
print("samples %d" % n)
print("median_real_ms %.3f" % med(t["real"]))
print("median_none_ms %.3f" % med(t["none"]))
print("mean_real_ms %.3f" % (sum(t["real"]) / n))
print("mean_none_ms %.3f" % (sum(t["none"]) / n))
print("mw_p %.4f" % p)
print("ks_d %.3f" % d)
print("ks_crit %.3f" % crit)
