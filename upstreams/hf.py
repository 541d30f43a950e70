"""Any Hugging Face ``transformers`` speech encoder: ``--upstream hf:<model id or local folder>``.

Needs the optional extra ``superb[hf]`` (``transformers``, ``safetensors``). Everything
is read with transformers' own loaders (``AutoConfig``, ``AutoFeatureExtractor``,
``AutoModel`` or Whisper's ``WhisperEncoder``); a hub id is looked up in the Hugging
Face cache first (``local_files_only``) and downloaded only when missing and the hub
is not switched off (``HF_HUB_OFFLINE=1``); ``revision`` (``--upstream-revision``)
pins a branch, tag or commit. Two kinds of model:

* **Whisper** (``model_type`` ``whisper``: ``WhisperModel``,
  ``WhisperForConditionalGeneration``, a fine-tune, Distil-Whisper): only the encoder's
  weights are loaded (``WhisperEncoder.from_pretrained`` with a key mapping; the decoder is
  never read), renamed to openai-whisper's names and run by
  :class:`upstreams.whisper_encoder.WhisperEncoder`: same layers, own-length default,
  ``pad_to_30s``, and the same identity as the same weights in an openai-whisper file.
* **Waveform encoders** (wav2vec 2.0, XLS-R, MMS, HuBERT, WavLM, data2vec-audio, ...: a
  convolutional front end on raw samples): :class:`HFEncoder`. Layers are exactly the
  model's ``hidden_states`` (``num_hidden_layers + 1``; index 0 is the input of the first
  transformer layer: the projected CNN features plus the convolutional positional
  embedding), stride and receptive field from ``conv_stride`` / ``conv_kernel`` in the
  config, each clip normalised by the model's feature extractor (``do_normalize``) and
  zero-padded as :func:`upstreams.torchaudio_ssl.contract_lengths` says. The layer-norm
  models of :data:`MASKED_PADDING` (the Large ones) run padded batches with an attention
  mask; the others (group norm in the first convolution, as in the Base models, or
  padding that leaks, as in data2vec-audio) run their batches as groups of equal length
  (:mod:`upstreams.batching`), so a clip's features never depend on its batch-mates.
* **w2v-BERT 2.0** (a spectrogram front end): also :class:`HFEncoder`; its feature
  extractor's 10 ms fbank frames, stacked in pairs, give stride 320 samples and a
  560-sample receptive field; batches run as groups of equal length.

``random_init=true`` (or a seed) builds the architecture of the config with transformers'
own initialisation, seeded: only ``config.json`` (and ``preprocessor_config.json``) is read.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from benchmark.errors import UserError
from upstreams.base import SAMPLE_RATE, Upstream, UpstreamOutput
from upstreams.batching import in_equal_length_groups
from upstreams.torchaudio_ssl import contract_lengths, conv_geometry
from upstreams.weights import random_init_config, random_init_label, random_init_seed, seeded

NOT_ARCHITECTURE = re.compile(r"dropout|layerdrop|mask_|ctc_|label|token_id|vocab|architectures|name_or_path|"
                              r"transformers_version|dtype|codevector|contrastive|diversity|num_negatives|tdnn|"
                              r"xvector|classifier|weighted_layer_sum|spec_augment|return_dict|output_|"
                              r"problem_type|commit_hash|tie_word|is_encoder_decoder|decoder|adapter_attn")
"""Config keys that only matter for training or for heads, left out of the identity."""

MASKED_PADDING = {"wav2vec2", "hubert", "wavlm"}
"""Model types whose layer-norm front end honours an attention mask exactly (padded frames zeroed before
the positional convolution, masked in attention). Others (data2vec-audio's stacked positional
convolutions spread padding) and group-norm front ends run in groups of equal length."""

FBANK_HOP, FBANK_WINDOW = 160, 400
"""Samples per hop and per window of the Kaldi fbank that spectrogram front ends (w2v-BERT 2.0) compute."""

WHISPER_NAMES = [(".self_attn.q_proj.", ".attn.query."), (".self_attn.k_proj.", ".attn.key."),
                 (".self_attn.v_proj.", ".attn.value."), (".self_attn.out_proj.", ".attn.out."),
                 (".self_attn_layer_norm.", ".attn_ln."), (".fc1.", ".mlp.0."), (".fc2.", ".mlp.2."),
                 (".final_layer_norm.", ".mlp_ln.")]
"""transformers' Whisper encoder layer names to openai-whisper's (as transformers' ``convert_openai_to_hf``)."""


def transformers_module():
    """``transformers``, quiet, or one line saying how to install it."""
    try:
        import transformers
    except ImportError:
        raise UserError("hf: upstreams need transformers: pip install 'superb[hf]' "
                        "(transformers and safetensors)") from None
    from huggingface_hub.utils import logging as hub_logging

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    hub_logging.set_verbosity_error()  # its retry warnings would break the one-line error
    return transformers


def hub_offline() -> bool:
    """True when the Hugging Face hub is switched off (``HF_HUB_OFFLINE``)."""
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE) or os.environ.get("HF_HUB_OFFLINE", "").upper() in {"1", "ON", "YES", "TRUE"}


