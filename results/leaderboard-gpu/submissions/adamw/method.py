"""The paper's reference recipe: AdamW, lr 1e-3, weight decay 1, betas (0.9, 0.98).

The harness adds the task's 10-update linear warmup to every method.
"""

import torch

NAME = "AdamW (reference)"
HYPERPARAMETERS = {"lr": 1e-3, "weight_decay": 1.0, "betas": [0.9, 0.98]}


def make_optimizer(params, lr, weight_decay, betas):
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, betas=tuple(betas))
