#!/usr/bin/env python3
"""Random command sequences for the strings family, for tools/redis_golden.py.

Usage: gen_strings_fuzz.py SEED COUNT > script.txt"""
import random, sys
r = random.Random(int(sys.argv[1])); n = int(sys.argv[2])
keys = ['a', 'b', 'c', 'n', 'f']
def key(): return r.choice(keys)
def val():
    t = r.randrange(8)
    if t == 0: return str(r.randint(-20, 20))
    if t == 1: return str(r.randint(-2**63, 2**63 - 1))
    if t == 2: return r.choice(['abc', 'hello', '""', 'x', '12x', ' 1'.join('""') if False else '"1 "'])
    if t == 3: return '%d.%d' % (r.randint(-100, 100), r.randint(0, 99))
    if t == 4: return 'v' * r.randint(40, 50)
    if t == 5: return r.choice(['9223372036854775807', '-9223372036854775808', '0', '-0', '007', '1e3', 'inf'])
    if t == 6: return '"\\x00\\xff"'
    return ''.join(r.choice('abcxyz0123') for _ in range(r.randint(0, 12))) or '""'
def num(): return r.choice([str(r.randint(-10, 60)), str(r.randint(-2**63, 2**63 - 1)), 'x', '-1', '0', '9223372036854775807', '-9223372036854775808'])
def setopts():
    opts = []
    for _ in range(r.randint(0, 3)):
        o = r.choice(['NX', 'XX', 'GET', 'KEEPTTL', 'EX', 'PX', 'EXAT', 'PXAT', 'foo', 'PERSIST'])
        if o in ('EX', 'PX'): opts += [o, r.choice(['100', '0', '-1', 'x', '5000'])]
        elif o in ('EXAT', 'PXAT'): opts += [o, r.choice(['1', '0', '2'])]
        else: opts.append(o)
    return ' '.join(opts)
cmds = [
    lambda: 'GET %s' % key(),
    lambda: 'SET %s %s %s' % (key(), val(), setopts()),
    lambda: 'SETNX %s %s' % (key(), val()),
    lambda: 'SETEX %s %s %s' % (key(), r.choice(['100', '0', 'x']), val()),
    lambda: 'PSETEX %s %s %s' % (key(), r.choice(['100000', '0', 'x']), val()),
    lambda: 'GETSET %s %s' % (key(), val()),
    lambda: 'GETDEL %s' % key(),
    lambda: 'GETEX %s %s' % (key(), r.choice(['', 'PERSIST', 'EX 100', 'PX 0', 'EX x', 'PXAT 5', 'EXAT 1', 'GET'])),
    lambda: 'MGET ' + ' '.join(key() for _ in range(r.randint(1, 4))),
    lambda: 'MSET ' + ' '.join('%s %s' % (key(), val()) for _ in range(r.randint(1, 3))) + r.choice(['', '', ' extra']),
    lambda: 'MSETNX ' + ' '.join('%s %s' % (key(), val()) for _ in range(r.randint(1, 3))),
    lambda: 'APPEND %s %s' % (key(), val()),
    lambda: 'STRLEN %s' % key(),
    lambda: 'GETRANGE %s %s %s' % (key(), num(), num()),
    lambda: 'SUBSTR %s %s %s' % (key(), num(), num()),
    lambda: 'SETRANGE %s %s %s' % (key(), r.choice(['0', '1', '3', '10', '-1', 'x', '50']), val()),
    lambda: 'INCR %s' % key(),
    lambda: 'DECR %s' % key(),
    lambda: 'INCRBY %s %s' % (key(), num()),
    lambda: 'DECRBY %s %s' % (key(), num()),
    lambda: 'INCRBYFLOAT %s %s' % (key(), r.choice([val(), num(), '0.1', '-1.5', '1e10', '3.333333333333333333'])),
    lambda: 'LCS %s %s %s' % (key(), key(), r.choice(['', 'LEN', 'IDX', 'IDX WITHMATCHLEN', 'IDX MINMATCHLEN 2', 'LEN IDX', 'MINMATCHLEN'])),
    lambda: '!enc %s' % key(),
    lambda: '!ttl %s' % key(),
    lambda: '!exists %s' % key(),
    lambda: '!dirty',
    lambda: '!stats',
]
for _ in range(n):
    print(r.choice(cmds)())
