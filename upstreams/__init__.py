"""Upstreams (frozen encoders), found by name.

Importing this package imports no torch: entries are loaded when chosen.
:func:`build_upstream` is the one place that resolves a name, in this order:

* ``s3prl:<name>``: an upstream of s3prl's hub (:mod:`upstreams.s3prl_bridge`);
* ``path/to/file.py:ClassName``: a class in a Python file (:mod:`upstreams.user`);
* a name registered below;
* the name of an entry point in the group ``superb.upstreams`` (an installed package).
"""

from benchmark.registry import Entry, Registry

UPSTREAMS = Registry("upstream", {
    "fbank": Entry("upstreams.fbank:Fbank",
                   "Kaldi fbank+deltas, per-utterance CMVN (the SUPERB FBANK row; chance on pooled tasks)"),
    "fbank_no_cmvn": Entry("upstreams.fbank:FbankNoCmvn",
                           "Kaldi fbank+deltas without CMVN (the useful spectral baseline)"),
    "whisper_encoder": Entry("upstreams.whisper_encoder:WhisperEncoder",
                             "openai-whisper encoder, embedding + every block, 20 ms; --upstream-size tiny|base|"
                             "small|medium|large-v1|large-v2|large-v3 (or *.en; default base)"),
    "wav2vec2_base": Entry("upstreams.torchaudio_ssl:wav2vec2_base",
                           "wav2vec 2.0 Base, LibriSpeech 960 h (torchaudio WAV2VEC2_BASE), 13 layers x 768"),
    "wav2vec2_large": Entry("upstreams.torchaudio_ssl:wav2vec2_large",
                            "wav2vec 2.0 Large, LibriLight 60k h (torchaudio WAV2VEC2_LARGE_LV60K), 25 layers x 1024"),
    "hubert_base": Entry("upstreams.torchaudio_ssl:hubert_base",
                         "HuBERT Base, LibriSpeech 960 h (torchaudio HUBERT_BASE), 13 layers x 768"),
    "hubert_large": Entry("upstreams.torchaudio_ssl:hubert_large",
                          "HuBERT Large, LibriLight 60k h (torchaudio HUBERT_LARGE), 25 layers x 1024"),
    "wavlm_base": Entry("upstreams.torchaudio_ssl:wavlm_base",
                        "WavLM Base, LibriSpeech 960 h (torchaudio WAVLM_BASE), 13 layers x 768"),
    "wavlm_base_plus": Entry("upstreams.torchaudio_ssl:wavlm_base_plus",
                             "WavLM Base+, 94k h (torchaudio WAVLM_BASE_PLUS), 13 layers x 768"),
    "wavlm_large": Entry("upstreams.torchaudio_ssl:wavlm_large",
                         "WavLM Large, 94k h (torchaudio WAVLM_LARGE), 25 layers x 1024"),
})

PATTERNS = {
    "s3prl:<name>": "any upstream of s3prl's hub (pip install s3prl==0.4.18)",
    "FILE.py:Class": "your own upstream class in a Python file (docs/upstream-contract.md)",
}
"""Names that are not registered but resolved by form, for ``superb list``."""


def available() -> list[tuple[str, str]]:
    """``(name, summary)`` of every registered upstream, then of installed entry points (no imports)."""
    from upstreams.user import ENTRY_POINT_GROUP, entry_points

    listed = [(name, UPSTREAMS.summary(name)) for name in UPSTREAMS.names()]
    listed += [(name, f"entry point {ep.value} ({ENTRY_POINT_GROUP})")
               for name, ep in sorted(entry_points().items()) if name not in UPSTREAMS.names()]
    return listed + list(PATTERNS.items())


def resolve(name: str):
    """The class (or factory) that builds the upstream called ``name``."""
    from functools import partial

    from benchmark.errors import UserError
    from benchmark.registry import import_target, suggest
    from upstreams.user import entry_points, is_file_spec, load_entry_point, load_from_file

    if name.startswith("s3prl:"):
        return partial(import_target("upstreams.s3prl_bridge:S3prlUpstream"), name.removeprefix("s3prl:"))
    if is_file_spec(name):
        return load_from_file(name)
    if name in UPSTREAMS.names():
        return UPSTREAMS.load(name)
    installed = entry_points()
    if name in installed:
        return load_entry_point(installed[name])
    known = UPSTREAMS.names() + sorted(installed)
    raise UserError(f"unknown upstream {name!r}.{suggest(name, known)} Run `superb list` to see them all, "
                    f"or pass s3prl:<name> or path/to/file.py:ClassName")


def build_upstream(name: str, **options):
    """Instantiate the upstream called ``name`` with ``options`` (``size``, ``ckpt``, ...), in eval mode."""
    import inspect

    import torch

    from benchmark.errors import UserError
    from upstreams.base import Upstream

    factory = resolve(name)
    if not callable(factory):
        raise UserError(f"upstream {name}: {factory!r} is not a class (see docs/upstream-contract.md)")
    inherits_module_init = inspect.isclass(factory) and factory.__init__ is torch.nn.Module.__init__
    signature = inspect.Signature() if inherits_module_init else inspect.signature(factory)
    try:
        signature.bind(**options)
    except TypeError:
        accepted = [p for p, param in signature.parameters.items()
                    if param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)]
        raise UserError(f"upstream {name}: does not take options {sorted(options)}; it takes "
                        f"{', '.join(accepted) or 'none'}") from None
    upstream = factory(**options)
    if not isinstance(upstream, Upstream):
        raise UserError(f"upstream {name}: built a {type(upstream).__name__}, not an upstreams.base.Upstream "
                        f"subclass (see docs/upstream-contract.md)")
    return upstream.eval()
