#!/usr/bin/env python3
# tests/crash/check_acks.py URL CA JAR ACKS FIRST: every write acknowledged
# in ACKS (from line FIRST, 1-based) is readable from the box at URL, over
# one keep-alive HTTPS connection with the session in curl's cookie JAR.
#   ann ID REV K              GET /api/v1/announcements/ID has _rev REV
#   att CLASS DATE PERIOD N K GET /api/v1/attendance?class&date has N rows of
#                             PERIOD, none missing
# Exit 0: all there; 1: a write is lost (printed); 2: not logged in (401);
# 3: the box did not answer.
import http.client, json, ssl, sys, urllib.parse

url, ca, jar, acks, first = sys.argv[1:6]
u = urllib.parse.urlparse(url)
cookies = []
for line in open(jar, encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("#HttpOnly_"):
        line = line[len("#HttpOnly_"):]
    elif line.startswith("#") or not line:
        continue
    f = line.split("\t")
    if len(f) == 7:
        cookies.append(f[5] + "=" + f[6])
ctx = ssl.create_default_context(cafile=ca)
conn = None


def get(path):
    global conn
    for _ in range(3):
        try:
            if conn is None:
                conn = http.client.HTTPSConnection(u.hostname, u.port,
                                                   context=ctx, timeout=30)
            conn.request("GET", path, headers={"Cookie": "; ".join(cookies)})
            r = conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            conn = None
    print("the box did not answer GET " + path)
    sys.exit(3)


lines = open(acks, encoding="utf-8").read().splitlines()[int(first) - 1:]
days = {}
for line in lines:
    f = line.split()
    if f[0] == "ann":
        st, body = get("/api/v1/announcements/" + urllib.parse.quote(f[1]))
        if st == 401:
            sys.exit(2)
        rev = json.loads(body).get("_rev") if st == 200 else None
        if rev != f[2]:
            print("lost write %s: GET answered %d, _rev %s" % (line, st, rev))
            sys.exit(1)
    elif f[0] == "att":
        key = (f[1], f[2])
        if key not in days:
            q = urllib.parse.urlencode({"class": f[1], "date": f[2],
                                        "limit": 100})
            st, body = get("/api/v1/attendance?" + q)
            if st == 401:
                sys.exit(2)
            if st != 200:
                print("lost write %s: GET answered %d" % (line, st))
                sys.exit(1)
            days[key] = json.loads(body)["items"]
        rows = [i for i in days[key] if str(i.get("period")) == f[3]
                and i.get("_rev", "").startswith("1-")]
        if len(rows) != int(f[4]):
            print("lost write %s: %d of its %s rows read back"
                  % (line, len(rows), f[4]))
            sys.exit(1)
print("%d acknowledged writes read back" % len(lines))
