"""Grokfast-EMA as published (Lee et al. 2024, "Grokfast: Accelerated Grokking by Amplifying
Slow Gradients", arXiv:2405.20233): per parameter μ ← αμ + (1 − α)g, then g ← g + λμ, fed to
Adam. α = 0.98, λ = 2 and weight decay 0.005 are the paper's algorithmic-data setting
(github.com/ironjr/grokfast, `main.py --filter ema --alpha 0.98 --lamb 2.0 --weight_decay 0.005`),
whose optimizer is `torch.optim.Adam`: the decay is L2 added to the gradient, not AdamW's."""

import torch

NAME = "Grokfast-EMA (Adam, L2 0.005)"
ELEMENTWISE = True
HYPERPARAMETERS = {"lr": 1e-3, "weight_decay": 0.005, "betas": [0.9, 0.98], "alpha": 0.98, "lamb": 2.0}


class GrokfastAdam(torch.optim.Adam):
    """Adam on gradients amplified by their exponential moving average."""

    def __init__(self, params, alpha, lamb, **adam):
        super().__init__(params, **adam)
        self.alpha, self.lamb = alpha, lamb

    @torch.no_grad()
    def step(self, closure=None):
        first_averages = {}  # Adam fills an empty state on its first step: add ours after it
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                average = self.state[p].get("grokfast_ema")
                if average is None:
                    average = first_averages[p] = p.grad.detach().clone()
                else:
                    average.mul_(self.alpha).add_(p.grad, alpha=1 - self.alpha)
                p.grad.add_(average, alpha=self.lamb)
        loss = super().step(closure)
        for p, average in first_averages.items():
            self.state[p]["grokfast_ema"] = average
        return loss


def make_optimizer(params, lr, weight_decay, betas, alpha, lamb):
    return GrokfastAdam(params, alpha=alpha, lamb=lamb, lr=lr, weight_decay=weight_decay, betas=tuple(betas))
