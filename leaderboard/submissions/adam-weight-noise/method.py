"""Adam with Gaussian weight noise: W is replaced by W + 0.01·ε in each training forward pass (paper Fig. 2 left)."""

import torch

NAME = "Adam, weight noise 0.01"
WEIGHT_NOISE = 0.01
HYPERPARAMETERS = {"lr": 1e-3, "betas": [0.9, 0.98]}


def make_optimizer(params, lr, betas):
    return torch.optim.Adam(params, lr=lr, betas=tuple(betas))
