#!/usr/bin/env python3
"""Independent Erlang C reference values (mpmath, 50 significant digits, textbook sum form).

Run: python3 scripts/erlang_reference.py — prints the vectors tests/erlang_reference.rs holds.
"""
from mpmath import mp, mpf, factorial, log

mp.dps = 50


def erlang_c(a, c):
    a = mpf(a)
    s = sum(a**k / factorial(k) for k in range(c))
    top = a**c / factorial(c) * c / (c - a)
    return top / (s + top)


def p99_ms(a, c, hold_ms=40):
    C = erlang_c(a, c)
    mu = 1000 / mpf(hold_ms)
    lam = a * mu
    if 1 - mpf("0.99") >= C:
        return mpf(0)
    return log(C / mpf("0.01")) / (c * mu - lam) * 1000


for a, c in [(50, 55), (50, 60), (50, 70), (1000, 1050), (5000, 5250)]:
    print(a, c, mp.nstr(erlang_c(a, c), 18), mp.nstr(p99_ms(a, c), 15))
