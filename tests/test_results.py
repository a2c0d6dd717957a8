"""The run record: torch-free, so that scoring a store and validating the board load no torch."""

import subprocess
import sys
import textwrap


def test_score_and_validate_import_no_torch(tmp_path):
    script = textwrap.dedent(
        f"""
        import json, sys
        from grokbench.cli import main
        from grokbench.results import RunResult
        from grokbench.store import Store

        with Store({str(tmp_path / "results.sqlite")!r}) as store:
            for record in json.load(open("leaderboard/submissions/adamw/results.json")):
                store.add(RunResult.from_dict(record))
        for args in (["score", "--store", {str(tmp_path / "results.sqlite")!r}], ["leaderboard", "validate"]):
            try:
                main(args)
            except SystemExit as exit:
                assert exit.code == 0, (args, exit.code)
        print("torch" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False"
