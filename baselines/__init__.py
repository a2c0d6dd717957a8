"""The baseline methods, in the submission format (``grokbench.methods``).

This folder is the source users read; it is installed as ``grokbench.baselines`` so that a
wheel install finds the reference recipe and the baselines too.
"""
