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


def synthetic_run(method, fraction, seed, reached_at, operation="Z97-add"):
    """A run of ``method`` on ``operation`` at ``fraction`` reaching 99% validation at ``reached_at`` (or never)."""
    from grokbench.results import RunResult

    steps = [0, 1000, 2000, 3000]
    val = [0.01] + [0.995 if reached_at is not None and s >= reached_at else 0.3 for s in steps[1:]]
    return RunResult(
        task_id=f"{operation}-{fraction}-v1", split_hash="h", method=method, hyperparameter_hash="x",
        hyperparameters={}, seed=seed, max_steps=3000, model="grok-v1", steps=steps,
        train_acc=[0.01, 1.0, 1.0, 1.0], val_acc=val, train_loss=[5, 0.1, 0.1, 0.1],
        val_loss=[5, 2, 1, 1], status="completed",
    )  # fmt: skip


def synthetic_runs():
    """AdamW reaching 99% at fractions 0.5 and 0.7 (one seed missing at 0.3); Adam never."""
    reached = {0.3: [2000, None, 3000], 0.5: [1000, 2000, 2000], 0.7: [1000, 1000, 2000]}
    return [synthetic_run("AdamW", f, s, at) for f, ats in reached.items() for s, at in enumerate(ats)] + [
        synthetic_run("Adam", f, s, None) for f in reached for s in range(3)
    ]


def paper_scale_runs():
    """One method on all 12 operations at every fraction of the grid, 2 seeds: the paper suite's shape."""
    from grokbench.operations import OPERATIONS
    from grokbench.registration import FRACTIONS

    return [
        synthetic_run("AdamW", f, seed, 2000 if f >= 0.5 else None, operation)
        for operation in OPERATIONS
        for f in FRACTIONS
        for seed in range(2)
    ]


def test_seeds_misses_and_critical_fractions_are_drawn(tmp_path) -> None:
    from grokbench.scoring import operation_and_fraction, score

    runs = synthetic_runs() + [synthetic_run("AdamW", 0.45, s, None) for s in range(3)]  # 0.45, just below, misses
    report = score(runs)
    svg = plots.plot_efficiency(report.curves, tmp_path / "fig2.png", by="method", runs=runs).with_suffix(".svg")
    text = svg.read_text()
    assert "AdamW (critical 50%)" in text and "one seed" in text
    # missed up to 70%, and nothing above 70% was measured (">" is escaped in SVG)
    assert "Adam (critical &gt; 70%)" in text
    reaching = [r for r in runs if r.method == "AdamW" and operation_and_fraction(r.task_id)[1] >= 0.5]
    piece = score(reaching)
    svg = plots.plot_efficiency(piece.curves, tmp_path / "piece.png", by="method").with_suffix(".svg")
    assert "AdamW (critical ≤ 50%)" in svg.read_text()  # nothing below 50% was measured
    never = score([r for r in runs if r.method == "Adam"] + [synthetic_run("Adam", 0.95, 0, None)])
    svg = plots.plot_efficiency(never.curves, tmp_path / "never.png", by="method").with_suffix(".svg")
    assert "Adam (no critical fraction)" in svg.read_text()  # missed up to the grid's largest fraction
    svg = plots.plot_steps_to_generalize(report.tasks, tmp_path / "fig1.png", runs=runs).with_suffix(".svg")
    assert "a seed that missed (at its budget)" in svg.read_text()


def test_a_paper_scale_report_draws_the_curves_of_each_operation_at_half_the_data() -> None:
    from grokbench.operations import OPERATIONS
    from grokbench.report import curve_figure_runs

    chosen = curve_figure_runs(paper_scale_runs())
    assert list(chosen) == [("AdamW", f"{operation}-0.5-v1") for operation in OPERATIONS]
    assert all(len(runs) == 2 for runs in chosen.values())


def test_a_small_report_draws_the_curves_of_every_task() -> None:
    from grokbench.report import curve_figure_runs

    assert list(curve_figure_runs(synthetic_runs())) == [
        (method, f"Z97-add-{f}-v1") for method in ("AdamW", "Adam") for f in (0.3, 0.5, 0.7)
    ]


def test_fig1_center_names_each_curve_by_what_tells_it_apart_in_its_own_color(monkeypatch, tmp_path) -> None:
    from grokbench.operations import OPERATIONS
    from grokbench.scoring import score

    monkeypatch.setattr(plots, "_save", lambda fig, ax, path, title: ax)
    runs = paper_scale_runs()
    ax = plots.plot_steps_to_generalize(score(runs).tasks, tmp_path / "fig1.png", runs=runs)
    curves = [line for line in ax.get_lines() if line.get_label() in OPERATIONS]
    assert [line.get_label() for line in curves] == list(OPERATIONS)
    assert len({line.get_color() for line in curves}) == len(OPERATIONS)
    ax = plots.plot_steps_to_generalize(score(synthetic_runs()).tasks, tmp_path / "fig1.png")
    assert [line.get_label() for line in ax.get_lines()] == ["AdamW", "Adam"]
