"""Every operation table against its formula, computed here independently of grokbench."""

import itertools

import numpy as np
import pytest

from grokbench.operations import OPERATIONS

P = 97
EXPECTED_SIZES = {stem: 9409 for stem in OPERATIONS if stem.startswith("Z97")} | {
    "Z97-div": 9312,
    "S5-square": 14400,
    "S5-conj": 14400,
    "S5-aba": 14400,
}
FORMULAS = {
    "Z97-add": lambda x, y: (x + y) % P,
    "Z97-sub": lambda x, y: (x - y) % P,
    "Z97-quad1": lambda x, y: (x**2 + y**2) % P,
    "Z97-quad2": lambda x, y: (x**2 + x * y + y**2) % P,
    "Z97-quad3": lambda x, y: (x**2 + x * y + y**2 + x) % P,
    "Z97-cube1": lambda x, y: (x**3 + x * y) % P,
    "Z97-cube2": lambda x, y: (x**3 + x * y**2 + y) % P,
}


def symbol_table(stem):
    """The table as a dict {(a, b): c} of symbol strings."""
    op = OPERATIONS[stem]
    return {(op.symbols[a], op.symbols[b]): op.symbols[c] for a, b, c in op.equations()}


def test_all_twelve_operations_with_their_sizes():
    assert {stem: len(op.equations()) for stem, op in OPERATIONS.items()} == EXPECTED_SIZES


@pytest.mark.parametrize("stem", sorted(FORMULAS))
def test_polynomial_tables_match_formula(stem):
    table = symbol_table(stem)
    assert set(table) == {(str(x), str(y)) for x in range(P) for y in range(P)}
    for (a, b), c in table.items():
        assert int(c) == FORMULAS[stem](int(a), int(b))


def test_division_skips_zero_and_inverts_multiplication():
    table = symbol_table("Z97-div")
    assert set(table) == {(str(x), str(y)) for x in range(P) for y in range(1, P)}
    for (a, b), c in table.items():
        assert (int(c) * int(b)) % P == int(a)


def test_mix_divides_for_odd_y_and_subtracts_for_even_y_including_zero():
    table = symbol_table("Z97-mix")
    assert len(table) == P * P
    for (a, b), c in table.items():
        x, y, z = int(a), int(b), int(c)
        if y % 2 == 1:
            assert (z * y) % P == x
        else:
            assert z == (x - y) % P
    assert table[("5", "0")] == "5"


def s5_product():
    """The S5-square table as a 120x120 index array, and the symbols."""
    op = OPERATIONS["S5-square"]
    product = np.empty((120, 120), dtype=np.int64)
    for a, b, c in op.equations():
        product[a, b] = c
    return product, op.symbols


def test_s5_product_convention_worked_example():
    # x = 12340 maps i -> i+1 mod 5; y = 10234 swaps 0 and 1. (x . y)[i] = x[y[i]]: apply y, then x.
    assert symbol_table("S5-square")[("12340", "10234")] == "21340"
    assert symbol_table("S5-square")[("10234", "12340")] == "02341"


def test_s5_symbols_are_the_120_permutations_in_one_line_notation():
    symbols = OPERATIONS["S5-square"].symbols
    assert sorted(symbols) == ["".join(p) for p in itertools.permutations("01234")]


def test_s5_product_is_a_group():
    product, symbols = s5_product()
    identity = symbols.index("01234")
    everything = np.arange(120)
    assert (product[identity] == everything).all() and (product[:, identity] == everything).all()
    for row in product:  # closure and a Latin square: every element exactly once per row and column
        assert sorted(row) == list(range(120))
    assert all(sorted(col) == list(range(120)) for col in product.T)
    inverses = [int(np.flatnonzero(product[a] == identity)[0]) for a in range(120)]
    assert all(product[inverses[a], a] == identity for a in range(120))
    a, b, c = np.meshgrid(everything, everything, everything, indexing="ij")
    assert (product[product[a, b], c] == product[a, product[b, c]]).all()


def test_s5_conj_and_aba_derive_from_the_product():
    product, symbols = s5_product()
    identity = symbols.index("01234")
    inverse = [int(np.flatnonzero(product[a] == identity)[0]) for a in range(120)]
    conj, aba = symbol_table("S5-conj"), symbol_table("S5-aba")
    for x, y in itertools.product(range(120), range(120)):
        assert conj[symbols[x], symbols[y]] == symbols[product[product[x, y], inverse[x]]]
        assert aba[symbols[x], symbols[y]] == symbols[product[product[x, y], x]]