def is_local(source: str) -> bool:
    """True when ``source`` names a folder (it exists, or is written as a path) rather than a hub id."""
    return Path(source).expanduser().is_dir() or source.startswith((".", "/", "~")) or source.count("/") > 1


def pretrained(load, source: str, revision: str | None, what: str, **kwargs):
    """``load(source, ...)`` (a transformers ``from_pretrained``): the cached copy first, the hub only if missing.

    Raises:
        UserError: one line naming what to download and where (the HF cache or a local folder).
    """
    if is_local(source):
        folder = Path(source).expanduser()
        if not folder.is_dir():
            raise UserError(f"hf:{source}: folder {folder} does not exist; give a hub id or a folder written by "
                            f"save_pretrained")
        if revision:
            raise UserError(f"hf:{source}: --upstream-revision applies to hub ids, not to a local folder")
        try:
            return load(str(folder), **kwargs)
        except (OSError, ValueError) as err:
            raise UserError(f"hf:{source}: {what} does not load from {folder} "
                            f"({str(err).strip().splitlines()[0][:200]})") from None
    try:
        return load(source, revision=revision, local_files_only=True, **kwargs)
    except OSError as err:
        reason = err
    if not hub_offline():
        try:
            return load(source, revision=revision, **kwargs)
        except OSError as err:
            reason = err
    from huggingface_hub import constants

    detail = str(reason).strip().splitlines()[0][:120]
    pin = f" --revision {revision}" if revision else ""
    raise UserError(f"hf:{source}: {what} is not on this machine and cannot be downloaded ({detail}); run "
                    f"`hf download {source}{pin}` where the hub is reachable (it fills the Hugging Face cache "
                    f"{constants.HF_HUB_CACHE}), or save the model with save_pretrained to a folder and pass "
                    f"hf:FOLDER") from None


def hf_upstream(source: str, revision: str | None = None, pad_to_30s: bool = False,
                random_init: bool | int = False) -> Upstream:
    """The upstream ``hf:<source>``: a Whisper encoder or an :class:`HFEncoder`.

    Args:
        source: a hub id (``facebook/wav2vec2-base``) or a folder written by ``save_pretrained``.
        revision: branch, tag or commit of a hub id (``--upstream-revision``).
        pad_to_30s: Whisper only: pad every window to 30 s (see :mod:`upstreams.whisper_encoder`).
        random_init: ``true`` (seed 0) or a seed: the config's architecture with random weights.
    """
    transformers = transformers_module()
    seed = random_init_seed(random_init, f"hf:{source}")
    config = pretrained(transformers.AutoConfig.from_pretrained, source, revision, "config.json")
    label = f"hf:{Path(source).name if is_local(source) else source}{f'@{revision}' if revision else ''}"
    origin = {"source": source, "revision": revision, "commit": getattr(config, "_commit_hash", None),
              "random_init_seed": seed}
    if config.model_type == "whisper":
        upstream = whisper_upstream(source, revision, config, label, pad_to_30s, seed)
    elif pad_to_30s:
        raise UserError(f"hf:{source}: pad_to_30s applies to Whisper models only (this is {config.model_type})")
    else:
        upstream = HFEncoder(source, revision, config, label, seed)
    upstream.origin = origin
    return upstream


def whisper_upstream(source: str, revision: str | None, config, label: str, pad_to_30s: bool,
                     seed: int | None) -> Upstream:
    """The encoder of a transformers Whisper model, loaded alone and run as ``whisper_encoder``."""
    from transformers.models.whisper.modeling_whisper import WhisperEncoder as HFWhisperEncoder

    from upstreams.whisper_encoder import WhisperEncoder, audio_dims, build_encoder

    if seed is not None:
        with seeded(seed):
            hf_encoder = HFWhisperEncoder(config)
    else:
        hf_encoder, info = pretrained(HFWhisperEncoder.from_pretrained, source, revision, "the encoder's weights",
                                      config=config, dtype=torch.float32, output_loading_info=True,
                                      key_mapping={r"^model\.encoder\.": "", r"^encoder\.": ""})
        if info["missing_keys"]:
            raise UserError(f"hf:{source}: the weights hold no Whisper encoder (missing "
                            f"{', '.join(sorted(info['missing_keys'])[:3])}, ...)")
    dims = audio_dims(config.num_mel_bins, config.max_source_positions, config.d_model,
                      config.encoder_attention_heads, config.encoder_layers)
    encoder = build_encoder(dims)
    encoder.load_state_dict(openai_whisper_names(hf_encoder.state_dict()))
    return WhisperEncoder.from_encoder(encoder, dims, label, pad_to_30s, seed)


