"""Adam with Gaussian noise added to each update: W ← W + lr·(ΔW + ε) (paper Fig. 2 left).

ΔW is Adam's step direction, whose elements are of order 1; ε ~ N(0, noise_std²) with
noise_std = 1 makes the noise as large as the step (the paper does not give the scale).
"""

import torch

from grokbench.streams import randn_like_per_run

NAME = "Adam, update noise"
STACKED = True  # one Adam for the whole stack; each run's noise drawn from its own stream
HYPERPARAMETERS = {"lr": 1e-3, "betas": [0.9, 0.98], "noise_std": 1.0}


class NoisyAdam(torch.optim.Adam):
    """Adam, then lr·ε added to every parameter."""

    def __init__(self, params, lr, betas, noise_std):
        super().__init__(params, lr=lr, betas=betas)
        self.noise_std = noise_std

    @torch.no_grad()
    def step(self, closure=None):
        loss = super().step(closure)
        for group in self.param_groups:
            for p, noise in zip(group["params"], randn_like_per_run(group["params"]), strict=True):
                p.add_(noise, alpha=group["lr"] * self.noise_std)
        return loss


def make_optimizer(params, lr, betas, noise_std):
    return NoisyAdam(params, lr=lr, betas=tuple(betas), noise_std=noise_std)
