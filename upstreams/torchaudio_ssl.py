"""Self-supervised encoders from torchaudio's pipeline bundles: wav2vec 2.0, HuBERT, WavLM.

One class, :class:`SSLUpstream`, parameterised by the bundle. Layers (``L + 1``, each
``(batch, frames, dim)``): the input to the first transformer layer (after the
convolutional positional embedding, and its layer norm in the Base models), then
every transformer layer's output; in the Large models (pre-norm) the last one after
the transformer's final layer norm. These are the layers s3prl takes (inputs of every
layer plus the encoder output). LayerDrop is set to 0 and dropout is off (eval mode).

Stride 320 samples. The convolutional front end has a 400-sample receptive field, so
a clip of ``n`` samples gives ``floor((n - 400) / 320) + 1`` frames, up to two short of
the contract's ``ceil(n / 320)``. Clips are therefore zero-padded after their end by
the few samples (at most 79, or up to 400 for clips under 25 ms) that give
``max(1, ceil(n / 320) - 1)`` frames: within one frame of the contract; every other
frame is untouched.

Padding: the Large models (layer-norm front end) run a padded batch with lengths:
padded frames are zeroed before the positional convolution and masked in attention.
The Base models normalise their first convolution over the whole time axis (group
norm), so padding would change every frame; their batches run as groups of equal
length, which need no padding (:mod:`upstreams.batching`). Either way a clip's features do not depend on
its batch-mates. Models trained on normalised waveforms (the Large ones) get each
clip normalised to zero mean and unit variance over its own samples.

Weights: ``bundle.get_model()`` downloads them through ``torch.hub`` into
``<torch hub dir>/checkpoints/``; ``ckpt`` loads a local state dict of the bundle's
architecture instead, or ``{"params": {...}, "state_dict": {...}}`` for the same
family at other sizes (``params`` override the bundle's builder arguments);
``random_init=true`` (or a seed) builds the bundle's architecture with the builder's
seeded random initialisation, nothing downloaded.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from benchmark.errors import UserError
from upstreams.base import Upstream, UpstreamOutput
from upstreams.batching import in_equal_length_groups
from upstreams.weights import (load_weights, missing_weights, random_init_config, random_init_label, random_init_seed,
                               seeded)

BUNDLES = {
    "wav2vec2_base": "WAV2VEC2_BASE",
    "wav2vec2_large": "WAV2VEC2_LARGE_LV60K",
    "hubert_base": "HUBERT_BASE",
    "hubert_large": "HUBERT_LARGE",
    "wavlm_base": "WAVLM_BASE",
    "wavlm_base_plus": "WAVLM_BASE_PLUS",
    "wavlm_large": "WAVLM_LARGE",
}
"""Upstream name to the ``torchaudio.pipelines`` bundle it loads. ``wav2vec2_large`` is the
LibriLight 60k-hour model, the "wav2vec 2.0 Large" of the SUPERB paper."""

TORCHAUDIO_MODEL_URL = "https://download.pytorch.org/torchaudio/models/"
"""Where torchaudio fetches a bundle's ``_path`` from (``torchaudio.pipelines._wav2vec2.utils._get_state_dict``)."""


def bundle_url(bundle) -> str:
    return bundle._path if bundle._path.startswith("https") else TORCHAUDIO_MODEL_URL + bundle._path


def pretrained_model(bundle, what: str) -> nn.Module:
    """The bundle's model with its pretrained weights (``bundle.get_model()``, read with ``weights_only``)."""
    try:
        model = bundle.get_model(dl_kwargs={"weights_only": True})
    except OSError as err:  # no network: urllib's URLError is an OSError
        url = bundle_url(bundle)
        raise missing_weights(what, url, Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name, err,
                              "pass a state dict of this architecture with --upstream-ckpt FILE") from None
    except Exception as err:  # noqa: BLE001 - a cached file that does not load
        cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(bundle_url(bundle)).name
        raise UserError(f"{what}: torchaudio could not load {cached} ({str(err).strip().splitlines()[0][:160]}); "
                        f"delete it to download it again") from None
    return model.model if hasattr(model, "normalize_waveform") else model  # normalisation is done per clip here


def builder(bundle):
    """torchaudio's model builder of the bundle's family (``wav2vec2_model`` or ``wavlm_model``)."""
    from torchaudio.models import wav2vec2_model, wavlm_model

    return {"Wav2Vec2": wav2vec2_model, "WavLM": wavlm_model}[bundle._model_type]


def random_model(bundle, seed: int) -> tuple[nn.Module, dict[str, Any]]:
    """The bundle's architecture with the builder's random initialisation, seeded."""
    params = dict(bundle._params)
    with seeded(seed):
        return builder(bundle)(**params), params


def checkpoint_model(bundle, ckpt: str, what: str) -> tuple[nn.Module, dict[str, Any]]:
    """The bundle's architecture (or ``params`` from the file) with the weights of ``ckpt``."""
    state = load_weights(ckpt, what)
    params = dict(bundle._params)
    if isinstance(state, dict) and set(state) == {"params", "state_dict"}:
        params.update(state["params"])
        state = state["state_dict"]
    build = builder(bundle)
    try:
        model = build(**params)
        model.load_state_dict(state)
    except (TypeError, RuntimeError, AttributeError) as err:
        raise UserError(f"{what}: {ckpt} is not a state dict of torchaudio's {build.__name__} with these "
                        f"parameters ({str(err).strip().splitlines()[0][:160]})") from None
    return model, params


