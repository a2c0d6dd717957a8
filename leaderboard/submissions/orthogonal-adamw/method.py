"""⊥AdamW (Prieto et al. 2025, "Grokking at the Edge of Numerical Stability"): each gradient
tensor is projected orthogonal to its weight tensor, then rescaled to the gradient's norm,
before the reference AdamW step.

The projection uses whole-tensor norms, so the update is not elementwise: grokbench detects
this (the optimizer is not one of torch's elementwise classes) and gives each run of a stack
its own optimizer, over its parameters in their natural shapes. The projection reads no number
back from the tensors, so on a GPU the step never waits for the device.
"""

import torch

NAME = "⊥AdamW"
HYPERPARAMETERS = {"lr": 1e-3, "weight_decay": 1.0, "betas": [0.9, 0.98]}


def orthogonalize(grad: torch.Tensor, weight: torch.Tensor) -> None:
    """Replace ``grad`` by its component orthogonal to ``weight``, at ``grad``'s norm.

    A tensor whose weights are all zero keeps its gradient (its projection coefficient is 0).
    """
    weight_norm2 = (weight * weight).sum().clamp_min(torch.finfo(weight.dtype).tiny)
    grad_norm = grad.norm()
    grad.sub_(weight * ((grad * weight).sum() / weight_norm2))
    grad.mul_(grad_norm / (grad.norm() + 1e-30))


class OrthogonalAdamW(torch.optim.AdamW):
    """AdamW on the component of each gradient orthogonal to its weights, at the gradient's norm."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    orthogonalize(p.grad, p.detach())
        return super().step(closure)


def make_optimizer(params, lr, weight_decay, betas):
    return OrthogonalAdamW(params, lr=lr, weight_decay=weight_decay, betas=tuple(betas))
