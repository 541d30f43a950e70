"""Synthetic corpora spoken by eSpeak NG, each written in a real corpus's layout.

:mod:`.espeak` drives the synthesiser, :mod:`.synthesis` holds what the generators
share (speakers, rendering in fresh processes, the generate-once marker), and each
other module writes one corpus layout (``ensure_synthetic_<corpus>(progress) -> Path``).
"""
