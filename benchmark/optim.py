"""Adam and AdamW for the tiny heads, without ``torch.optim``.

``torch.optim`` imports ``torch._dynamo`` on first use (1 to 2 s on this machine
kind), longer than a whole pooled-path training run. These implement exactly the
update of ``torch.optim.Adam`` / ``AdamW`` on CPU (the single-tensor path, default
betas and eps, no amsgrad); ``tests/test_optim.py`` checks them against torch.
State dicts hold only tensors and numbers, so checkpoints load with
``weights_only=True``.
"""

from __future__ import annotations

import torch
from torch import nn


class Adam:
    """Adam (Kingma & Ba); with ``decoupled=True``, AdamW (Loshchilov & Hutter).

    Args:
        params: the parameters to update.
        lr: learning rate.
        weight_decay: L2 penalty added to the gradient (Adam) or decoupled decay (AdamW).
    """

    def __init__(self, params, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled: bool = False):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.decoupled = weight_decay, decoupled
        self.step_count = 0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter that has a gradient (one fused op per stage)."""
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        params = [self.params[i] for i in live]
        grads = [self.params[i].grad for i in live]
        exp_avgs = [self.exp_avg[i] for i in live]
        exp_avg_sqs = [self.exp_avg_sq[i] for i in live]
        beta1, beta2 = self.betas
        self.step_count += 1
        bias_correction1 = 1 - beta1 ** self.step_count
        bias_correction2_sqrt = (1 - beta2 ** self.step_count) ** 0.5
        if self.weight_decay:
            if self.decoupled:
                torch._foreach_mul_(params, 1 - self.lr * self.weight_decay)
            else:
                grads = torch._foreach_add(grads, params, alpha=self.weight_decay)
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        denom = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(params, exp_avgs, denom, -self.lr / bias_correction1)

    def state_dict(self) -> dict:
        return {"step": self.step_count, "exp_avg": [t.clone() for t in self.exp_avg],
                "exp_avg_sq": [t.clone() for t in self.exp_avg_sq]}

    def load_state_dict(self, state: dict) -> None:
        self.step_count = int(state["step"])
        for mine, saved in zip(self.exp_avg + self.exp_avg_sq, list(state["exp_avg"]) + list(state["exp_avg_sq"])):
            mine.copy_(saved)


def build_optimizer(name: str, model: nn.Module, lr: float) -> Adam:
    """``"Adam"`` or ``"AdamW"`` (torch's default weight decay 0.01) over ``model``'s parameters."""
    if name == "AdamW":
        return Adam(model.parameters(), lr=lr, weight_decay=1e-2, decoupled=True)
    return Adam(model.parameters(), lr=lr)
