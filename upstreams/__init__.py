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
