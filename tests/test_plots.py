"""Figures tell methods apart: a board of eleven or more entries needs more than matplotlib's ten default colors."""

from grokbench import plots


def test_every_method_on_a_large_board_gets_its_own_color() -> None:
    methods = [f"method {i}" for i in range(13)]
    colors = plots._colors(methods)
    assert list(colors) == methods
    assert len(set(colors.values())) == len(methods)


def test_a_small_board_keeps_matplotlibs_default_colors() -> None:
    import matplotlib

    assert list(plots._colors(["a", "b", "a"]).values()) == [matplotlib.colormaps["tab10"](i) for i in range(2)]
