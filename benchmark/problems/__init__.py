"""Problem kinds (``problem:`` in tasks.yaml): how a task's head is trained and scored.

Each is a module with ``train_and_score(spec, splits, features, upstream, head_cls,
config, checkpoint, progress) -> Trained``. Importing this package imports no torch.
"""

from benchmark.registry import Entry, Registry

PROBLEMS = Registry("problem", {
    "utterance_classification": Entry("benchmark.problems.utterance_classification:train_and_score",
                                      "one label per utterance; accuracy"),
})
