#!/usr/bin/env python3
"""Fills in golden scripts from a real Redis server.

A golden script is a text file of commands, one per line (quoted as redis-cli quotes them),
each followed by a line `=> <reply>` with the reply the real Redis gave, in the canonical
rendering that `verdis::engine::testkit::golden` uses. This tool runs the commands against a
real Redis (default port 7401) and rewrites the `=>` lines; the Rust side replays the script
against the engine and compares.

Pseudo-commands (the same on both sides):
  !enc KEY     OBJECT ENCODING KEY
  !ttl KEY     TTL KEY
  !exists KEY  EXISTS KEY
  !dirty       changes counted since the previous !dirty (rdb_changes_since_last_save)
  !stats       keyspace hits and misses since the previous !stats
  !resp3       switch the connection to RESP3 (HELLO 3)

Usage: redis_golden.py [--port N] FILE...
"""
import socket
import sys


def split_args(line):
    """redis-cli / sdssplitargs quoting."""
    out, i, n = [], 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return out
        cur, inq, insq = b"", False, False
        while True:
            if inq:
                if i >= n:
                    raise ValueError("unbalanced quotes: " + line)
                c = line[i]
                if c == "\\" and i + 3 < n and line[i + 1] == "x" and all(
                        ch in "0123456789abcdefABCDEF" for ch in line[i + 2:i + 4]):
                    cur += bytes([int(line[i + 2:i + 4], 16)])
                    i += 3
                elif c == "\\" and i + 1 < n:
                    i += 1
                    cur += {"n": b"\n", "r": b"\r", "t": b"\t", "b": b"\b", "a": b"\a"}.get(
                        line[i], line[i].encode())
                elif c == '"':
                    if i + 1 < n and not line[i + 1].isspace():
                        raise ValueError("closing quote must be followed by space: " + line)
                    i += 1
                    break
                else:
                    cur += c.encode()
            elif insq:
                if i >= n:
                    raise ValueError("unbalanced quotes: " + line)
                c = line[i]
                if c == "\\" and i + 1 < n and line[i + 1] == "'":
                    i += 1
                    cur += b"'"
                elif c == "'":
                    if i + 1 < n and not line[i + 1].isspace():
                        raise ValueError("closing quote must be followed by space: " + line)
                    i += 1
                    break
                else:
                    cur += c.encode()
            else:
                if i >= n or line[i].isspace():
                    break
                c = line[i]
                if c == '"':
                    inq = True
                elif c == "'":
                    insq = True
                else:
                    cur += c.encode()
            i += 1
        out.append(cur)


def render_bulk(b):
    s = '"'
    for x in b:
        if x == 0x22:
            s += '\\"'
        elif x == 0x5C:
            s += "\\\\"
        elif 0x20 <= x < 0x7F:
            s += chr(x)
        else:
            s += "\\x%02x" % x
    return s + '"'


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.f = self.sock.makefile("rb")

    def send(self, args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else a.encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t == b"+":
            return "+" + rest.decode()
        if t == b"-":
            return "-" + rest.decode()
        if t == b":":
            return ":" + rest.decode()
        if t == b"$":
            n = int(rest)
            return "nil" if n < 0 else render_bulk(self.f.read(n + 2)[:-2])
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return "nil" if n < 0 else "[" + ", ".join(self.read() for _ in range(n)) + "]"
        if t == b"%":
            n = int(rest)
            return "{" + ", ".join("%s: %s" % (self.read(), self.read()) for _ in range(n)) + "}"
        if t == b"_":
            return "nil"
        if t == b",":
            return "," + rest.decode()
        if t == b"#":
            return "#" + rest.decode()
        if t == b"(":
            return "(" + rest.decode()
        if t == b"=":
            n = int(rest)
            return render_bulk(self.f.read(n + 2)[:-2][4:])
        raise ValueError("unexpected reply: %r" % line)

    def info_field(self, name):
        self.sock.sendall(b"*1\r\n$4\r\nINFO\r\n")
        line = self.f.readline()
        n = int(line[1:-2])
        text = self.f.read(n + 2).decode()
        for l in text.split("\r\n"):
            if l.startswith(name + ":"):
                return int(l.split(":", 1)[1])
        raise KeyError(name)


def run(port, path):
    conn = Conn(port)
    conn.send(["FLUSHALL"])
    conn.send(["CONFIG", "RESETSTAT"])
    dirty = conn.info_field("rdb_changes_since_last_save")
    hits, misses = conn.info_field("keyspace_hits"), conn.info_field("keyspace_misses")
    out = []
    for line in open(path).read().split("\n"):
        if line.startswith("=> "):
            continue
        out.append(line)
        cmd = line.strip()
        if not cmd or cmd.startswith("#"):
            continue
        args = split_args(cmd)
        name = args[0].decode().lower()
        if name == "!enc":
            reply = conn.send(["OBJECT", "ENCODING", args[1]])
        elif name == "!ttl":
            reply = conn.send(["TTL", args[1]])
        elif name == "!exists":
            reply = conn.send(["EXISTS", args[1]])
        elif name == "!dirty":
            now = conn.info_field("rdb_changes_since_last_save")
            reply, dirty = ":%d" % (now - dirty), now
        elif name == "!stats":
            h, m = conn.info_field("keyspace_hits"), conn.info_field("keyspace_misses")
            reply = "hits=%d misses=%d" % (h - hits, m - misses)
            hits, misses = h, m
        elif name == "!resp3":
            conn.send(["HELLO", "3"])
            reply = "+OK"
        else:
            reply = conn.send(args)
        out.append("=> " + reply)
    while out and out[-1] == "":
        out.pop()
    open(path, "w").write("\n".join(out) + "\n")


def main():
    args, port = sys.argv[1:], 7401
    if args[:1] == ["--port"]:
        port, args = int(args[1]), args[2:]
    for path in args:
        run(port, path)


if __name__ == "__main__":
    main()
