"""AdamW whose weight decay pulls toward the initialization instead of the origin (paper Fig. 2 left).

Decoupled as in AdamW: before each Adam step, W ← W − lr·wd·(W − W₀).
"""

import torch

NAME = "AdamW, decay toward init"
ELEMENTWISE = True
HYPERPARAMETERS = {"lr": 1e-3, "weight_decay": 1.0, "betas": [0.9, 0.98]}


class AdamDecayToInit(torch.optim.Adam):
    """Adam with decoupled weight decay toward the parameters' values at construction."""

    def __init__(self, params, lr, betas, weight_decay):
        super().__init__(params, lr=lr, betas=betas)
        self.decay = weight_decay
        # Adam fills an empty state on its first step, so the initial values join the state after it.
        self.initial = {p: p.detach().clone() for group in self.param_groups for p in group["params"]}

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if "init" in self.state[p]:
                    p.sub_(p - self.state[p]["init"], alpha=group["lr"] * self.decay)
        loss = super().step(closure)
        for p, initial in self.initial.items():
            self.state[p].setdefault("init", initial)
        self.initial = {}
        return loss


def make_optimizer(params, lr, weight_decay, betas):
    return AdamDecayToInit(params, lr=lr, betas=tuple(betas), weight_decay=weight_decay)
