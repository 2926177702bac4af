#!/usr/bin/env python3
"""mdns_query.py: a tablet's Multicast DNS lookup, for the LAN tests.

  mdns_query.py NAME [--type A|AAAA|PTR] [--mode legacy|qu|qm] [--timeout S]
                [--src OUR_ADDRESS]

legacy: a one-shot query from an ephemeral port (as `dig -p 5353
@224.0.0.251` sends), answered by unicast (RFC 6762 6.7). qu: from port
5353 with the unicast-response bit. qm: from port 5353, the answer comes to
the group. Prints one line per answer record: "NAME TYPE TTL VALUE" and
exits 1 when nothing answered.
"""
import argparse, ipaddress, random, socket, struct, sys, time

TYPES = {"A": 1, "PTR": 12, "AAAA": 28, "ANY": 255}
NAMES = {v: k for k, v in TYPES.items()}


def enc_name(name):
    out = b""
    for lab in name.rstrip(".").split("."):
        out += bytes([len(lab)]) + lab.encode()
    return out + b"\0"


def read_name(pkt, off):
    labels, jumped, end = [], False, None
    for _ in range(64):
        n = pkt[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | pkt[off + 1]
            continue
        if n == 0:
            return ".".join(labels), (end if end is not None else off + 1)
        labels.append(pkt[off + 1:off + 1 + n].decode("latin-1"))
        off += 1 + n
    raise ValueError("name loop")


def parse(pkt):
    qd, an, ns, ar = struct.unpack(">HHHH", pkt[4:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(pkt, off)
        off += 4
    out = []
    for _ in range(an + ns + ar):
        name, off = read_name(pkt, off)
        t, c, ttl, rdlen = struct.unpack(">HHIH", pkt[off:off + 10])
        off += 10
        rd = pkt[off:off + rdlen]
        if t == 1:
            val = str(ipaddress.IPv4Address(rd))
        elif t == 28:
            val = str(ipaddress.IPv6Address(rd))
        elif t == 12:
            val = read_name(pkt, off)[0]
        else:
            val = rd.hex()
        off += rdlen
        out.append((name, NAMES.get(t, str(t)), ttl, val, bool(c & 0x8000)))
    return struct.unpack(">H", pkt[0:2])[0], struct.unpack(">H", pkt[2:4])[0], out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--type", default="A")
    ap.add_argument("--mode", default="legacy", choices=["legacy", "qu", "qm"])
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--src", default="0.0.0.0",
                    help="our address: the interface for multicast")
    a = ap.parse_args()
    qid = random.randint(1, 65535) if a.mode == "legacy" else 0
    klass = 1 | (0x8000 if a.mode == "qu" else 0)
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + enc_name(a.name) + \
        struct.pack(">HH", TYPES[a.type], klass)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                 socket.inet_aton(a.src))
    if a.mode != "legacy":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("", 5353))
        mreq = socket.inet_aton("224.0.0.251") + socket.inet_aton(a.src)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    s.sendto(q, ("224.0.0.251", 5353))
    deadline = time.time() + a.timeout
    found = False
    while time.time() < deadline and not found:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            pkt, src = s.recvfrom(9000)
        except socket.timeout:
            break
        try:
            rid, flags, recs = parse(pkt)
        except Exception:
            continue
        if not flags & 0x8000 or (a.mode == "legacy" and rid != qid):
            continue
        for name, t, ttl, val, flush in recs:
            if name.lower() == a.name.lower() and (t == a.type or a.type == "ANY"):
                print(f"{name} {t} {ttl} {val} from={src[0]}"
                      f"{' flush' if flush else ''}")
                found = True
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
