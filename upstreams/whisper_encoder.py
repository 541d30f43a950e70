"""The Whisper encoder (openai-whisper) as an upstream: its embedding and every block, at 20 ms.

Layers (``n_audio_layer + 1`` of them, each ``(batch, frames, n_audio_state)``):

* layer 0: the embedding, i.e. the two GELU convolutions over the log-mel spectrogram
  plus the sinusoidal positional embedding, as fed to the first block;
* layer k: the output of block k; the last one after the final layer norm
  (``ln_post``), exactly what ``whisper``'s ``AudioEncoder`` returns.

Stride 320 samples (mel hop 160, then the stride-2 convolution).

Own length (default). Whisper was trained on 30 s windows, but padding a 1 s clip to
30 s costs ~30x the compute for 1,450 frames of padding. By default each clip is
encoded at its own length: the log-mel spectrogram keeps one frame per
160-sample hop whose centre lies inside the clip (``ceil(n / 160)`` frames, computed
with whisper's ``log_mel_spectrogram`` over the clip plus 200 zero samples, so the
last frames see zeros after the clip as they would in a padded window), the
convolutions see zeros after it, and the positional embedding is sliced to the clip's
frames. In a padded batch the convolution outputs past each clip's end are zeroed and
attention ignores them (a key padding mask), so a clip's features do not depend on its
batch-mates. ``pad_to_30s=True`` restores the original behaviour: every window padded
to 30 s (``pad_or_trim``), all 1,500 frames encoded, the clip's frames kept.

Frame count: ``ceil(ceil(n / 160) / 2) = ceil(n / 320) = (n - 1) // 320 + 1`` for a
clip of ``n`` samples: the contract's count exactly, in both modes.

Long clips: clips over 30 s (``n_audio_ctx * 320`` samples) are cut into 30 s windows,
each encoded as above, and the frames concatenated (every full window gives exactly
1,500 frames, so the count stays exact).

Weights: ``size`` names an official checkpoint (``whisper.available_models()``),
fetched the way ``whisper.load_model`` does (``whisper._download``: URL from
``whisper._MODELS``, cached in ``~/.cache/whisper`` or ``download_root``, SHA-256
checked); ``ckpt`` is any openai-whisper checkpoint file (``{"dims",
"model_state_dict"}``). Only the encoder is kept. ``random_init=true`` (or a seed)
builds the architecture of ``size`` with seeded random weights instead, no download.
:meth:`WhisperEncoder.from_encoder` wraps an encoder loaded elsewhere (``hf:`` Whisper
models, :mod:`upstreams.hf`); the identity covers only the encoder's weights and the
settings above, so the same weights give the same identity however they were loaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from benchmark.errors import UserError
from benchmark.registry import suggest
from upstreams.base import Upstream, UpstreamOutput
from upstreams.weights import (load_weights, missing_weights, random_init_config, random_init_label, random_init_seed,
                               seeded)

MEL_HOP = 160
"""Samples per log-mel frame (whisper's ``HOP_LENGTH``); the encoder halves the rate again."""

AUDIO_CTX = 1500
"""Encoder frames per 30 s window in every official model."""

ENCODER_SIZES = {"tiny": (80, 384, 6, 4), "base": (80, 512, 8, 6), "small": (80, 768, 12, 12),
                 "medium": (80, 1024, 16, 24), "large-v1": (80, 1280, 20, 32), "large-v2": (80, 1280, 20, 32),
                 "large-v3": (128, 1280, 20, 32), "large": (128, 1280, 20, 32),
                 "large-v3-turbo": (128, 1280, 20, 32), "turbo": (128, 1280, 20, 32)}
"""Official encoders' ``(n_mels, n_audio_state, n_audio_head, n_audio_layer)`` (``.en`` models: the same),
for random-init models of a size without downloading it."""


def default_download_root() -> str:
    """Where ``whisper.load_model`` caches checkpoints: ``$XDG_CACHE_HOME/whisper`` or ``~/.cache/whisper``."""
    return os.path.join(os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "whisper")


def official_checkpoint(size: str, download_root: str | None) -> str:
    """The local file of the official checkpoint ``size``, downloaded (and verified) by openai-whisper if absent."""
    import whisper

    if size not in whisper._MODELS:
        raise UserError(f"whisper_encoder: unknown size {size!r}.{suggest(size, list(whisper._MODELS))} "
                        f"Sizes: {', '.join(whisper._MODELS)}")
    root = download_root or default_download_root()
    url = whisper._MODELS[size]
    try:
        return whisper._download(url, root, in_memory=False)
    except (OSError, RuntimeError) as err:  # urllib's URLError is an OSError
        raise missing_weights(f"whisper_encoder size {size}", url, os.path.join(root, os.path.basename(url)),
                              err, "pass any openai-whisper checkpoint with --upstream-ckpt FILE") from None


def audio_dims(n_mels: int, n_audio_ctx: int, n_audio_state: int, n_audio_head: int, n_audio_layer: int) -> dict:
    """The encoder's dimensions, named as in whisper's ``ModelDimensions``."""
    return {"n_mels": n_mels, "n_audio_ctx": n_audio_ctx, "n_audio_state": n_audio_state,
            "n_audio_head": n_audio_head, "n_audio_layer": n_audio_layer}


def build_encoder(dims: dict):
    """An openai-whisper ``AudioEncoder`` of :func:`audio_dims` ``dims`` (PyTorch's default initialisation)."""
    from whisper.model import AudioEncoder

    return AudioEncoder(dims["n_mels"], dims["n_audio_ctx"], dims["n_audio_state"], dims["n_audio_head"],
                        dims["n_audio_layer"])


def random_encoder(size: str, seed: int):
    """A randomly initialised encoder of the official size ``size`` (``tiny``, ``base.en``, ...) and its dims."""
    base = size.removesuffix(".en")
    if base not in ENCODER_SIZES:
        raise UserError(f"whisper_encoder: unknown size {size!r}.{suggest(size, list(ENCODER_SIZES))} "
                        f"Sizes: {', '.join(ENCODER_SIZES)}")
    n_mels, state, heads, layers = ENCODER_SIZES[base]
    dims = audio_dims(n_mels, AUDIO_CTX, state, heads, layers)
    with seeded(seed):
        return build_encoder(dims), dims


def load_encoder(path: str | Path, what: str):
    """Whisper's ``AudioEncoder`` and its :func:`audio_dims` from an openai-whisper checkpoint file."""
    from whisper.model import ModelDimensions

    checkpoint = load_weights(path, what)
    if not isinstance(checkpoint, dict) or not {"dims", "model_state_dict"} <= set(checkpoint):
        raise UserError(f"{what}: {path} is not an openai-whisper checkpoint (expected a dict with 'dims' and "
                        f"'model_state_dict', as whisper.load_model reads)")
    try:
        full = ModelDimensions(**checkpoint["dims"])
        dims = audio_dims(full.n_mels, full.n_audio_ctx, full.n_audio_state, full.n_audio_head, full.n_audio_layer)
        encoder = build_encoder(dims)
        encoder.load_state_dict({key.removeprefix("encoder."): value
                                 for key, value in checkpoint["model_state_dict"].items()
                                 if key.startswith("encoder.")})
    except (TypeError, RuntimeError) as err:
        raise UserError(f"{what}: {path} does not match openai-whisper's model "
                        f"({str(err).strip().splitlines()[0][:160]})") from None
    return encoder, dims


def attention_block(block: nn.Module, x: Tensor, key_mask: Tensor | None) -> Tensor:
    """Whisper's ``ResidualAttentionBlock`` on ``x`` ``(batch, frames, dim)``, ignoring masked keys.

    Args:
        key_mask: ``(batch, 1, 1, frames)``, True where a frame may be attended to; ``None``: all.
    """
    attn = block.attn
    h = block.attn_ln(x)
    batch, frames, _ = h.shape

    def heads(t: Tensor) -> Tensor:  # (batch, frames, dim) -> (batch, heads, frames, dim / heads)
        return t.view(batch, frames, attn.n_head, -1).transpose(1, 2)

    out = F.scaled_dot_product_attention(heads(attn.query(h)), heads(attn.key(h)), heads(attn.value(h)),
                                         attn_mask=key_mask)
    x = x + attn.out(out.transpose(1, 2).flatten(2))
    return x + block.mlp(block.mlp_ln(x))


class WhisperEncoder(Upstream):
    """The openai-whisper encoder: ``n_audio_layer + 1`` layers, stride 320 samples.

    Args:
        size: an official checkpoint name (``tiny``, ``base``, ``small``, ``medium``,
            ``large-v1``, ``large-v2``, ``large-v3``, the ``.en`` ones, ...); ignored
            when ``ckpt`` is given.
        ckpt: path of an openai-whisper checkpoint file (``{"dims", "model_state_dict"}``).
        pad_to_30s: pad every window to 30 s as Whisper was trained (slow); default
            is each clip's own length.
        download_root: where official checkpoints are cached (default ``~/.cache/whisper``).
        random_init: ``true`` (seed 0) or a seed: the architecture of ``size`` with seeded
            random weights, nothing downloaded.
    """

    name = "whisper_encoder"
    downsample_rate = 2 * MEL_HOP  # 320 samples = 20 ms

    def __init__(self, size: str = "base", ckpt: str | None = None, pad_to_30s: bool = False,
                 download_root: str | None = None, random_init: bool | int = False):
        super().__init__()
        seed = random_init_seed(random_init, self.name)
        label = Path(ckpt).stem if ckpt else size
        if seed is None:
            encoder, dims = load_encoder(ckpt or official_checkpoint(size, download_root), f"whisper_encoder {label}")
        elif ckpt:
            raise UserError("whisper_encoder: random_init takes its architecture from --upstream-size; "
                            "drop --upstream-ckpt")
        else:
            encoder, dims = random_encoder(size, seed)
        self.setup(encoder, dims, f"{self.name}-{label}", pad_to_30s, seed)
        self.origin = {"size": None if ckpt else size, "ckpt": ckpt, "random_init_seed": seed}

    @classmethod
    def from_encoder(cls, encoder: nn.Module, dims: dict, label: str, pad_to_30s: bool = False,
                     seed: int | None = None) -> WhisperEncoder:
        """Wrap an openai-whisper ``AudioEncoder`` loaded elsewhere; ``label`` is the name results show."""
        upstream = cls.__new__(cls)
        Upstream.__init__(upstream)
        upstream.setup(encoder, dims, label, pad_to_30s, seed)
        return upstream

    def setup(self, encoder: nn.Module, dims: dict, label: str, pad_to_30s: bool, seed: int | None) -> None:
        self.encoder, self.dims, self.label, self.seed = encoder, dims, label, seed
        self.pad_to_30s = bool(pad_to_30s)
        self.num_layers = dims["n_audio_layer"] + 1
        self.hidden_size = dims["n_audio_state"]
        self.window = dims["n_audio_ctx"] * self.downsample_rate  # samples per window: 480,000 = 30 s
        self.departures = [] if self.pad_to_30s else [
            "Whisper encoder run on each clip's own length (positional embedding sliced), not on the 30 s "
            "window it was trained on (past the clip's end its convolutions see zeros, not the log-mel of padding); "
            "pad_to_30s=true restores that"]
        self.eval()

    def config(self) -> dict[str, Any]:
        return {"pad_to_30s": self.pad_to_30s, "window_samples": self.window, "dims": self.dims, "mel_hop": MEL_HOP,
                **random_init_config(self.seed)}

    def display_name(self) -> str:
        return f"{self.label}{'-pad30s' if self.pad_to_30s else ''}{random_init_label(self.seed)}"

    def log_mel(self, segment: Tensor) -> Tensor:
        """One window ``(samples,)`` to its log-mel spectrogram ``(n_mels, mel_frames)``.

        ``mel_frames`` is ``ceil(samples / 160)`` at own length, ``window / 160`` with ``pad_to_30s``.
        """
        from whisper.audio import N_FFT, log_mel_spectrogram, pad_or_trim

        if self.pad_to_30s:
            return log_mel_spectrogram(pad_or_trim(segment, self.window), self.dims["n_mels"])
        mel = log_mel_spectrogram(segment, self.dims["n_mels"], padding=N_FFT // 2)
        return mel[:, :(len(segment) - 1) // MEL_HOP + 1]

    def encode(self, mels: list[Tensor]) -> list[Tensor]:
        """Log-mel spectrograms ``(n_mels, T_i)`` to the layers, each ``(windows, max ceil(T_i / 2), dim)``."""
        enc = self.encoder
        mel_frames = torch.tensor([m.shape[1] for m in mels], device=mels[0].device)
        x = nn.utils.rnn.pad_sequence([m.T for m in mels], batch_first=True).transpose(1, 2)
        valid_mel = torch.arange(x.shape[2], device=x.device)[None, :] < mel_frames[:, None]
        x = F.gelu(enc.conv1(x)) * valid_mel[:, None, :]  # zeros past the end, as when encoded alone
        x = F.gelu(enc.conv2(x)).transpose(1, 2)
        frames = (mel_frames + 1) // 2
        x = x + enc.positional_embedding[:x.shape[1]]
        key_mask = None
        if bool((frames < x.shape[1]).any()):
            key_mask = (torch.arange(x.shape[1], device=x.device)[None, :] < frames[:, None])[:, None, None, :]
        layers = [x]
        for block in enc.blocks:
            x = attention_block(block, x, key_mask)
            layers.append(x)
        layers[-1] = enc.ln_post(x)
        return layers

    def forward(self, wavs: Tensor, lengths: Tensor) -> UpstreamOutput:
        windows = [(clip, start, min(n, start + self.window))
                   for clip, n in enumerate(lengths.tolist()) for start in range(0, n, self.window)]
        layers = self.encode([self.log_mel(wavs[clip, start:end]) for clip, start, end in windows])
        keep = [(end - start - 1) // self.downsample_rate + 1 for _, start, end in windows]
        per_clip: list[list[int]] = [[] for _ in range(len(lengths))]
        for index, (clip, _, _) in enumerate(windows):
            per_clip[clip].append(index)
        out = [nn.utils.rnn.pad_sequence([torch.cat([layer[w, :keep[w]] for w in ws]) for ws in per_clip],
                                         batch_first=True) for layer in layers]
        frames = torch.tensor([sum(keep[w] for w in ws) for ws in per_clip], device=lengths.device)
        return UpstreamOutput(layers=out, lengths=frames)
