"""The seed's hot-spot loop: an empty loop of a million iterations.

The harness calls `compute()` many times, as the seed's notebook does; an
optimising compiler may delete the loop entirely, which is the point.
"""


def compute():
    for _ in range(1000000):
        pass
