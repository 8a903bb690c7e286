# SPDX-License-Identifier: GPL-2.0
"""Order statistics shared by the benchmark tables (handshake-plot.py,
transports-tables.py): a failed run counts as math.inf, so it can only
make a figure look slower, never faster."""
import math

INF = math.inf


def median(xs):
    """The median; of an even count the mean of the two middle ones
    (infinite when either is).  None for no values."""
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return None
    if n % 2:
        return s[n // 2]
    a, b = s[n // 2 - 1], s[n // 2]
    return INF if INF in (a, b) else (a + b) / 2


def pctl(xs, p):
    """The nearest-rank p-th percentile (p90 of 20: the 18th smallest).
    None for no values."""
    s = sorted(xs)
    if not s:
        return None
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]
