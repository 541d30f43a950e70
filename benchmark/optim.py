"""Adam and AdamW for the tiny heads, without ``torch.optim``.

``torch.optim`` imports ``torch._dynamo`` on first use (1 to 2 s on this machine
kind), longer than a whole pooled-path training run. These call the kernel behind
``torch.optim.Adam(fused=True)`` / ``AdamW(fused=True)`` directly (one fused pass per
parameter, three times faster per step than the foreach path on these tiny heads;
default betas and eps, no amsgrad); ``tests/test_optim.py`` checks them against
``torch.optim``.
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
        """One update of every parameter that has a gradient (torch's fused CPU kernel)."""
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        self.step_count += 1
        if not live:
            return
        step = torch.tensor(float(self.step_count), device=self.params[live[0]].device)
        update = torch._fused_adamw_ if self.decoupled else torch._fused_adam_
        beta1, beta2 = self.betas
        update([self.params[i] for i in live], [self.params[i].grad for i in live],
               [self.exp_avg[i] for i in live], [self.exp_avg_sq[i] for i in live], [], [step] * len(live),
               lr=self.lr, beta1=beta1, beta2=beta2, weight_decay=self.weight_decay, eps=self.eps,
               amsgrad=False, maximize=False)

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
