#!/usr/bin/env python3
r"""Records the replies of real Redis for tests/data/scripting_libs/cases.txt.

Each case is a line holding a Lua script (run as EVAL <script> 0) followed by a line
`=> <reply>`: the raw RESP2 reply, with `\\`, `\r`, `\n` and `\xNN` escapes. `#` lines are
comments. The cases run in order on one connection after SCRIPT FLUSH (cjson settings persist
from one script to the next, as in Redis).

    capture.py PORT            rewrite the reply lines from the server on PORT
    capture.py PORT OTHER      compare the servers on PORT and OTHER and print the differences
"""
import os, socket, sys

CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.txt")


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        i = self.buf.index(b"\r\n") + 2
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self.buf += self.sock.recv(65536)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def reply(self):
        line = self._line()
        kind = line[:1]
        if kind in b"$=!":
            n = int(line[1:-2])
            return line if n < 0 else line + self._exact(n + 2)
        if kind in b"*~%>":
            n = int(line[1:-2])
            out = line
            for _ in range(max(n, 0) * (2 if kind == b"%" else 1)):
                out += self.reply()
            return out
        return line

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else a.encode("latin-1")
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.reply()


def escape(data):
    out = []
    for b in data:
        if b == 0x5C:
            out.append("\\\\")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x0A:
            out.append("\\n")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def scripts(lines):
    return [l for l in lines if l.strip() and not l.startswith("#") and not l.startswith("=> ")]


def run(port, lines):
    conn = Conn(port)
    conn.call("SCRIPT", "FLUSH")
    return [escape(conn.call("EVAL", s.encode("latin-1"), "0")) for s in scripts(lines)]


def main():
    lines = open(CASES, encoding="latin-1").read().splitlines()
    replies = run(int(sys.argv[1]), lines)
    if len(sys.argv) > 2:
        other = run(int(sys.argv[2]), lines)
        for script, a, b in zip(scripts(lines), replies, other):
            if a != b:
                print("script: %s\n  %s: %s\n  %s: %s" % (script, sys.argv[1], a, sys.argv[2], b))
        return
    out, it = [], iter(replies)
    for line in lines:
        if line.startswith("=> "):
            continue
        out.append(line)
        if line.strip() and not line.startswith("#"):
            out.append("=> " + next(it))
    open(CASES, "w", encoding="latin-1").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
