"""Downstream heads, found by name. Importing this package imports no torch."""

from benchmark.registry import Entry, Registry

HEADS = Registry("head", {
    "mean_pool_linear": Entry("downstreams.mean_pool_linear:MeanPoolLinear",
                              "Linear(D, hidden) -> mean pool over valid frames -> Linear(hidden, classes)"),
})
