"""Adam with minibatches and no weight decay (paper Fig. 2 left: "Adam, minibatch")."""

import torch

NAME = "Adam"
HYPERPARAMETERS = {"lr": 1e-3, "betas": [0.9, 0.98]}


def make_optimizer(params, lr, betas):
    return torch.optim.Adam(params, lr=lr, betas=tuple(betas))
