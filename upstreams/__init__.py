"""Upstreams (frozen encoders), found by name.

Importing this package imports no torch: entries are loaded when chosen.
:func:`build_upstream` is the one place that resolves a name, in this order:

* ``s3prl:<name>``: an upstream of s3prl's hub (:mod:`upstreams.s3prl_bridge`);
* ``hf:<model id or folder>``: a Hugging Face transformers encoder (:mod:`upstreams.hf`);
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

HF_TARGET = "upstreams.hf:hf_upstream"
"""What builds ``hf:<source>`` upstreams (its first parameter is the source)."""

PATTERNS = {
    "s3prl:<name>": "any upstream of s3prl's hub (pip install s3prl==0.4.18)",
    "hf:<id or folder>": "a Hugging Face transformers speech encoder, e.g. hf:openai/whisper-base "
                         "(pip install 'superb[hf]'; docs/upstreams.md)",
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
    if name.startswith("hf:") and name != "hf:":
        return partial(import_target(HF_TARGET), name.removeprefix("hf:"))
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


def check_request(name: str, options: dict) -> None:
    """Refuse an unknown upstream name or options it does not take, without importing torch or the upstream.

    Options are checked against the parameters the upstream's source declares (read
    with :mod:`ast`, not imported); where they cannot be read statically (a user's
    file, an entry point, ``**kwargs``), :func:`build_upstream` checks them on load.
    """
    from benchmark.errors import UserError
    from upstreams.user import entry_points, is_file_spec

    if name.startswith("hf:"):
        accepted = declared_parameters(HF_TARGET)[1:]  # after the source
        if unknown := sorted(set(options) - set(accepted)):
            raise UserError(_options_error(name, unknown, accepted))
        return
    if name.startswith("s3prl:") or is_file_spec(name):
        return
    if name not in UPSTREAMS.names() and name not in entry_points():
        resolve(name)  # raises the "unknown upstream ... did you mean" error
    if name in UPSTREAMS.names():
        accepted = declared_parameters(UPSTREAMS.entry(name).target)
        if accepted is not None and (unknown := sorted(set(options) - set(accepted))):
            raise UserError(_options_error(name, unknown, accepted))


def declared_parameters(target: str) -> list[str] | None:
    """The keyword parameters ``"module:Attribute"`` declares in its source, or ``None`` if not plain to see.

    A function's own parameters, or a class's ``__init__`` (following base classes
    defined in the same module); ``None`` when it takes ``**kwargs`` or the
    definition is elsewhere.
    """
    import ast
    import importlib.util

    module_name, _, attribute = target.partition(":")
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin:
        return None
    tree = ast.parse(open(spec.origin, encoding="utf-8").read())
    defs = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    node = defs.get(attribute)
    while isinstance(node, ast.ClassDef):
        init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        if init is not None:
            node = init
            break
        bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
        node = defs.get(bases[0]) if bases else None
    if not isinstance(node, ast.FunctionDef) or node.args.kwarg is not None:
        return None
    names = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
    return [n for n in names if n != "self"]


def _options_error(name: str, unknown: list[str], accepted: list[str]) -> str:
    from benchmark.registry import suggest

    hints = "".join(suggest(option, accepted) for option in unknown)
    return (f"upstream {name}: does not take option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}."
            f"{hints} It takes {', '.join(accepted) or 'no options'}")


def build_upstream(name: str, **options):
    """Instantiate the upstream called ``name`` with ``options`` (``size``, ``ckpt``, ...), in eval mode."""
    import inspect

    from benchmark.errors import UserError

    check_request(name, options)
    factory = resolve(name)
    import torch

    from upstreams.base import Upstream

    if not callable(factory):
        raise UserError(f"upstream {name}: {factory!r} is not a class (see docs/upstream-contract.md)")
    inherits_module_init = inspect.isclass(factory) and factory.__init__ is torch.nn.Module.__init__
    signature = inspect.Signature() if inherits_module_init else inspect.signature(factory)
    try:
        signature.bind(**options)
    except TypeError:
        accepted = [p for p, param in signature.parameters.items()
                    if param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)]
        raise UserError(_options_error(name, sorted(set(options) - set(accepted)) or sorted(options),
                                       accepted)) from None
    upstream = factory(**options)
    if not isinstance(upstream, Upstream):
        raise UserError(f"upstream {name}: built a {type(upstream).__name__}, not an upstreams.base.Upstream "
                        f"subclass (see docs/upstream-contract.md)")
    upstream.requested_as = name  # how the user named it, for hints (`superb check-upstream <name>`)
    return upstream.eval()
