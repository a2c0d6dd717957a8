"""Adam with a smaller learning rate, 3e-4 (paper Fig. 2 left)."""

import torch

NAME = "Adam, lr 3e-4"
HYPERPARAMETERS = {"lr": 3e-4, "betas": [0.9, 0.98]}


def make_optimizer(params, lr, betas):
    return torch.optim.Adam(params, lr=lr, betas=tuple(betas))
