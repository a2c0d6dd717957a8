"""The twelve binary operations of the grokking paper (Power et al. 2022, appendix A.1.1).

Every element of an operation's domain is an abstract *symbol*: residues mod 97 are the
strings ``"0"`` … ``"96"``, permutations of S5 are written in one-line notation, the tuple
of images of (0, 1, 2, 3, 4), e.g. ``"12340"`` maps 0→1, 1→2, 2→3, 3→4, 4→0. The network
only ever sees a symbol's index, never its digits.

Product convention in S5: ``x · y`` means "apply y, then x", i.e. ``(x · y)[i] = x[y[i]]``.
Worked example: x = ``"12340"`` (i ↦ i+1 mod 5), y = ``"10234"`` (swap 0 and 1);
y sends 0→1, then x sends 1→2, so (x · y)[0] = 2; in full ``x · y = "21340"``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

P = 97
"""The prime modulus of every ``Z97-*`` operation."""

Permutation = tuple[int, ...]


@dataclass(frozen=True)
class Operation:
    """One binary operation table ``a ∘ b = c`` over a finite set of symbols."""

    stem: str
    """Task id stem, e.g. ``"Z97-div"``; task ids are ``<stem>-<fraction>[-v<N>]``."""
    formula: str
    """The operation as text, e.g. ``"x / y mod 97"``."""
    description: str
    """One sentence on the operation and its domain, for docs and dataset cards."""
    symbols: tuple[str, ...]
    """Every symbol of the set, in index order."""
    operand_pairs: Callable[[], list[tuple[int, int]]]
    """The domain: every (x, y) index pair that has an equation, in canonical order."""
    apply: Callable[[int, int], int]
    """The answer index for operand indices x, y."""

    @property
    def num_symbols(self) -> int:
        """Size of the symbol set (97 or 120)."""
        return len(self.symbols)

    def equations(self) -> np.ndarray:
        """All equations as an ``(N, 3)`` int64 array of symbol indices ``(a, b, c)``."""
        return _equations(self.stem)


def _all_pairs(n: int) -> Callable[[], list[tuple[int, int]]]:
    return lambda: list(itertools.product(range(n), range(n)))


def _mod_inverse(y: int) -> int:
    return pow(y, P - 2, P)


def _mix(x: int, y: int) -> int:
    return (x * _mod_inverse(y)) % P if y % 2 == 1 else (x - y) % P


PERMUTATIONS: tuple[Permutation, ...] = tuple(itertools.permutations(range(5)))
"""The 120 elements of S5 in lexicographic order; symbol i is ``PERMUTATIONS[i]``."""
_PERMUTATION_INDEX = {perm: i for i, perm in enumerate(PERMUTATIONS)}


def compose(x: Permutation, y: Permutation) -> Permutation:
    """The S5 product ``x · y``: apply y, then x, so ``(x · y)[i] = x[y[i]]``."""
    return tuple(x[y_i] for y_i in y)


def invert(x: Permutation) -> Permutation:
    """The inverse permutation ``x⁻¹``."""
    inverse = [0] * len(x)
    for i, x_i in enumerate(x):
        inverse[x_i] = i
    return tuple(inverse)


def _on_s5(fn: Callable[[Permutation, Permutation], Permutation]) -> Callable[[int, int], int]:
    return lambda x, y: _PERMUTATION_INDEX[fn(PERMUTATIONS[x], PERMUTATIONS[y])]


_RESIDUES = tuple(str(i) for i in range(P))
_PERMUTATION_SYMBOLS = tuple("".join(map(str, perm)) for perm in PERMUTATIONS)
_Z97_DOMAIN = "0 ≤ x, y < 97"
_S5_DOMAIN = "all 120 × 120 pairs of permutations of S5"


def _z97(stem: str, formula: str, apply: Callable[[int, int], int], note: str = "") -> Operation:
    return Operation(
        stem=stem,
        formula=formula,
        description=f"c = {formula}, for {_Z97_DOMAIN}{note}.",
        symbols=_RESIDUES,
        operand_pairs=_all_pairs(P),
        apply=apply,
    )


def _s5(stem: str, formula: str, fn: Callable[[Permutation, Permutation], Permutation]) -> Operation:
    return Operation(
        stem=stem,
        formula=formula,
        description=f"c = {formula}, for {_S5_DOMAIN}; (x · y)[i] = x[y[i]].",
        symbols=_PERMUTATION_SYMBOLS,
        operand_pairs=_all_pairs(len(PERMUTATIONS)),
        apply=_on_s5(fn),
    )


OPERATIONS: dict[str, Operation] = {
    op.stem: op
    for op in (
        _z97("Z97-add", "x + y mod 97", lambda x, y: (x + y) % P),
        _z97("Z97-sub", "x - y mod 97", lambda x, y: (x - y) % P),
        Operation(
            stem="Z97-div",
            formula="x / y mod 97",
            description="c = x / y mod 97 = x · y^95 mod 97, for 0 ≤ x < 97 and 0 < y < 97.",
            symbols=_RESIDUES,
            operand_pairs=lambda: list(itertools.product(range(P), range(1, P))),
            apply=lambda x, y: (x * _mod_inverse(y)) % P,
        ),
        _z97("Z97-mix", "x / y mod 97 if y is odd, else x - y mod 97", _mix, " (y = 0 counts as even)"),
        _z97("Z97-quad1", "x^2 + y^2 mod 97", lambda x, y: (x * x + y * y) % P),
        _z97("Z97-quad2", "x^2 + xy + y^2 mod 97", lambda x, y: (x * x + x * y + y * y) % P),
        _z97("Z97-quad3", "x^2 + xy + y^2 + x mod 97", lambda x, y: (x * x + x * y + y * y + x) % P),
        _z97("Z97-cube1", "x^3 + xy mod 97", lambda x, y: (x**3 + x * y) % P),
        _z97("Z97-cube2", "x^3 + xy^2 + y mod 97", lambda x, y: (x**3 + x * y * y + y) % P),
        _s5("S5-square", "x · y in S5", compose),
        _s5("S5-conj", "x · y · x^-1 in S5", lambda x, y: compose(compose(x, y), invert(x))),
        _s5("S5-aba", "x · y · x in S5", lambda x, y: compose(compose(x, y), x)),
    )
}
"""Every operation, keyed by its stem."""


@cache
def _equations(stem: str) -> np.ndarray:
    op = OPERATIONS[stem]
    table = np.array([(x, y, op.apply(x, y)) for x, y in op.operand_pairs()], dtype=np.int64)
    table.setflags(write=False)
    return table
