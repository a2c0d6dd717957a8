"""⊥AdamW (Prieto et al. 2025, "Grokking at the Edge of Numerical Stability"): each gradient
tensor is projected orthogonal to its weight tensor, then rescaled to the gradient's norm,
before the reference AdamW step.

The projection uses whole-tensor norms, so the update is not elementwise; it is per run, though:
``STACKED = True`` gives one optimizer the stack's tensors, whose leading dimension is the run,
and every norm and product here is taken over each run's own slice (dimensions 1 and up), so a
stack of runs takes one step, not one per run, and each run's update is the one it has alone
(the harness verifies that). The projection reads no number back from the tensors, so on a GPU
the step never waits for the device.
"""

import torch

NAME = "⊥AdamW"
STACKED = True
HYPERPARAMETERS = {"lr": 1e-3, "weight_decay": 1.0, "betas": [0.9, 0.98]}


def orthogonalize(grad: torch.Tensor, weight: torch.Tensor) -> None:
    """Replace each run's ``grad`` by its component orthogonal to the run's ``weight``, at ``grad``'s norm.

    ``grad`` and ``weight`` are ``(runs, *shape)``. A run whose weights are all zero keeps its
    gradient (its projection coefficient is 0).
    """
    per_run = {"dim": tuple(range(1, grad.dim())), "keepdim": True}
    weight_norm2 = (weight * weight).sum(**per_run).clamp_min(torch.finfo(weight.dtype).tiny)
    grad_norm = torch.linalg.vector_norm(grad, **per_run)
    grad.sub_(weight * ((grad * weight).sum(**per_run) / weight_norm2))
    grad.mul_(grad_norm / (torch.linalg.vector_norm(grad, **per_run) + 1e-30))


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
