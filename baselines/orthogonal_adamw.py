"""⊥AdamW (Prieto et al. 2025, "Grokking at the Edge of Numerical Stability"): each gradient
tensor is projected orthogonal to its weight tensor, then rescaled to the gradient's norm,
before the reference AdamW step.

The projection uses whole-tensor norms, so the update is not elementwise: grokbench detects
this (the optimizer is not one of torch's elementwise classes) and gives each run of a stack
its own optimizer, over its parameters in their natural shapes.
"""

import torch

NAME = "⊥AdamW"
HYPERPARAMETERS = {"lr": 1e-3, "weight_decay": 1.0, "betas": [0.9, 0.98]}


class OrthogonalAdamW(torch.optim.AdamW):
    """AdamW on the component of each gradient orthogonal to its weights, at the gradient's norm."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g, w = p.grad, p.detach()
                w_norm2 = (w * w).sum()
                if w_norm2 == 0:
                    continue
                g_norm = g.norm()
                g.sub_(w, alpha=float((g * w).sum() / w_norm2))
                g.mul_(g_norm / (g.norm() + 1e-30))
        return super().step(closure)


def make_optimizer(params, lr, weight_decay, betas):
    return OrthogonalAdamW(params, lr=lr, weight_decay=weight_decay, betas=tuple(betas))
