"""Downstream heads, found by name. Importing this package imports no torch."""

from benchmark.registry import Entry, Registry

HEADS = Registry("head", {
    "mean_pool_linear": Entry("downstreams.mean_pool_linear:MeanPoolLinear",
                              "Linear(D, hidden) -> mean pool over valid frames -> Linear(hidden, classes)"),
    "linear_ctc": Entry("downstreams.ctc_heads:LinearCTC",
                        "Linear(D, hidden) -> Linear(hidden, outputs) on each frame, for CTC (PR)"),
    "blstm_ctc": Entry("downstreams.ctc_heads:BLSTMCTC",
                       "Linear(D, project) -> BLSTM -> Linear(2 hidden, outputs) on each frame, for CTC (ASR)"),
    "lstm_diarization": Entry("downstreams.lstm_diarization:LSTMDiarization",
                              "LSTM(D, hidden) -> Linear(hidden, speakers) on each frame, for SD"),
    "xvector": Entry("downstreams.xvector:XVector",
                     "Linear(D, 512) -> 5 TDNN -> mean+std pooling -> Linear: speaker embeddings (ASV)"),
})
