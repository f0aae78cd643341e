"""Finite differences that know when to distrust themselves: refined before a failure, kinks told from curvature.

A central difference with step h has an error of order h² f'''. Near a
singularity (1/y at y = 1e-5, with h = 1e-6 a tenth of y) that error is not
small, so before a disagreement is reported the difference is refined: the
steps h, h/2, h/4, ... are extrapolated to h = 0 (Richardson's tableau, as in
Ridders' method), which removes the h², h⁴, ... terms and estimates its own
error. If the differences still do not settle, or look like a kink or a jump,
or a smaller step cannot be evaluated, the ladder starts again at a smaller
step: a pole inside the step (x / y at y = 1e-9) looks like a jump at h = 1e-6
and goes away, while a kink (relu at 0) stays one at every step.

A kink (relu at 0) or a jump (the derivative of abs at 0) is told from
curvature by how the differences change as the step is halved, never by the
comparison's tolerance: on a smooth function the gap between the left and the
right slope is about h f'' and halves with h, while across a kink it stays;
a central difference settles as the step shrinks (its changes shrink
fourfold), while across a jump it doubles.
"""

from __future__ import annotations

import math

from ..gradcheck import shifted_values

__all__ = ["Ladder", "ROUNDING"]

# f(x ± h) is rounded to a few units in the last place of the larger value: that much noise,
# divided by 2h, is in every central difference (it matters where f is much larger than f' h).
ROUNDING = 8 * 2.0**-52
# Steps h, h/2, ..., h / 2**_HALVINGS: enough to extrapolate past a singularity a few steps away.
_HALVINGS = 8
# A first step that leaves f's domain is quartered up to this many times (eps / 4**10 is about 1e-12).
_EDGE_SHRINKS = 10
# A ladder whose smaller steps cannot be evaluated starts again below them, down to eps times this.
_SMALLEST_RESTART = 2.0**-30
# A smooth function's one-sided gap halves (ratio 0.5) and its central difference's change shrinks
# fourfold (0.25) with each halving of the step; a ratio above this is a kink or a jump.
_STAYS = 0.7
# A gap or a change counts only if it is this many times the rounding noise.
_ABOVE_NOISE = 8.0


