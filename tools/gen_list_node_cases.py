# Random list-command scenarios run on redis-server 7.0.15; prints the rows of
# src/engine/list/redis_cases.rs: (fill, ql_nodes, ql_uncompressed_size, commands), read from
# DEBUG OBJECT after each scenario.
# Usage: redis-server --port P --save "" --enable-debug-command yes, then
#   python3 tools/gen_list_node_cases.py P 7 40
import random, socket, sys

class R:
    def __init__(s, port):
        s.s = socket.create_connection(("127.0.0.1", port)); s.f = s.s.makefile("rb")
    def cmd(s, *a):
        out = b"*%d\r\n" % len(a)
        for x in a:
            x = x if isinstance(x, bytes) else str(x).encode()
            out += b"$%d\r\n%s\r\n" % (len(x), x)
        s.s.sendall(out); return s.read()
    def read(s):
        l = s.f.readline()[:-2]; t, r = l[:1], l[1:]
        if t == b"+": return r
        if t == b"-": return Exception(r.decode())
        if t == b":": return int(r)
        if t == b"$":
            n = int(r)
            if n < 0: return None
            d = s.f.read(n + 2); return d[:-2]
        if t == b"*":
            n = int(r); return None if n < 0 else [s.read() for _ in range(n)]

def elem(rng):
    k = rng.random()
    if k < 0.3: return str(rng.randint(-100000, 100000))
    if k < 0.6: return rng.choice("abcdef") * rng.randint(1, 20)
    if k < 0.9: return rng.choice("ghij") * rng.randint(100, 700)
    return rng.choice("kl") * rng.randint(1500, 3000)

def scenario(r, rng):
    fill = rng.choice([-1, -2, 1, 2, 3, 4, 5, 8])
    r.cmd("FLUSHALL"); r.cmd("CONFIG", "SET", "list-max-listpack-size", fill)
    cmds = []
    for _ in range(rng.randint(5, 40)):
        n = r.cmd("LLEN", "l")
        k = rng.random()
        if k < 0.25: c = ["RPUSH", "l"] + [elem(rng) for _ in range(rng.randint(1, 6))]
        elif k < 0.45: c = ["LPUSH", "l"] + [elem(rng) for _ in range(rng.randint(1, 6))]
        elif k < 0.65 and n:
            lr = r.cmd("LRANGE", "l", 0, -1)
            pivot = rng.choice(lr).decode()
            c = ["LINSERT", "l", rng.choice(["BEFORE", "AFTER"]), pivot, elem(rng)]
        elif k < 0.72 and n: c = ["LSET", "l", rng.randint(-n, n - 1), elem(rng)]
        elif k < 0.78 and n:
            lr = r.cmd("LRANGE", "l", 0, -1)
            c = ["LREM", "l", rng.randint(-2, 2), rng.choice(lr).decode()]
        elif k < 0.84 and n: c = ["LTRIM", "l", rng.randint(0, 3), rng.randint(-4, -1)]
        elif k < 0.92 and n: c = [rng.choice(["LPOP", "RPOP"]), "l", rng.randint(1, 4)]
        else: c = ["RPUSH", "l"] + [elem(rng) for _ in range(rng.randint(5, 30))]
        res = r.cmd(*c)
        assert not isinstance(res, Exception), (c, res)
        cmds.append(" ".join(str(x) for x in c))
    if not r.cmd("EXISTS", "l"): return None
    info = r.cmd("DEBUG", "OBJECT", "l").decode()
    kv = dict(p.split(":", 1) for p in info.split() if ":" in p)
    return fill, cmds, int(kv["ql_nodes"]), int(kv["ql_uncompressed_size"])

def compress(cmd):
    # Long runs of one letter are written as <letter>*<n> to keep the table short.
    import re
    return re.sub(r"([a-z])\1{9,}", lambda m: "%s*%d" % (m.group(1), len(m.group(0))), cmd)

r = R(int(sys.argv[1])); rng = random.Random(int(sys.argv[2])); count = int(sys.argv[3])
out = []
while len(out) < count:
    s = scenario(r, rng)
    if s and s[2] > 1: out.append(s)
r.cmd("CONFIG", "SET", "list-max-listpack-size", -2)
for fill, cmds, nodes, sz in out:
    print("    (%d, %d, %d, &[" % (fill, nodes, sz))
    for c in cmds: print('        "%s",' % compress(c))
    print("    ]),")
