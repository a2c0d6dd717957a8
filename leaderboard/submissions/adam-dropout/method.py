"""Adam with residual dropout 0.1 (paper Fig. 2 left)."""

import torch

NAME = "Adam, dropout 0.1"
DROPOUT = 0.1
HYPERPARAMETERS = {"lr": 1e-3, "betas": [0.9, 0.98]}


def make_optimizer(params, lr, betas):
    return torch.optim.Adam(params, lr=lr, betas=tuple(betas))
