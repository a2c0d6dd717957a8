"""Figures tell methods apart: a board of eleven or more entries needs more than matplotlib's ten default colors."""

import math

from grokbench import plots


def test_every_method_on_a_large_board_gets_its_own_color() -> None:
    methods = [f"method {i}" for i in range(13)]
    colors = plots._colors(methods)
    assert list(colors) == methods
    assert len(set(colors.values())) == len(methods)


def test_a_small_board_keeps_matplotlibs_default_colors() -> None:
    import matplotlib

    assert list(plots._colors(["a", "b", "a"]).values()) == [matplotlib.colormaps["tab10"](i) for i in range(2)]


def test_a_miss_is_drawn_as_a_visible_bar_and_the_svg_is_byte_stable(tmp_path) -> None:
    from grokbench.scoring import TaskScore

    def task_score(method, median):
        return TaskScore(method, "Z97-div-0.5-v1", "Z97-div", 0.5, 2, 0 if median == math.inf else 2, 0, 6000,
                         median, median, median, 400.0, 0.5, 0.0)  # fmt: skip

    scores = [task_score("Adam", math.inf), task_score("AdamW", 4000.0)]
    png = plots.plot_steps_per_task(scores, tmp_path / "steps.png")
    svg = png.with_suffix(".svg").read_bytes()
    assert b"not reached" in svg
    plots.plot_steps_per_task(scores, tmp_path / "steps.png")
    assert png.with_suffix(".svg").read_bytes() == svg
