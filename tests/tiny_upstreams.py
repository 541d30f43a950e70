"""Tiny randomly initialised models of every real architecture, saved as the checkpoints real weights come in.

Whisper: openai-whisper's own ``{"dims", "model_state_dict"}`` file of a ``Whisper``
built from small ``ModelDimensions`` (the real 1,500-frame context, 32 dims, 2 blocks).
torchaudio bundles: the bundle's own builder (``wav2vec2_model`` / ``wavlm_model``) with
its parameters shrunk to 32 dims and 2 layers (same front-end kernels and strides).
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

@pytest.fixture(scope="module", autouse=True)
def single_thread():
    """One intra-op thread here and in ``superb`` subprocesses: tiny models are all small matrix products, which
    thread synchronisation slows ~10x on a busy 2-core machine. Import it into a test module to use it."""
    threads, env = torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")
    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    yield
    torch.set_num_threads(threads)
    if env is None:
        os.environ.pop("OMP_NUM_THREADS")
    else:
        os.environ["OMP_NUM_THREADS"] = env


def encode(upstream, clips):
    """Run ``upstream`` on 1-D clips zero-padded into one batch (``UpstreamOutput``)."""
    lengths = torch.tensor([len(c) for c in clips])
    batch = torch.zeros(len(clips), int(lengths.max()))
    for i, clip in enumerate(clips):
        batch[i, :len(clip)] = clip
    with torch.inference_mode():
        return upstream(batch, lengths)


WHISPER_DIMS = dict(n_mels=80, n_audio_ctx=1500, n_audio_state=32, n_audio_head=2, n_audio_layer=2,
                    n_vocab=64, n_text_ctx=8, n_text_state=8, n_text_head=1, n_text_layer=1)

SSL_PARAMS = dict(extractor_conv_layer_config=[(32, 10, 5)] + [(32, 3, 2)] * 4 + [(32, 2, 2)] * 2,
                  encoder_embed_dim=32, encoder_pos_conv_kernel=16, encoder_pos_conv_groups=4,
                  encoder_num_layers=2, encoder_num_heads=2, encoder_ff_interm_features=64)
WAVLM_PARAMS = dict(encoder_num_buckets=16, encoder_max_distance=64)


def save_tiny_whisper(path: Path, seed: int = 0) -> Path:
    """An openai-whisper checkpoint file of a tiny random ``Whisper`` (encoder: 3 layers x 32 dims)."""
    from whisper.model import ModelDimensions, Whisper

    torch.manual_seed(seed)
    dims = ModelDimensions(**WHISPER_DIMS)
    torch.save({"dims": asdict(dims), "model_state_dict": Whisper(dims).state_dict()}, path)
    return path


def tiny_ssl_params(model: str) -> dict:
    """Builder overrides that shrink the bundle of upstream ``model`` (``"wavlm_base"``) to 32 dims, 2 layers."""
    from upstreams.torchaudio_ssl import BUNDLES
    import torchaudio.pipelines

    bundle = getattr(torchaudio.pipelines, BUNDLES[model])
    return {**SSL_PARAMS, **(WAVLM_PARAMS if bundle._model_type == "WavLM" else {})}


def tiny_ssl_model(model: str, seed: int = 0) -> torch.nn.Module:
    """The bundle's own builder with :func:`tiny_ssl_params`, randomly initialised."""
    import torchaudio.pipelines
    from torchaudio.models import wav2vec2_model, wavlm_model

    from upstreams.torchaudio_ssl import BUNDLES

    bundle = getattr(torchaudio.pipelines, BUNDLES[model])
    build = {"Wav2Vec2": wav2vec2_model, "WavLM": wavlm_model}[bundle._model_type]
    torch.manual_seed(seed)
    return build(**{**bundle._params, **tiny_ssl_params(model)})


def save_tiny_ssl(model: str, path: Path, seed: int = 0) -> Path:
    """``{"params", "state_dict"}`` of a tiny random model of the bundle's family."""
    torch.save({"params": tiny_ssl_params(model), "state_dict": tiny_ssl_model(model, seed).state_dict()}, path)
    return path


HF_TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
               conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
"""transformers config overrides that shrink a wav2vec 2.0-family model to 32 dims, 2 layers (real front end)."""


HF_TINY_BERT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                    output_hidden_size=32)
"""The same for w2v-BERT 2.0 (a fbank front end, no convolutions)."""


def save_tiny_hf(model_type: str, folder: Path, seed: int = 0, **overrides) -> Path:
    """A tiny random transformers ``model_type`` model (``wav2vec2``, ``hubert``, ``wavlm``, ``data2vec-audio``,
    ``wav2vec2-bert``) and its feature extractor, written with ``save_pretrained`` to ``folder``."""
    from transformers import AutoConfig, AutoModel, SeamlessM4TFeatureExtractor, Wav2Vec2FeatureExtractor

    from upstreams.hf import transformers_module

    transformers_module()  # quiet: no progress bars or warnings
    bert = model_type == "wav2vec2-bert"
    config = AutoConfig.for_model(model_type, **{**(HF_TINY_BERT if bert else HF_TINY), **overrides})
    torch.manual_seed(seed)
    AutoModel.from_config(config).save_pretrained(folder)
    layer_norm = getattr(config, "feat_extract_norm", "layer") == "layer"
    extractor = (SeamlessM4TFeatureExtractor() if bert
                 else Wav2Vec2FeatureExtractor(do_normalize=layer_norm, return_attention_mask=layer_norm))
    extractor.save_pretrained(folder)
    return folder


def openai_to_hf_whisper(checkpoint: dict, decoder_layers: int | None = None):
    """A transformers ``WhisperForConditionalGeneration`` holding the weights of an openai-whisper checkpoint.

    The renaming follows transformers' ``convert_openai_to_hf.py``; ``decoder_layers``
    other than the checkpoint's gives a model whose decoder differs (a "distilled" copy).
    """
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    from upstreams.hf import transformers_module

    transformers_module()
    dims = checkpoint["dims"]
    config = WhisperConfig(vocab_size=dims["n_vocab"], num_mel_bins=dims["n_mels"], d_model=dims["n_audio_state"],
                           encoder_layers=dims["n_audio_layer"], encoder_attention_heads=dims["n_audio_head"],
                           decoder_layers=decoder_layers or dims["n_text_layer"],
                           decoder_attention_heads=dims["n_text_head"], encoder_ffn_dim=4 * dims["n_audio_state"],
                           decoder_ffn_dim=4 * dims["n_text_state"], max_source_positions=dims["n_audio_ctx"],
                           max_target_positions=dims["n_text_ctx"], pad_token_id=0, bos_token_id=1,
                           eos_token_id=2, decoder_start_token_id=3, suppress_tokens=None, begin_suppress_tokens=None)
    model = WhisperForConditionalGeneration(config)
    renames = [("blocks", "layers"), ("mlp.0", "fc1"), ("mlp.2", "fc2"), ("mlp_ln", "final_layer_norm"),
               (".attn.query", ".self_attn.q_proj"), (".attn.key", ".self_attn.k_proj"),
               (".attn.value", ".self_attn.v_proj"), (".attn_ln", ".self_attn_layer_norm"),
               (".attn.out", ".self_attn.out_proj"), ("encoder.ln_post", "encoder.layer_norm"),
               ("encoder.positional_embedding", "encoder.embed_positions.weight")]
    encoder = {}
    for key, value in checkpoint["model_state_dict"].items():
        if key.startswith("encoder."):
            for old, new in renames:
                key = key.replace(old, new)
            encoder[key.removeprefix("encoder.")] = value
    model.model.encoder.load_state_dict(encoder)
    return model
