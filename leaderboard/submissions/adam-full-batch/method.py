"""Adam on the whole training set at every update (paper Fig. 2 left: "Adam, full batch")."""

import torch

NAME = "Adam, full batch"
BATCH_SIZE = "full"
HYPERPARAMETERS = {"lr": 1e-3, "betas": [0.9, 0.98]}


def make_optimizer(params, lr, betas):
    return torch.optim.Adam(params, lr=lr, betas=tuple(betas))
