"""Mean and 95 % confidence interval of a sample (Student's t), without numpy or scipy.

The interval is mean +- t(0.975, n-1) * sd / sqrt(n), with sd the sample standard deviation. It
assumes independent runs; for a single run there is no interval.
"""
import functools
import math


def t_pdf(x, df):
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    return c * (1 + x * x / df) ** (-(df + 1) / 2)


def t_cdf_upper_half(x, df, steps=2000):
    """P(0 <= T <= x) by Simpson's rule (x >= 0)."""
    h = x / steps
    s = t_pdf(0, df) + t_pdf(x, df)
    for i in range(1, steps):
        s += (4 if i % 2 else 2) * t_pdf(i * h, df)
    return s * h / 3


@functools.lru_cache(maxsize=None)  # a few degrees of freedom serve every table, each costing 22 integrations
def t_quantile_975(df):
    """The 97.5 % quantile of Student's t with df degrees of freedom, by bisection (to 1e-6)."""
    lo, hi = 0.0, 20.0 if df > 1 else 200.0
    while hi - lo > 1e-6:
        mid = (lo + hi) / 2
        if t_cdf_upper_half(mid, df) < 0.475:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


class Sample:
    """Mean, sample standard deviation and 95 % interval half-width of a list of numbers."""

    def __init__(self, values):
        if not values:
            raise ValueError("a sample needs at least one value")
        self.values = list(values)
        self.n = len(self.values)
        self.mean = sum(self.values) / self.n
        self.sd = math.sqrt(sum((v - self.mean) ** 2 for v in self.values) / (self.n - 1)) if self.n > 1 else 0.0
        self.half = t_quantile_975(self.n - 1) * self.sd / math.sqrt(self.n) if self.n > 1 else None

    def percent(self, digits=2):
        """'98.45 ± 0.12 %' (interval half-width), or '98.45 %' for one run."""
        m = "%.*f" % (digits, 100 * self.mean)
        return m + (" ± %.*f" % (digits, 100 * self.half) if self.half is not None else "") + " %"

    def points(self, digits=2):
        """The same as a difference in percentage points: '+1.20 ± 0.30 points'."""
        m = "%+.*f" % (digits, 100 * self.mean)
        return m + (" ± %.*f" % (digits, 100 * self.half) if self.half is not None else "") + " points"
