"""Upstreams (frozen encoders), found by name.

Importing this package imports no torch: entries are loaded when chosen.
"""

from benchmark.registry import Entry, Registry

UPSTREAMS = Registry("upstream", {
    "fbank": Entry("upstreams.fbank:Fbank",
                   "Kaldi fbank+deltas, per-utterance CMVN (the SUPERB FBANK row; chance on pooled tasks)"),
    "fbank_no_cmvn": Entry("upstreams.fbank:FbankNoCmvn",
                           "Kaldi fbank+deltas without CMVN (the useful spectral baseline)"),
})


def build_upstream(name: str, **options):
    """Instantiate the upstream called ``name`` with ``options`` (e.g. a checkpoint path)."""
    from benchmark.errors import UserError

    cls = UPSTREAMS.load(name)
    try:
        return cls(**options)
    except TypeError as err:
        raise UserError(f"upstream {name}: does not take options {sorted(options)} ({err})") from None
