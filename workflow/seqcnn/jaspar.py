"""JASPAR motifs from the releases bundled with pyjaspar (no network at run time).

A motif is carried as counts ``(4, W)`` in ACGT order; :func:`counts_to_probs` divides each column by its
sum with no pseudocount, as Koo & Eddy did when building their synthetic data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError


@dataclass(frozen=True)
class JasparMotif:
    """One JASPAR profile.

    Attributes
    ----------
    matrix_id
        Versioned ID, e.g. ``MA0079.3``.
    name
        Transcription factor name, e.g. ``SP1``.
    counts
        ``(4, W)`` float64 count matrix, rows A, C, G, T.
    """

    matrix_id: str
    name: str
    counts: np.ndarray

    @property
    def probs(self) -> np.ndarray:
        """``(4, W)`` column-normalised probabilities."""
        return counts_to_probs(self.counts)


def counts_to_probs(counts: np.ndarray) -> np.ndarray:
    """Divide each column by its sum (no pseudocount; an all-zero column stays zero)."""
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=0, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def fetch_motifs(
    release: str = "JASPAR2016",
    collection: str = "CORE",
    tax_group: str = "vertebrates",
    all_versions: bool = False,
) -> list[JasparMotif]:
    """Fetch a JASPAR collection from pyjaspar's bundled database.

    Parameters
    ----------
    release
        pyjaspar release name, ``JASPAR2014`` ... ``JASPAR2026``.
    collection
        JASPAR collection, e.g. ``CORE``.
    tax_group
        Taxonomic group, e.g. ``vertebrates``.
    all_versions
        False gives the non-redundant set (latest version of each base ID).

    Returns
    -------
    list of JasparMotif
        In the database's order.
    """
    from pyjaspar import jaspar_releases, jaspardb

    # pyjaspar only prints a notice for an unknown release and returns an unusable handle.
    if release not in jaspar_releases:
        raise InputError(
            f"config key jaspar.release: unknown JASPAR release {release!r}; expected one of "
            f"{', '.join(sorted(jaspar_releases))}"
        )
    db = jaspardb(release=release)
    records = db.fetch_motifs(collection=collection, tax_group=[tax_group], all_versions=all_versions)
    if not records:
        raise InputError(
            f"config keys jaspar.collection/tax_group: no motifs for collection {collection!r}, "
            f"tax group {tax_group!r} in {release}"
        )
    return [
        JasparMotif(
            r.matrix_id,
            r.name,
            np.array([r.counts[b] for b in "ACGT"], dtype=np.float64),
        )
        for r in records
    ]


def select_motifs(motifs: list[JasparMotif], ids: list[str], source: str) -> list[JasparMotif]:
    """Pick motifs by versioned ID, in the order given.

    Raises
    ------
    InputError
        Naming ``source`` (a config key or file) and the IDs that are missing.
    """
    by_id = {m.matrix_id: m for m in motifs}
    missing = [i for i in ids if i not in by_id]
    if missing:
        examples = ", ".join(list(by_id)[:3])
        raise InputError(
            f"{source}: unknown JASPAR ID(s) {', '.join(missing)}; expected versioned IDs present "
            f"in the configured release (e.g. {examples})"
        )
    return [by_id[i] for i in ids]