def conv_geometry(kernels: list[int], strides: list[int]) -> tuple[int, int]:
    """``(stride, receptive field)`` in samples of a stack of 1-D convolutions."""
    stride, field = 1, 1
    for kernel, step in zip(kernels, strides):
        field += (kernel - 1) * stride
        stride *= step
    return stride, field


def contract_lengths(lengths: Tensor, stride: int, receptive_field: int) -> Tensor:
    """Samples to give a convolutional front end per clip: ``n`` zero-padded up to ``max(1, ceil(n / stride) - 1)``
    frames, within one frame of the contract's count (see the module doc). ``(batch,)`` in, ``(batch,)`` out."""
    frames = torch.clamp(torch.div(lengths - 1, stride, rounding_mode="floor"), min=1)
    return torch.maximum(lengths, receptive_field + stride * (frames - 1))


class SSLUpstream(Upstream):
    """A torchaudio wav2vec 2.0 / HuBERT / WavLM bundle as an upstream.

    Args:
        model: a key of :data:`BUNDLES` (``"hubert_base"``).
        ckpt: a local state dict to load instead of the pretrained download (see the module doc).
        random_init: ``true`` (seed 0) or a seed: the bundle's architecture, randomly initialised.
    """

    def __init__(self, model: str, ckpt: str | None = None, random_init: bool | int = False):
        super().__init__()
        import torchaudio.pipelines

        self.name = model
        self.seed = random_init_seed(random_init, model)
        self.label = (f"{model}-{Path(ckpt).stem}" if ckpt else model) + random_init_label(self.seed)
        self.bundle_name = BUNDLES[model]
        bundle = getattr(torchaudio.pipelines, self.bundle_name)
        if self.seed is not None:
            if ckpt:
                raise UserError(f"{model}: random_init builds the bundle's architecture; drop --upstream-ckpt")
            self.model, params = random_model(bundle, self.seed)
        elif ckpt:
            self.model, params = checkpoint_model(bundle, ckpt, model)
        else:
            self.model, params = pretrained_model(bundle, model), dict(bundle._params)
        self.params = params
        self.normalize_waveform = bool(bundle._normalize_waveform)
        self.wavlm = bundle._model_type == "WavLM"
        convs = self.model.feature_extractor.conv_layers
        self.group_norm = isinstance(convs[0].layer_norm, nn.GroupNorm)
        self.departures = [
            "each clip is zero-padded after its end by up to 79 samples (400 under 25 ms) to give max(1, ceil(n / 320) "
            "- 1) frames: possibly one frame more than s3prl's floor((n - 400) / 320) + 1"]
        if self.group_norm:
            self.departures.append("group-norm front end: clips are batched only with clips of equal length (no "
                                   "padding, as if each ran alone); s3prl pads the batch, which changes shorter clips")
        self.downsample_rate, self.receptive_field = conv_geometry([c.kernel_size for c in convs],
                                                                   [c.stride for c in convs])
        transformer = self.model.encoder.transformer
        transformer.layer_drop = 0.0
        self.num_layers = len(transformer.layers) + 1
        self.hidden_size = transformer.layer_norm.normalized_shape[0]
        self.eval()

    def config(self) -> dict[str, Any]:
        return {"bundle": self.bundle_name, "params": self.params, "normalize_waveform": self.normalize_waveform,
                "equal_length_groups": self.group_norm, **random_init_config(self.seed)}

    def display_name(self) -> str:
        return self.label

    def encode(self, wavs: Tensor, lengths: Tensor) -> tuple[list[Tensor], Tensor]:
        """Zero-padded ``(batch, samples)`` with ``(batch,)`` lengths to the layers and ``(batch,)`` frames."""
        features, frames = self.model.feature_extractor(wavs, lengths)
        x, attention_mask = self.model.encoder._preprocess(features, frames)  # zeroes padded frames
        transformer = self.model.encoder.transformer
        x = transformer._preprocess(x)
        steps = torch.arange(x.shape[1], device=x.device)
        padding = torch.zeros(x.shape[:2], device=x.device).masked_fill(steps[None, :] >= frames[:, None],
                                                                        float("-inf"))  # additive, for WavLM
        layers, position_bias = [x], None
        for layer in transformer.layers:
            x, position_bias = layer(x, None if self.wavlm else attention_mask, position_bias=position_bias,
                                     key_padding_mask=padding)
            layers.append(x)
        if not transformer.layer_norm_first:  # torchaudio's flag: True means post-norm (Base) models
            layers[-1] = transformer.layer_norm(x)
        return layers, frames

    def forward(self, wavs: Tensor, lengths: Tensor) -> UpstreamOutput:
        padded = contract_lengths(lengths, self.downsample_rate, self.receptive_field)
        batch = wavs.new_zeros(len(wavs), int(padded.max()))
        for i, n in enumerate(lengths.tolist()):
            clip = wavs[i, :n]
            batch[i, :n] = nn.functional.layer_norm(clip, clip.shape) if self.normalize_waveform else clip
        if self.group_norm:
            layers, frames = in_equal_length_groups(self.encode, batch, padded)
        else:
            layers, frames = self.encode(batch, padded)
        return UpstreamOutput(layers=layers, lengths=frames)


wav2vec2_base = partial(SSLUpstream, "wav2vec2_base")
wav2vec2_large = partial(SSLUpstream, "wav2vec2_large")
hubert_base = partial(SSLUpstream, "hubert_base")
hubert_large = partial(SSLUpstream, "hubert_large")
wavlm_base = partial(SSLUpstream, "wavlm_base")
wavlm_base_plus = partial(SSLUpstream, "wavlm_base_plus")
wavlm_large = partial(SSLUpstream, "wavlm_large")
