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


def synthetic_runs():
    """AdamW reaching 99% at fractions 0.5 and 0.7 (one seed missing at 0.3); Adam never."""
    from grokbench.results import RunResult

    def run(method, fraction, seed, reached_at):
        steps = [0, 1000, 2000, 3000]
        val = [0.01] + [0.995 if reached_at is not None and s >= reached_at else 0.3 for s in steps[1:]]
        return RunResult(
            task_id=f"Z97-add-{fraction}-v1", split_hash="h", method=method, hyperparameter_hash="x",
            hyperparameters={}, seed=seed, max_steps=3000, model="grok-v1", steps=steps,
            train_acc=[0.01, 1.0, 1.0, 1.0], val_acc=val, train_loss=[5, 0.1, 0.1, 0.1],
            val_loss=[5, 2, 1, 1], status="completed",
        )  # fmt: skip

    reached = {0.3: [2000, None, 3000], 0.5: [1000, 2000, 2000], 0.7: [1000, 1000, 2000]}
    return [run("AdamW", f, s, at) for f, ats in reached.items() for s, at in enumerate(ats)] + [
        run("Adam", f, s, None) for f in reached for s in range(3)
    ]


def test_seeds_misses_and_critical_fractions_are_drawn(tmp_path) -> None:
    from grokbench.scoring import score

    runs = synthetic_runs()
    report = score(runs)
    svg = plots.plot_efficiency(report.curves, tmp_path / "fig2.png", by="method", runs=runs).with_suffix(".svg")
    text = svg.read_text()
    assert "AdamW (critical 50%)" in text and "Adam (no critical fraction)" in text and "one seed" in text
    svg = plots.plot_steps_to_generalize(report.tasks, tmp_path / "fig1.png", runs=runs).with_suffix(".svg")
    assert "a seed that missed (at its budget)" in svg.read_text()
