"""Our Adam/AdamW match torch.optim on the same gradients."""

import pytest
import torch

from benchmark.optim import Adam


@pytest.mark.parametrize("decoupled,weight_decay", [(False, 0.0), (False, 0.1), (True, 0.01)])
def test_matches_torch(decoupled, weight_decay):
    torch.manual_seed(0)
    ours = torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.Linear(5, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.Linear(5, 3))
    theirs.load_state_dict(ours.state_dict())
    opt = Adam(ours.parameters(), lr=3e-3, weight_decay=weight_decay, decoupled=decoupled)
    ref_cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    ref = ref_cls(theirs.parameters(), lr=3e-3, weight_decay=weight_decay)
    for step in range(30):
        x = torch.randn(16, 7)
        for model, optimizer in ((ours, opt), (theirs, ref)):
            optimizer.zero_grad()
            model(x).pow(2).mean().backward()
            optimizer.step()
    for a, b in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_state_dict_round_trip():
    model = torch.nn.Linear(3, 2)
    opt = Adam(model.parameters(), lr=1e-2)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    state = opt.state_dict()
    other = Adam(torch.nn.Linear(3, 2).parameters(), lr=1e-2)
    other.load_state_dict(state)
    assert other.step_count == 1
    torch.testing.assert_close(other.exp_avg[0], opt.exp_avg[0])
