"""SpecAugment, batched: the time warp against per-utterance ``interpolate``, mask shapes and bounds, draws."""

import torch
from torch import nn

from benchmark.specaugment import SpecAugment, time_warp


def stretch(x, frames):
    """Reference: ``(n, dim)`` resampled linearly to ``(frames, dim)`` by ``interpolate``."""
    return nn.functional.interpolate(x.T[None], size=frames, mode="linear", align_corners=False)[0].T


def warped_reference(x, centre, moved):
    """Reference warp of one utterance ``(n, dim)``: frame ``centre`` moves to ``moved``."""
    return torch.cat([stretch(x[:centre], moved), stretch(x[centre:], len(x) - moved)])


def padded(batch, frames, dim, lengths, seed=0):
    """Random features, values away from 0, with random (non-zero) padding."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, frames, dim, generator=generator) + 1, torch.tensor(lengths)


def test_time_warp_equals_interpolate_on_each_side_of_the_centre():
    generator = torch.Generator().manual_seed(3)
    w, lengths = 5, torch.randint(13, 90, (40,), generator=generator)
    features = torch.randn(40, 90, 7, generator=generator)
    centre = torch.stack([torch.randint(w + 1, int(n) - w, (), generator=generator) for n in lengths])
    moved = centre + torch.randint(-w, w + 1, (40,), generator=generator)
    out = time_warp(features, lengths, centre, moved)
    for b, n in enumerate(lengths.tolist()):
        reference = warped_reference(features[b, :n], int(centre[b]), int(moved[b]))
        torch.testing.assert_close(out[b, :n], reference, rtol=0, atol=1e-6)
        assert torch.equal(out[b, n:], features[b, n:])


def test_warp_only_is_some_allowed_interpolate_warp_and_leaves_padding():
    torch.manual_seed(1)
    w, lengths = 3, [40, 25, 9, 8, 30]  # 8 <= 2 w + 2 frames: not warped
    features, lengths = padded(5, 40, 6, lengths)
    features.requires_grad_()
    out = SpecAugment(time_warp=w, freq_masks=0, time_masks=0)(features, lengths)
    out.sum().backward()
    assert features.grad is not None
    out, features = out.detach(), features.detach()
    for b, n in enumerate(lengths.tolist()):
        assert torch.equal(out[b, n:], features[b, n:])
        if n <= 2 * w + 2:
            assert torch.equal(out[b, :n], features[b, :n])
            continue
        matches = [(c, m) for c in range(w + 1, n - w) for m in range(c - w, c + w + 1)
                   if torch.allclose(out[b, :n], warped_reference(features[b, :n], c, m), rtol=0, atol=1e-6)]
        assert matches, f"utterance {b} is no allowed warp"


def zero_runs(flags):
    """``(start, width)`` of every run of True in a 1-D bool tensor."""
    runs, start = [], None
    for i, flag in enumerate(flags.tolist() + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def test_masks_zero_whole_bands_and_spans_within_valid_frames_and_bounds():
    torch.manual_seed(2)
    features, lengths = padded(64, 50, 60, [50, 3, 20, 37] * 16)
    augment = SpecAugment(time_warp=0, freq_masks=2, freq_mask_width=10, time_masks=2, time_mask_width=8)
    out = augment(features, lengths)
    for b, n in enumerate(lengths.tolist()):
        assert torch.equal(out[b, n:], features[b, n:])
        valid = out[b, :n]
        rows, columns = (valid == 0).all(1), (valid == 0).all(0)
        expected = torch.where(rows[:, None] | columns[None, :], 0.0, features[b, :n])
        assert torch.equal(valid, expected), "a zero outside whole bands and spans"
        if not rows.all():
            assert len(zero_runs(columns)) <= 2 and columns.sum() <= 2 * 10
        if not columns.all():
            assert len(zero_runs(rows)) <= 2 and rows.sum() <= 2 * min(8, n)


def test_mask_widths_and_starts_are_uniform():
    torch.manual_seed(4)
    dim, frames, width = 24, 30, 10
    features, lengths = padded(4000, frames, dim, [frames] * 4000)
    out = SpecAugment(time_warp=0, freq_masks=1, freq_mask_width=width, time_masks=1, time_mask_width=width)(
        features, lengths)
    bands = (out == 0).all(1)  # (batch, dim): the one frequency band, unless the time mask hides all
    spans = (out == 0).all(2)
    for masked, size in ((bands, dim), (spans, frames)):
        widths = masked.sum(1).float()
        assert abs(widths.mean() - width / 2) < 0.15
        counts = torch.bincount(widths.long(), minlength=width + 1)
        assert counts.shape[0] == width + 1 and (counts - 4000 / (width + 1)).abs().max() < 80
        starts = masked.float().argmax(1)[widths > 0].float()
        mean_start = ((size - widths[widths > 0]) / 2).mean()
        assert abs(starts.mean() - mean_start) < 0.3


def test_eval_is_identity_and_a_seed_replays_the_draws():
    features, lengths = padded(6, 60, 20, [60, 50, 12, 40, 60, 7])
    augment = SpecAugment(time_warp=5, freq_masks=2, freq_mask_width=8, time_masks=2, time_mask_width=10)
    assert augment.eval()(features, lengths) is features
    augment.train()
    torch.manual_seed(7)
    first = augment(features, lengths)
    state = torch.get_rng_state()
    second = augment(features, lengths)
    torch.manual_seed(7)
    assert torch.equal(augment(features, lengths), first)
    torch.set_rng_state(state)
    assert torch.equal(augment(features, lengths), second) and not torch.equal(first, second)
