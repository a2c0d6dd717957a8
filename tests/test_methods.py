"""Method files: the fields they declare, and the errors that point at the line to fix."""

import importlib.resources
import re
from pathlib import Path

import pytest
import torch

from grokbench.methods import (
    MethodError,
    baselines_folder,
    contract_table,
    load_method,
    read_method,
    third_party_imports,
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "HYPERPARAMETERS = {}\n",
            "defines no make_optimizer(params, **hyperparameters) returning a torch.optim.Optimizer.",
        ),
        (
            "def make_optimizer(params):\n    pass\n",
            "HYPERPARAMETERS in {path} must be a JSON-serializable dict, not missing.",
        ),
        (
            "HYPERPARAMETERS = {}\nELEMENTWISE = 1\ndef make_optimizer(params):\n    pass\n",
            "ELEMENTWISE in {path} must be a bool, not 1.",
        ),
        (
            "HYPERPARAMETERS = {}\nSTACKED = 'yes'\ndef make_optimizer(params):\n    pass\n",
            "STACKED in {path} must be a bool, not 'yes'.",
        ),
        (
            "HYPERPARAMETERS = {}\nELEMENTWISE = True\nSTACKED = False\ndef make_optimizer(params):\n    pass\n",
            "{path} declares ELEMENTWISE = True and STACKED = False: an elementwise update is one of a whole stack. "
            "Remove one of the two.",
        ),
        (
            "HYPERPARAMETERS = {'f': {1, 2}}\ndef make_optimizer(params, f):\n    pass\n",
            "HYPERPARAMETERS in {path} must be a JSON-serializable dict, not {{'f': {{1, 2}}}}.",
        ),
        (
            "HYPERPARAMETERS = {}\nBATCH_SIZE = 0\ndef make_optimizer(params):\n    pass\n",
            "BATCH_SIZE in {path} must be a positive int or 'full', not 0.",
        ),
        (
            "HYPERPARAMETERS = {}\nDROPOUT = True\ndef make_optimizer(params):\n    pass\n",
            "DROPOUT in {path} must be a float, not True.",
        ),
    ],
)
def test_method_file_errors_name_the_field(body, message, method_file):
    path = method_file(body)
    with pytest.raises(MethodError, match=re.escape(message.format(path=path))):
        load_method(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("HYPERPARAMETERS = {}\ndef make_optimizer(params:\n", "{path}, line 2: syntax error: '(' was never closed."),
        (
            "import lion_pytorch_not_installed\n",
            "{path}, line 1 imports lion_pytorch_not_installed, which is not installed: "
            "`pip install lion_pytorch_not_installed` (the package's name on PyPI may differ), or remove the import.",
        ),
        (
            "HYPERPARAMETERS = {}\nSCALE = 1 / 0\n",
            "{path}, line 2: loading the method file raised ZeroDivisionError: division by zero "
            "(`grokbench --debug ...` shows the whole traceback).",
        ),
        (
            "HYPERPARAMETERS = {'lr': 1, 'momentum': 0.9}\ndef make_optimizer(params, lr):\n    pass\n",
            "HYPERPARAMETERS in {path} do not fit make_optimizer(params, ...): got an unexpected keyword argument "
            "'momentum'. Its keys must be make_optimizer's keyword arguments.",
        ),
        (
            "HYPERPARAMETERS = {}\ndef make_optimizer(params, lr):\n    pass\n",
            "HYPERPARAMETERS in {path} do not fit make_optimizer(params, ...): missing a required argument: 'lr'. "
            "Its keys must be make_optimizer's keyword arguments.",
        ),
    ],
)
def test_broken_method_files_give_one_clear_error_with_the_line(body, message, method_file):
    path = method_file(body)
    with pytest.raises(MethodError, match=f"^{re.escape(message.format(path=path))}$"):
        load_method(path)


def test_an_exception_inside_make_optimizer_names_the_file_and_line(method_file):
    path = method_file("HYPERPARAMETERS = {}\ndef make_optimizer(params):\n    return {}['lr']\n")
    message = (
        f"make_optimizer in {path}, line 3 raised KeyError: 'lr'. Fix the method file "
        "(`grokbench --debug ...` shows the whole traceback)."
    )
    with pytest.raises(MethodError, match=f"^{re.escape(message)}$"):
        load_method(path).optimizer([torch.zeros(2, 2, requires_grad=True)])


def test_make_optimizer_must_return_an_optimizer(method_file):
    path = method_file("HYPERPARAMETERS = {}\ndef make_optimizer(params):\n    return params\n")
    with pytest.raises(
        MethodError, match=re.escape(f"make_optimizer in {path} returned list; it must return a torch.optim.Optimizer.")
    ):
        load_method(path).optimizer([torch.zeros(2, 2, requires_grad=True)])


def test_a_method_file_is_read_without_running_it(method_file):
    path = method_file(
        "import not_installed_anywhere\nfrom not_installed_anywhere import make_optimizer\n"
        "NAME = 'Remote'\nHYPERPARAMETERS = {'lr': 1e-3}\nDROPOUT = 0.1\n",
    )
    method = read_method(path)
    assert (method.name, method.hyperparameters, method.dropout) == ("Remote", {"lr": 1e-3}, 0.1)
    assert third_party_imports(path) == ["not_installed_anywhere"]
    computed = method_file("HYPERPARAMETERS = dict(lr=1e-3)\ndef make_optimizer(params, lr):\n    pass\n")
    message = (
        f"{computed}, line 1: HYPERPARAMETERS must be a literal (numbers, strings, lists, dicts), "
        "so that the method can be read without running it."
    )
    with pytest.raises(MethodError, match=f"^{re.escape(message)}$"):
        read_method(computed)


def test_the_contract_in_contributing_is_the_one_the_loader_checks():
    contributing = (Path(__file__).parents[1] / "CONTRIBUTING.md").read_text()
    assert contract_table() in contributing, (
        "CONTRIBUTING.md's table of method fields is out of date: paste the output of "
        "`python -c 'from grokbench.methods import contract_table; print(contract_table())'`."
    )


def test_a_checkout_on_the_path_without_an_install_finds_its_baselines(monkeypatch):
    """Where grokbench is not installed, ``grokbench.baselines`` does not exist: the checkout's folder serves."""

    def not_installed(package):
        raise ModuleNotFoundError(f"No module named {package!r}")

    installed = baselines_folder()
    monkeypatch.setattr(importlib.resources, "files", not_installed)
    assert baselines_folder() == Path(__file__).resolve().parent.parent / "baselines"
    assert sorted(p.name for p in baselines_folder().glob("*.py")) == sorted(p.name for p in installed.glob("*.py"))