class Ladder:
    """`f` along input j at x ± h / 2**i, evaluated level by level as needed.

    `f` takes a list of floats and returns numbers indexed by key (a list or a
    dict). Level 0 is the step of `gradcheck`; the smaller steps are evaluated
    only when a disagreement needs them. A smaller step that cannot be
    evaluated (it leaves a domain) ends the ladder there.
    """

    def __init__(self, f, point, j, eps, centre, smallest_eps=None):
        self.f, self.point, self.j, self.centre = f, point, j, centre
        self.smallest_eps = eps * _SMALLEST_RESTART if smallest_eps is None else smallest_eps
        self.eps, self._levels, self._ended = self._first_step(eps), [], False
        self._levels.append(self._first)

    def _first_step(self, eps):
        """`eps`, or a smaller one if x ± h leaves f's domain (log at 1e-6, h = 1e-6): the step shrinks
        with the distance to the domain's edge, up to _EDGE_SHRINKS quarterings; then the first error stands."""
        first_error = None
        for _ in range(_EDGE_SHRINKS + 1):
            try:
                self._first = shifted_values(self.f, self.point, self.j, eps)
                return eps
            except ValueError as error:
                first_error = first_error or error
                eps /= 4
        raise first_error

    def level(self, i):
        """(down, up, h) at step h / 2**i, or None past the last step that could be evaluated."""
        while len(self._levels) <= i and not self._ended:
            try:
                self._levels.append(shifted_values(self.f, self.point, self.j, self.eps / 2 ** len(self._levels)))
            except (ArithmeticError, ValueError):
                self._ended = True
        return self._levels[i] if i < len(self._levels) else None

    def central(self, key, i=0):
        down, up, h = self.level(i)
        return (up[key] - down[key]) / (2 * h)

    def slopes(self, key, i=0):
        """The left and the right slope at step h / 2**i."""
        down, up, h = self.level(i)
        centre = self.centre[key]
        return (centre - down[key]) / h, (up[key] - centre) / h

    def noise(self, key, i=0):
        """The rounding noise of the central difference at step h / 2**i."""
        down, up, h = self.level(i)
        return ROUNDING * max(abs(up[key]), abs(down[key]), abs(self.centre[key])) / (2 * h)

    def refined(self, key):
        """(estimate, error, noise): the central differences extrapolated to step 0 (Ridders' method).

        `error` is the tableau's own estimate (inf if no smaller step could be
        evaluated), `noise` the rounding noise at the smallest step used.
        """
        previous = [self.central(key)]
        best, error, deepest = previous[0], math.inf, 0  # the entry of the tableau that changes least
        for i in range(1, _HALVINGS + 1):
            if self.level(i) is None:
                break
            row, factor = [self.central(key, i)], 4.0
            for m in range(1, i + 1):
                row.append((factor * row[m - 1] - previous[m - 1]) / (factor - 1))
                factor *= 4.0
                e = max(abs(row[m] - row[m - 1]), abs(row[m] - previous[m - 1]))
                if e <= error:
                    best, error, deepest = row[m], e, i
            previous = row  # every step is used: near a singularity the first extrapolations are poor
        return best, error, self.noise(key, deepest)

    def bends(self, key):
        """True if f has a kink or a jump within the step, judged over three steps (h, h/2, h/4)."""
        if self.level(2) is None:
            return False  # too few steps to tell
        gaps = [abs(right - left) for left, right in (self.slopes(key, i) for i in range(3))]
        # the gap of one-sided slopes carries about four times the central difference's noise
        if all(gaps[i] > 4 * _ABOVE_NOISE * self.noise(key, i) for i in range(3)) and all(
            gaps[i + 1] > _STAYS * gaps[i] for i in range(2)
        ):
            return True  # a kink: the left and right slopes stay apart however small the step
        centrals = [self.central(key, i) for i in range(3)]
        changes = [abs(centrals[i + 1] - centrals[i]) for i in range(2)]
        return all(changes[i] > 2 * _ABOVE_NOISE * self.noise(key, i + 1) for i in range(2)) and (
            changes[1] > _STAYS * changes[0]
        )  # a jump: the central difference grows like 1/h instead of settling

    def verdict(self, key, value, rtol, atol):
        """How `value` (a derivative from backward) compares with f's derivative at the point.

        "agrees"; "bends" (a kink or a jump within the step: differences are no
        reference); "wrong" (the differences settle, on another number); or
        "unsure" (they do not settle, so they can confirm nothing).
        """
        central = self.central(key)
        if abs(value - central) <= atol + rtol * abs(central) + self.noise(key):
            return "agrees"
        self.level(2)
        if self._ended:
            # a smaller step could not be evaluated, so this one straddles a pole or an edge (x / y at y = 5e-7,
            # h = 1e-6, where y - h / 2 = 0): start again below the step that failed
            return self._again(self.eps / 2 ** (len(self._levels) + 1), key, value, rtol, atol) or "unsure"
        estimate, error, noise = self.refined(key)
        tolerance = atol + rtol * abs(estimate) + noise
        if abs(value - estimate) <= tolerance and error <= tolerance:
            return "agrees"
        bends = self.bends(key)
        if not bends and error <= tolerance:
            return "wrong"
        # A kink stays a kink at every step; a pole inside the step (x / y at y = 1e-9) looks like a jump,
        # and higher-order terms that still dominate do not settle: both go away at smaller steps.
        return self._again(self.eps / 2**_HALVINGS, key, value, rtol, atol) or ("bends" if bends else "unsure")

    def _again(self, eps, key, value, rtol, atol):
        """The verdict of a ladder that starts at the smaller step `eps`, or None below `smallest_eps`."""
        if eps < self.smallest_eps:
            return None
        try:
            smaller = Ladder(self.f, self.point, self.j, eps, self.centre, self.smallest_eps)
        except (ArithmeticError, ValueError):
            return None
        return smaller.verdict(key, value, rtol, atol)