def openai_whisper_names(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """A transformers ``WhisperEncoder`` state dict renamed to openai-whisper's ``AudioEncoder`` names."""
    renamed = {}
    for key, value in state.items():
        key = re.sub(r"^layers\.", "blocks.", key)
        for hf_name, openai_name in WHISPER_NAMES:
            key = key.replace(hf_name, openai_name)
        key = {"embed_positions.weight": "positional_embedding", "layer_norm.weight": "ln_post.weight",
               "layer_norm.bias": "ln_post.bias"}.get(key, key)
        renamed[key] = value
    return renamed


class HFEncoder(Upstream):
    """A transformers waveform encoder (wav2vec 2.0 family) as an upstream; see the module doc.

    Layers: the model's ``hidden_states``, ``num_hidden_layers + 1`` of them, each
    ``(batch, frames, hidden_size)``.
    """

    def __init__(self, source: str, revision: str | None, config, label: str, seed: int | None):
        super().__init__()
        transformers = transformers_module()
        self.label, self.seed = label, seed
        self.name = f"hf_{config.model_type}"
        extractor = pretrained(transformers.AutoFeatureExtractor.from_pretrained, source, revision,
                               "preprocessor_config.json (the feature extractor)")
        self.spectrogram = "input_features" in extractor.model_input_names
        if self.spectrogram and hasattr(extractor, "stride"):  # w2v-BERT 2.0: 10 ms fbank frames stacked by stride
            self.downsample_rate = FBANK_HOP * extractor.stride
            self.receptive_field = FBANK_WINDOW + FBANK_HOP * (extractor.stride - 1)
        elif not self.spectrogram and hasattr(config, "conv_stride"):
            self.downsample_rate, self.receptive_field = conv_geometry(list(config.conv_kernel),
                                                                       list(config.conv_stride))
        else:
            raise UserError(f"hf:{source}: superb does not know the front end of {config.model_type} models; hf: "
                            f"runs Whisper, the wav2vec 2.0 family (wav2vec2, HuBERT, WavLM, data2vec-audio, ...) "
                            f"and w2v-BERT 2.0")
        self.normalize = bool(getattr(extractor, "do_normalize", False))
        self.extractor = extractor
        if seed is not None:
            with seeded(seed):
                self.model = transformers.AutoModel.from_config(config)
        else:
            self.model = pretrained(transformers.AutoModel.from_pretrained, source, revision, "the model's weights",
                                    config=config, dtype=torch.float32)
        self.group_norm = (getattr(config, "feat_extract_norm", "layer") == "group"
                           or config.model_type not in MASKED_PADDING)
        self.num_layers = config.num_hidden_layers + 1
        self.hidden_size = config.hidden_size
        self.architecture = {key: value for key, value in config.to_dict().items()
                             if not NOT_ARCHITECTURE.search(key)}
        self.eval()

    def config(self) -> dict[str, Any]:
        return {"architecture": self.architecture, "normalize": self.normalize, "spectrogram": self.spectrogram,
                "equal_length_groups": self.group_norm, **random_init_config(self.seed)}

    def display_name(self) -> str:
        return self.label + random_init_label(self.seed)

    def normalized(self, clip: Tensor) -> Tensor:
        """One clip ``(samples,)`` through the feature extractor's own normalisation (zero mean, unit variance)."""
        if not self.normalize:
            return clip
        values = self.extractor(clip.cpu().numpy(), sampling_rate=SAMPLE_RATE, return_tensors="pt")["input_values"]
        return values[0].to(clip)

    def encode(self, wavs: Tensor, lengths: Tensor) -> tuple[list[Tensor], Tensor]:
        """Zero-padded ``(batch, samples)`` with ``(batch,)`` lengths to the hidden states and ``(batch,)`` frames."""
        if self.spectrogram:  # in groups of equal length: every clip gives the same number of feature frames
            features = torch.cat([self.extractor(clip.cpu().numpy(), sampling_rate=SAMPLE_RATE,
                                                 return_tensors="pt")["input_features"] for clip in wavs])
            out = self.model(input_features=features.to(wavs.device), output_hidden_states=True)
            return list(out.hidden_states), torch.full((len(wavs),), features.shape[1], dtype=torch.long)
        mask = None
        if not self.group_norm:
            mask = (torch.arange(wavs.shape[1], device=wavs.device)[None, :] < lengths[:, None]).long()
        with warnings.catch_warnings():  # WavLM's relative attention mixes mask types; torch warns, rightly harmless
            warnings.filterwarnings("ignore", message="Support for mismatched key_padding_mask")
            out = self.model(wavs, attention_mask=mask, output_hidden_states=True)
        frames = self.model._get_feat_extract_output_lengths(lengths).long()
        return list(out.hidden_states), frames

    def forward(self, wavs: Tensor, lengths: Tensor) -> UpstreamOutput:
        padded = contract_lengths(lengths, self.downsample_rate, self.receptive_field)
        batch = wavs.new_zeros(len(wavs), int(padded.max()))
        for i, n in enumerate(lengths.tolist()):
            batch[i, :n] = self.normalized(wavs[i, :n])
        if self.group_norm:
            layers, frames = in_equal_length_groups(self.encode, batch, padded)
        else:
            layers, frames = self.encode(batch, padded.to(wavs.device))
        return UpstreamOutput(layers=layers, lengths=frames.cpu())

