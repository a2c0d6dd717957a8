"""The registry: ids, versions, overrides and the exact text of every error."""

import re
import warnings

import pytest

import grokbench
from grokbench import error
from grokbench.operations import OPERATIONS
from grokbench.registration import FRACTIONS, parse_id

FRACTION_LIST = (
    "0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95"
)


def test_every_operation_is_registered_at_every_fraction():
    assert len(grokbench.registry) == 12 * 19 == 228
    assert tuple(round(0.05 * i, 2) for i in range(1, 20)) == FRACTIONS
    for stem in OPERATIONS:
        for fraction in FRACTIONS:
            assert f"{stem}-{fraction:g}-v1" in grokbench.registry


def test_unversioned_id_resolves_to_latest_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        task = grokbench.make("S5-square-0.3")
    assert task.id == "S5-square-0.3-v1"
    assert task.spec == grokbench.spec("S5-square-0.3-v1")


def test_parse_id():
    assert parse_id("S5-square-0.3") == ("S5-square", "0.3", None)
    assert parse_id("Z97-div-0.5-v1") == ("Z97-div", "0.5", 1)


def test_older_version_warns_and_latest_is_default(temporary_registration):
    temporary_registration("Z97-add-0.5-v2", max_steps=5000)
    assert grokbench.make("Z97-add-0.5").id == "Z97-add-0.5-v2"
    message = (
        "Z97-add-0.5-v1 is out of date; the latest version is Z97-add-0.5-v2, "
        "and results of different versions are not comparable."
    )
    with pytest.warns(error.DeprecatedTaskWarning, match=re.escape(message)):
        task = grokbench.make("Z97-add-0.5-v1")
    assert task.id == "Z97-add-0.5-v1"
    assert task.split_hash != grokbench.make("Z97-add-0.5-v2").split_hash


@pytest.mark.parametrize(
    ("task_id", "exception", "message"),
    [
        (
            "Z97-ad-0.3",
            error.UnknownOperation,
            "Unknown operation 'Z97-ad' in task id 'Z97-ad-0.3'. Did you mean: Z97-add, Z97-quad3, Z97-quad2?",
        ),
        (
            "S5-sqaure-0.3",
            error.UnknownOperation,
            "Unknown operation 'S5-sqaure' in task id 'S5-sqaure-0.3'. Did you mean: S5-square, S5-aba?",
        ),
        (
            "Z97-add-0.33",
            error.UnregisteredFraction,
            f"Fraction 0.33 is not registered for Z97-add; registered fractions: {FRACTION_LIST}.",
        ),
        (
            "Z97-add-0.30",
            error.UnregisteredFraction,
            f"Fraction 0.30 is not registered for Z97-add; registered fractions: {FRACTION_LIST}.",
        ),
        (
            "Z97-add-1",
            error.UnregisteredFraction,
            f"Fraction 1 is not registered for Z97-add; registered fractions: {FRACTION_LIST}.",
        ),
        ("Z97-add-0.3-v7", error.VersionNotFound, "Version v7 of Z97-add-0.3 does not exist; registered versions: v1."),
        (
            "S5-square",
            error.MalformedId,
            "Malformed task id 'S5-square': expected <stem>-<fraction>[-v<N>], e.g. 'S5-square-0.3' or 'Z97-div-0.5-v1'.",
        ),
        (
            "S5-square-0.3-1",
            error.MalformedId,
            "Malformed task id 'S5-square-0.3-1': expected <stem>-<fraction>[-v<N>], e.g. 'S5-square-0.3' or 'Z97-div-0.5-v1'.",
        ),
        *(  # near-misses that a lenient pattern took for Z97-add-0.3-v1
            (
                bad,
                error.MalformedId,
                f"Malformed task id {bad!r}: expected <stem>-<fraction>[-v<N>], e.g. 'S5-square-0.3' or 'Z97-div-0.5-v1'.",
            )
            for bad in ("Z97-add-0.3-v01", "Z97-add-0.3\n", "Z97-add-0.3-v\u0661", "Z97-add-0.\u0663")
        ),
    ],
)
def test_error_messages(task_id, exception, message):
    with pytest.raises(exception, match=f"^{re.escape(message)}$"):
        grokbench.make(task_id)


def test_unknown_stem_with_nothing_close_lists_every_stem():
    stems = ", ".join(sorted(OPERATIONS))
    with pytest.raises(error.UnknownOperation, match=re.escape(f"Did you mean: {stems}?")):
        grokbench.make("Quaternions-0.3")


def test_overrides_are_recorded_in_the_spec():
    task = grokbench.make("Z97-add-0.5", max_steps=2000, outliers=3)
    assert task.spec.overrides == {"max_steps": 2000, "outliers": 3}
    assert task.spec.max_steps == task.budget.max_steps == 2000
    assert task.spec.id == "Z97-add-0.5-v1"
    assert grokbench.spec("Z97-add-0.5").overrides == {}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lr": 1}, "Unknown override 'lr' for make('Z97-add-0.5'); allowed: max_steps, batch_size, outliers."),
        ({"max_steps": 0}, "Override max_steps=0 for make('Z97-add-0.5') must be a positive integer."),
        ({"outliers": -1}, "Override outliers=-1 for make('Z97-add-0.5') must be a non-negative integer."),
        ({"batch_size": 1.5}, "Override batch_size=1.5 for make('Z97-add-0.5') must be a positive integer."),
        ({"batch_size": 5000}, "batch_size=5000 exceeds the 4704 training equations of Z97-add-0.5-v1."),
        ({"outliers": 3000}, "outliers=3000 is too many for Z97-add-0.5-v1: at most 2352 (half its training set)."),
    ],
)
def test_invalid_overrides(overrides, message):
    with pytest.raises(error.InvalidOverride, match=f"^{re.escape(message)}$"):
        grokbench.make("Z97-add-0.5", **overrides)


def test_register_refuses_duplicates_and_unversioned_ids():
    with pytest.raises(error.RegistrationError, match=re.escape("it is already registered")):
        grokbench.register("Z97-add-0.5-v1")
    with pytest.raises(
        error.RegistrationError, match=re.escape("a registered id needs a version, e.g. 'Z97-add-0.5-v1'")
    ):
        grokbench.register("Z97-add-0.5")


def test_pprint_registry_lists_the_twelve_operations():
    text = grokbench.pprint_registry(print_output=False)
    for stem, op in OPERATIONS.items():
        assert re.search(
            rf"^{re.escape(stem)}\s+{re.escape(op.formula)}\s+{len(op.equations())}\s+0.05–0.95 \(19\)\s+v1$",
            text,
            re.M,
        )
