#!/usr/bin/env python3
"""Fills in the expectations of a model script (specs/tests/scripts/*.redis) from a real Redis.

Each command line `ARGS` or `ARGS => OLD` becomes `ARGS => REPLY`, with the reply the server
gave rendered in the script syntax of specs/src/script.rs. Comments, blank lines and `@client`
lines are kept; `@sleep` is honoured. The server gets FLUSHALL first.

Usage: redis_expect.py [--port N] FILE...
"""
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from redis_golden import Conn as GoldenConn, render_bulk, split_args  # noqa: E402


class Conn(GoldenConn):
    """redis_golden's connection, rendering replies in the model script's syntax."""

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t == b"+":
            return "+" + rest.decode()
        if t == b"-":
            text = rest.decode()
            return "-" + text if not text.endswith(" ") else '-"' + text + '"'
        if t == b":":
            return ":" + rest.decode()
        if t == b"$":
            n = int(rest)
            return "(nil)" if n < 0 else render_bulk(self.f.read(n + 2)[:-2])
        if t == b"*":
            n = int(rest)
            return "(nilarray)" if n < 0 else "[" + ", ".join(self.read() for _ in range(n)) + "]"
        raise ValueError("unexpected reply: %r" % line)


def run(port, path):
    conns = {0: Conn(port)}
    conns[0].send(["FLUSHALL"])
    client = 0
    out = []
    for line in open(path).read().split("\n"):
        s = line.strip()
        if not s or s.startswith("#"):
            out.append(line)
            continue
        if s.startswith("@client"):
            client = int(s.split()[1])
            conns.setdefault(client, Conn(port))
            out.append(line)
            continue
        if s.startswith("@sleep"):
            time.sleep(int(s.split()[1]) / 1000)
            out.append(line)
            continue
        cmd = s.split(" => ")[0]
        reply = conns[client].send(split_args(cmd))
        out.append(cmd + " => " + reply)
    open(path, "w").write("\n".join(out))


def main():
    args, port = sys.argv[1:], 7401
    if args[:1] == ["--port"]:
        port, args = int(args[1]), args[2:]
    for path in args:
        run(port, path)


if __name__ == "__main__":
    main()
