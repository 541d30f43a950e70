"""Published SUPERB reference rows (test sets), copied into the package.

Sources: SUPERB paper (arXiv 2105.01051) table 1 and the WavLM paper
(arXiv 2110.13900); some cells confirmed on the public ``superb/*`` model
cards. Values are written here in display units (percentages, MTWV raw) and
converted to stored units (fractions) by :func:`published_frame`.

These rows are reference material: they are shown only on request, in their
own block, and never enter measured statistics (shading, best measured row).
They can serve as the SUPERB score reference (``score_reference="published"``).
"""

from __future__ import annotations

import pandas as pd

from .columns import COLUMNS

SOURCES = (
    "SUPERB paper, arXiv 2105.01051, table 1",
    "WavLM paper, arXiv 2110.13900",
)

#: Name of the published row that defines the SUPERB score's zero point.
FBANK_NAME = "FBANK"

# Display units: PR PER, KS Acc, IC Acc, SID Acc, ER Acc, ASR WER (%), QbE MTWV,
# SF F1, SF CER, ASV EER, SD DER (%). FBANK's SID accuracy is printed as the
# fraction 8.5e-4 in the paper (chance for 1,251 speakers), i.e. 0.085 %.
_PRINTED: tuple[tuple[str, tuple[float, ...]], ...] = (
    (FBANK_NAME, (82.01, 8.63, 9.10, 0.085, 35.39, 23.18, 0.0058, 69.64, 52.94, 9.56, 10.05)),
    ("wav2vec 2.0 Base", (5.74, 96.23, 92.35, 75.18, 63.43, 6.43, 0.0233, 88.30, 24.77, 6.02, 6.08)),
    ("HuBERT Base", (5.41, 96.30, 98.34, 81.42, 64.92, 6.42, 0.0736, 88.53, 25.20, 5.11, 5.88)),
    ("HuBERT Large", (3.53, 95.29, 98.76, 90.33, 67.62, 3.62, 0.0353, 89.81, 21.76, 5.98, 5.75)),
    ("WavLM Large", (3.06, 97.86, 99.31, 95.49, 70.62, 3.44, 0.0886, 92.21, 18.36, 3.77, 3.24)),
)


def published_frame() -> pd.DataFrame:
    """The published rows: model name x column key, in stored units (fractions, MTWV raw)."""
    frame = pd.DataFrame({name: values for name, values in _PRINTED}, index=[c.key for c in COLUMNS]).T
    return frame / pd.Series({c.key: c.scale for c in COLUMNS})
