"""Any upstream of s3prl's hub as a superb upstream: ``--upstream s3prl:<name>``.

Runs s3prl's own ``S3PRLUpstream`` (``s3prl.nn.upstream``): the hub entry builds the
model and downloads its checkpoint through s3prl's downloader (cached under
``~/.cache/s3prl``), and its forward returns every hidden state with the lengths
``(samples - 1) // stride + 1``. torchaudio 2.9 needs the shim in
:mod:`upstreams.s3prl_compat`. Needs ``pip install s3prl==0.4.18``.

``ckpt`` is passed as s3prl's ``path_or_url`` (the ``*_local`` / ``*_custom`` entries
need it); other options go to the hub entry as ``extra_conf``. s3prl's own loaders
read the checkpoints. Every hidden state must share one size and one stride (the
weighted sum needs that).

s3prl's upstreams pad a batch each in their own way, and some let the padding change
the shorter clips' frames (its ``fbank`` repeats the batch's last frame; group-norm
models normalise over the padding), so batches run as groups of equal-length clips
(:mod:`upstreams.batching`): every clip gets the features it gets alone.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from torch import Tensor

from benchmark.errors import UserError
from benchmark.registry import suggest
from upstreams.base import Upstream, UpstreamOutput
from upstreams.batching import in_equal_length_groups
from upstreams.weights import missing_weights


@contextlib.contextmanager
def explained_downloads(what: str):
    """Turn a failed s3prl download into one line naming the URL and the file s3prl looks for."""
    from s3prl.util import download

    original = download._download

    def download_or_explain(filepath, url, refresh, new_enough_secs=2.0):
        try:
            return original(filepath, url, refresh, new_enough_secs)
        except Exception as err:  # noqa: BLE001 - every download failure gets the same advice
            raise missing_weights(what, url, filepath, err, "pass a local checkpoint with --upstream-ckpt FILE "
                                  "(to an s3prl *_local entry)") from None

    download._download = download_or_explain
    try:
        yield
    finally:
        download._download = original


class S3prlUpstream(Upstream):
    """The s3prl hub entry ``hub_name`` behind the superb contract.

    Args:
        hub_name: a name from ``s3prl.hub.options()`` (``hubert``, ``wavlm_base_plus``, ``fbank``, ``hubert_local``...).
        ckpt: a local checkpoint (s3prl's ``path_or_url``).
        extra_conf: further keyword arguments of the hub entry.
    """

    def __init__(self, hub_name: str, ckpt: str | None = None, **extra_conf: Any):
        super().__init__()
        from upstreams.s3prl_compat import import_hub

        try:
            hub = import_hub()
        except ImportError as err:
            raise UserError(f"s3prl:{hub_name}: s3prl is not installed or does not import ({err}); "
                            f"pip install s3prl==0.4.18") from None
        from s3prl.nn import S3PRLUpstream

        if hub_name not in hub.options():
            raise UserError(f"unknown s3prl upstream {hub_name!r}.{suggest(hub_name, hub.options())} "
                            f"s3prl.hub.options() lists them all")
        self.name = f"s3prl:{hub_name}"
        self.label = f"{self.name}-{Path(ckpt).stem}" if ckpt else self.name
        self.hub_name, self.extra_conf = hub_name, extra_conf
        try:
            with explained_downloads(self.name):
                self.model = S3PRLUpstream(hub_name, path_or_url=ckpt, extra_conf=extra_conf)
        except UserError:
            raise
        except Exception as err:  # noqa: BLE001 - s3prl's failures are shown on one line
            raise UserError(f"{self.name}: s3prl could not build it ({type(err).__name__}: "
                            f"{str(err).strip().splitlines()[0][:160] if str(err).strip() else ''}); "
                            f"--debug shows the traceback") from err
        sizes, rates = set(self.model.hidden_sizes), set(self.model.downsample_rates)
        if len(sizes) != 1 or len(rates) != 1:
            raise UserError(f"{self.name}: its hidden states differ in size {sorted(sizes)} or stride {sorted(rates)}; "
                            f"superb's weighted sum needs them equal")
        self.num_layers = self.model.num_layers
        self.hidden_size = sizes.pop()
        self.downsample_rate = rates.pop()
        self.eval()

    def config(self) -> dict[str, Any]:
        import s3prl

        return {"s3prl": s3prl.__version__, "hub_name": self.hub_name, "extra_conf": self.extra_conf}

    def display_name(self) -> str:
        return self.label

    def run(self, wavs: Tensor, lengths: Tensor) -> tuple[list[Tensor], Tensor]:
        layers, frame_lengths = self.model(wavs, lengths)
        return list(layers), frame_lengths[0]

    def forward(self, wavs: Tensor, lengths: Tensor) -> UpstreamOutput:
        layers, frames = in_equal_length_groups(self.run, wavs, lengths)
        return UpstreamOutput(layers=layers, lengths=frames)
