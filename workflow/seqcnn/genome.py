"""Reference genome, chromosome names, blacklists and BED intervals.

Every label-building step starts from a reference FASTA and assay files that must agree with it. This module
fetches a genome (http(s), ftp, ``file://`` or a local path; gzipped or plain, detected by magic bytes),
verifies its checksum, keeps the chromosomes a regex selects, renames them through an alias table and writes
a plain FASTA with its ``.fai`` and ``.chrom.sizes``, all atomically: a failed fetch leaves nothing behind.
It also reads BED files and blacklists with errors that name the file, line and field, and reconciles
chromosome names between the genome and peak or signal files (``chr1`` vs ``1``), failing early with a
message that shows both sides and the alias that would fix it.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import logging
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np
import pandas as pd

from .errors import InputError
from .io import atomic_path
from .sequence import encode

log = logging.getLogger("seqcnn.genome")

GZIP_MAGIC = b"\x1f\x8b"
BIGWIG_MAGIC = (0x888FFC26).to_bytes(4, "little")
FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fas")
BED_EXTRA_COLUMNS = (
    "name",
    "score",
    "strand",
    "thickStart",
    "thickEnd",
    "itemRgb",
    "blockCount",
    "blockSizes",
    "blockStarts",
)
_CHUNK = 1 << 20
_DIGEST_LENGTHS = {"sha256": 64, "md5": 32}
_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))
_N_EXAMPLES = 5
#: narrowPeak columns after chrom, start, end.
NARROWPEAK_COLUMNS = ("name", "score", "strand", "signalValue", "pValue", "qValue", "peak")


# ----------------------------------------------------------------------------------------------------
# Download and FASTA rewriting
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenomeFiles:
    """What :func:`fetch_genome` wrote.

    Attributes
    ----------
    fasta, fai, chrom_sizes
        Paths of the plain FASTA, its samtools-style index and the two-column sizes file.
    sizes
        Kept chromosome -> length in bp, in FASTA order.
    dropped
        Source names of the sequences the regex (or an empty sequence) left out, in source order.
    """

    fasta: Path
    fai: Path
    chrom_sizes: Path
    sizes: dict[str, int]
    dropped: list[str] = field(default_factory=list)


def chrom_sizes_path(fasta: str | os.PathLike) -> Path:
    """Return the sizes path written beside ``fasta`` (``genome.fa`` -> ``genome.chrom.sizes``)."""
    fasta = Path(fasta)
    name = fasta.name
    for suffix in FASTA_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return fasta.with_name(f"{name}.chrom.sizes")


def fetch_genome(
    source: str | os.PathLike,
    out_fasta: str | os.PathLike,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    chrom_regex: str | None = None,
    aliases: Mapping[str, str] | None = None,
    keep_lowercase: bool = True,
    line_width: int = 60,
    timeout: float = 60.0,
) -> GenomeFiles:
    """Fetch a reference FASTA, verify it, select and rename chromosomes, and index it.

    Parameters
    ----------
    source
        ``http://``, ``https://``, ``ftp://`` or ``file://`` URL, or a local path. The file may be gzipped
        (BGZF included); compression is detected from its first bytes, not its name.
    out_fasta
        Plain (uncompressed) FASTA to write. ``out_fasta + ".fai"`` and :func:`chrom_sizes_path` are written
        beside it.
    sha256, md5
        Expected hex digest of the file *as served* (the compressed bytes for a ``.gz``, which is what UCSC
        and Ensembl publish). Every digest given is checked.
    chrom_regex
        Keep only sequences whose name full-matches this regex. The name after aliasing is tried first, then
        the source name, so ``chr[0-9XY]+`` works with ``aliases={"1": "chr1"}`` and ``[0-9]+|X|Y`` works
        without. ``None`` keeps everything.
    aliases
        Source name -> output name (e.g. ``{"1": "chr1", "MT": "chrM"}``). Names not listed are kept as is.
    keep_lowercase
        Keep soft-masked (lowercase) bases; ``False`` writes everything in upper case.
    line_width
        Bases per FASTA line in the output (the source may have irregular lines; the ``.fai`` needs regular).
    timeout
        Seconds to wait on the network before giving up.

    Returns
    -------
    GenomeFiles
        Paths written, kept chromosome sizes and dropped names.

    Raises
    ------
    InputError
        Unreachable source or HTTP error, truncated download or gzip, checksum mismatch, a file that is not
        FASTA, duplicate names after aliasing, or a regex that keeps nothing. Nothing is written then; outputs
        from an earlier successful run are left untouched.
    """
    out_fasta = Path(out_fasta)
    out_fasta.parent.mkdir(parents=True, exist_ok=True)
    fai_path = Path(f"{out_fasta}.fai")
    sizes_path = chrom_sizes_path(out_fasta)
    expected = _expected_digests(sha256=sha256, md5=md5)
    pattern = _compile_regex(chrom_regex)
    aliases = dict(aliases or {})
    if line_width < 1:
        raise InputError(f"genome line width must be a positive integer, found {line_width}")

    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        local = _local_path(source)
        if local is not None:
            raw = local
            digests = _hash_file(raw, expected)
            log.info("genome source %s: %s bytes on disk", source, f"{raw.stat().st_size:,}")
        else:
            raw = stack.enter_context(_temp_file(out_fasta.parent, f".{out_fasta.name}.", ".download.tmp"))
            digests = _download(str(source), raw, expected, timeout)
        _verify_digests(source, expected, digests)

        # The ExitStack unwinds in reverse: the FASTA is moved into place first, then its .fai (so the index
        # is never older than the FASTA), then the sizes. Any error before that removes all three temp files.
        tmp_sizes = stack.enter_context(atomic_path(sizes_path))
        tmp_fai = stack.enter_context(atomic_path(fai_path))
        tmp_fasta = stack.enter_context(atomic_path(out_fasta))
        parse_start = time.perf_counter()
        sizes, dropped, n_count = _rewrite_fasta(
            raw, tmp_fasta, source=source, pattern=pattern, aliases=aliases,
            keep_lowercase=keep_lowercase, line_width=line_width,
        )  # fmt: skip
        log.info(
            "wrote %d sequences (%s bp, %.1f%% N) in %.1f s",
            len(sizes),
            f"{sum(sizes.values()):,}",
            100.0 * n_count / max(sum(sizes.values()), 1),
            time.perf_counter() - parse_start,
        )
        _index_fasta(tmp_fasta, tmp_fai, sizes)
        tmp_sizes.write_text("".join(f"{name}\t{length}\n" for name, length in sizes.items()))
    log.info("genome ready at %s (%.1f s in all)", out_fasta, time.perf_counter() - start)
    return GenomeFiles(fasta=out_fasta, fai=fai_path, chrom_sizes=sizes_path, sizes=sizes, dropped=dropped)


def _compile_regex(chrom_regex: str | None) -> re.Pattern | None:
    if chrom_regex is None:
        return None
    try:
        return re.compile(chrom_regex)
    except re.error as exc:
        raise InputError(
            f"genome chromosome regex {chrom_regex!r} is not a valid regular expression: {exc}"
        ) from None


def _expected_digests(**given: str | None) -> dict[str, str]:
    expected = {}
    for algo, value in given.items():
        if value is None:
            continue
        digest = str(value).strip().lower()
        n = _DIGEST_LENGTHS[algo]
        if len(digest) != n or any(c not in "0123456789abcdef" for c in digest):
            raise InputError(f"genome {algo} must be {n} hexadecimal digits, found {value!r}")
        expected[algo] = digest
    return expected


def _new_hashers(expected: Mapping[str, str]) -> dict[str, hashlib._Hash]:
    return {algo: hashlib.new(algo, usedforsecurity=False) for algo in expected}


def _verify_digests(source, expected: Mapping[str, str], actual: Mapping[str, str]) -> None:
    for algo, want in expected.items():
        if actual[algo] != want:
            raise InputError(
                f"genome {source}: {algo} checksum mismatch: expected {want}, found {actual[algo]}; "
                "the download is corrupt or the configured checksum belongs to another file"
            )
        log.info("genome %s: %s checksum OK (%s)", source, algo, want)


def _local_path(source: str | os.PathLike) -> Path | None:
    """Return a Path for a local source, or None for a URL that needs fetching."""
    if isinstance(source, os.PathLike):
        path = Path(source)
    else:
        scheme = urllib.parse.urlsplit(str(source)).scheme.lower()
        if scheme in ("http", "https", "ftp", "file"):
            return None
        if scheme and len(scheme) > 1:
            raise InputError(
                f"genome source {source!r}: unsupported URL scheme {scheme!r}; expected http(s)://, ftp://, "
                "file:// or a local path"
            )
        path = Path(source)
    if not path.is_file():
        raise InputError(
            f"genome source {source}: file not found; expected a FASTA (plain or gzipped) or a URL"
        )
    return path


@contextlib.contextmanager
def _temp_file(directory: Path, prefix: str, suffix: str) -> Iterator[Path]:
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _hash_file(path: Path, expected: Mapping[str, str]) -> dict[str, str]:
    hashers = _new_hashers(expected)
    if hashers:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                for h in hashers.values():
                    h.update(chunk)
    return {algo: h.hexdigest() for algo, h in hashers.items()}


def _download(url: str, dest: Path, expected: Mapping[str, str], timeout: float) -> dict[str, str]:
    """Stream ``url`` into ``dest``, hashing on the way; return the hex digests."""
    hashers = _new_hashers(expected)
    start = time.perf_counter()
    n_bytes = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as out:
            total = response.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            log.info("downloading %s (%s bytes)", url, f"{total:,}" if total is not None else "unknown size")
            step = max(total // 10, _CHUNK) if total else 256 * _CHUNK
            next_report = step
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                for h in hashers.values():
                    h.update(chunk)
                n_bytes += len(chunk)
                if n_bytes >= next_report:
                    log.info("  %s bytes%s", f"{n_bytes:,}", f" of {total:,}" if total else "")
                    next_report += step
    except urllib.error.HTTPError as exc:
        raise InputError(
            f"genome {url}: HTTP error {exc.code} {exc.reason}; expected the FASTA file (check the URL)"
        ) from None
    except urllib.error.URLError as exc:
        raise InputError(f"genome {url}: cannot open the source: {exc.reason}") from None
    except http.client.IncompleteRead as exc:
        got = n_bytes + len(exc.partial)
        raise InputError(
            f"genome {url}: download truncated: expected {got + (exc.expected or 0):,} bytes, "
            f"received {got:,}"
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise InputError(f"genome {url}: download failed after {n_bytes:,} bytes: {exc}") from None
    if total is not None and n_bytes != total:
        raise InputError(f"genome {url}: download truncated: expected {total:,} bytes, received {n_bytes:,}")
    seconds = time.perf_counter() - start
    log.info(
        "downloaded %s bytes in %.1f s (%.1f MB/s)",
        f"{n_bytes:,}",
        seconds,
        n_bytes / 1e6 / max(seconds, 1e-9),
    )
    return {algo: h.hexdigest() for algo, h in hashers.items()}


def _open_maybe_gzip(path: Path) -> IO[bytes]:
    with open(path, "rb") as handle:
        magic = handle.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rb")
    return open(path, "rb")


class _FastaWriter:
    """Write one record at a time, re-wrapping sequence to a fixed line width."""

    def __init__(self, handle: IO[bytes], width: int, upper: bool) -> None:
        self.handle = handle
        self.width = width
        self.upper = upper
        self.buf = bytearray()
        self.length = 0
        self.n_count = 0

    def start(self, name: str) -> None:
        self.handle.write(b">" + name.encode() + b"\n")
        self.length = 0

    def add(self, seq: bytes) -> None:
        self.buf += seq
        if len(self.buf) >= _CHUNK:
            self._flush(final=False)

    def end(self) -> int:
        self._flush(final=True)
        return self.length

    def _flush(self, final: bool) -> None:
        w = self.width
        n = len(self.buf) if final else len(self.buf) // w * w
        if n == 0:
            return
        block = bytes(self.buf[:n])
        del self.buf[:n]
        if self.upper:
            block = block.upper()
        self.n_count += block.count(b"N") + block.count(b"n")
        self.length += n
        self.handle.write(b"\n".join(block[i : i + w] for i in range(0, n, w)) + b"\n")


def _rewrite_fasta(
    raw: Path,
    dest: Path,
    *,
    source,
    pattern: re.Pattern | None,
    aliases: Mapping[str, str],
    keep_lowercase: bool,
    line_width: int,
) -> tuple[dict[str, int], list[str], int]:
    """Copy the selected, renamed records of ``raw`` into ``dest``; return sizes, dropped names, N count."""
    sizes: dict[str, int] = {}
    seen_from: dict[str, str] = {}
    all_names: list[str] = []
    dropped: list[str] = []
    dropped_bp = 0
    keep = False
    current = None  # output name of the record being written
    lineno = 0

    def finish() -> None:
        nonlocal current
        if current is None:
            return
        length = writer.end()
        if length == 0:
            # An empty record breaks .fai consumers and holds nothing to train on.
            log.warning("genome %s: sequence %r is empty; dropped", source, seen_from[current])
            dropped.append(seen_from[current])
        else:
            sizes[current] = length
        current = None

    try:
        with _open_maybe_gzip(raw) as handle, open(dest, "wb") as out:
            writer = _FastaWriter(out, line_width, upper=not keep_lowercase)
            for line in handle:
                lineno += 1
                line = line.rstrip()
                if not line or line.startswith(b";"):
                    continue
                if line.startswith(b">"):
                    finish()
                    fields = line[1:].split()
                    if not fields:
                        raise InputError(f"genome {source}, line {lineno}: FASTA header without a name")
                    src_name = fields[0].decode("utf-8", errors="replace")
                    all_names.append(src_name)
                    name = aliases.get(src_name, src_name)
                    keep = pattern is None or bool(pattern.fullmatch(name) or pattern.fullmatch(src_name))
                    if not keep:
                        dropped.append(src_name)
                        continue
                    if name in seen_from:
                        raise InputError(
                            f"genome {source}, line {lineno}: sequence {src_name!r} becomes {name!r}, a name "
                            f"already taken by {seen_from[name]!r}; expected unique names after aliasing"
                        )
                    seen_from[name] = src_name
                    current = name
                    writer.start(name)
                    continue
                if not all_names:
                    raise InputError(
                        f"genome {source}: not a FASTA file; expected a '>' header on the first line, found "
                        f"{line[:40].decode('utf-8', errors='replace')!r}"
                    )
                if not keep:
                    dropped_bp += len(line)
                    continue
                bad = line.translate(None, _LETTERS)
                if bad:
                    raise InputError(
                        f"genome {source}, line {lineno}: unexpected character {chr(bad[0])!r} in the "
                        f"sequence of {seen_from[current]!r}; expected letters only"
                    )
                writer.add(line)
            finish()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(
            f"genome {source}: the gzip stream is truncated or corrupt after line {lineno:,} ({exc}); "
            "expected a complete gzip file"
        ) from None

    if not all_names:
        raise InputError(f"genome {source}: no FASTA records found; expected at least one '>' header")
    if not sizes:
        if pattern is not None:
            raise InputError(
                f"genome {source}: chromosome regex {pattern.pattern!r} matches none of the "
                f"{len(all_names)} sequences; available names: {_examples(all_names, 20)}"
            )
        raise InputError(f"genome {source}: every sequence is empty")
    if dropped:
        log.info(
            "kept %d sequences, dropped %d (%s bp): %s",
            len(sizes),
            len(dropped),
            f"{dropped_bp:,}",
            _examples(dropped, 10),
        )
    else:
        log.info("kept all %d sequences", len(sizes))
    return sizes, dropped, writer.n_count


def _index_fasta(fasta: Path, fai: Path, sizes: Mapping[str, int]) -> None:
    """Build the ``.fai`` with pyfaidx and check it agrees with the lengths counted while writing."""
    import pyfaidx

    index = pyfaidx.Faidx(str(fasta), indexname=str(fai))
    try:
        indexed = {name: rec.rlen for name, rec in index.index.items()}
    finally:
        index.close()
    if indexed != dict(sizes):
        raise RuntimeError(f"pyfaidx index of {fasta} disagrees with the written lengths")


def load_genome_codes(fasta: str | os.PathLike, chroms: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Read chromosomes of a FASTA as base codes (A=0, C=1, G=2, T=3, anything else 4; case-insensitive).

    Parameters
    ----------
    fasta
        Reference FASTA, indexed with pyfaidx (a missing ``.fai`` is created).
    chroms
        Chromosomes to read, in the order wanted; ``None`` reads every sequence in FASTA order.

    Returns
    -------
    dict[str, numpy.ndarray]
        Chromosome -> ``(length,)`` uint8 codes, the encoding of :func:`seqcnn.sequence.encode`.

    Raises
    ------
    InputError
        Missing FASTA, one pyfaidx cannot read or index, or a requested chromosome the FASTA lacks.
    """
    import pyfaidx

    fasta = Path(fasta)
    if not fasta.is_file():
        raise InputError(f"{fasta}: genome FASTA not found")
    try:
        fa = pyfaidx.Fasta(str(fasta), as_raw=True, sequence_always_upper=False)
    except (OSError, ValueError, pyfaidx.FastaIndexingError) as exc:
        raise InputError(f"{fasta}: cannot read or index the genome FASTA ({exc})") from None
    with fa:
        names = list(fa.keys()) if chroms is None else list(dict.fromkeys(chroms))
        missing = [name for name in names if name not in fa]
        if missing:
            raise InputError(
                f"{fasta}: chromosome {missing[0]!r} is not in the FASTA"
                + (f" ({len(missing)} such chromosomes)" if len(missing) > 1 else "")
                + f"; it has {_examples(fa.keys())}; expected the FASTA the chrom sizes were made from"
            )
        return {name: encode(fa[name][:]) for name in names}


# ----------------------------------------------------------------------------------------------------
# Chromosome names
# ----------------------------------------------------------------------------------------------------


class ChromMatch(NamedTuple):
    """Result of :func:`match_chrom_names`.

    Attributes
    ----------
    mapping
        File name -> genome name for every name that was found (directly or through an alias).
    missing
        File names with no genome counterpart, naturally sorted; the caller counts, logs and drops them.
    """

    mapping: dict[str, str]
    missing: list[str]


def natural_key(name: str) -> tuple:
    """Sort key that puts ``chr2`` before ``chr10``."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name))


def _examples(names: Iterable[str], n: int = _N_EXAMPLES) -> str:
    names = list(names)
    shown = ", ".join(repr(x) for x in names[:n])
    return shown + (f", ... ({len(names)} in all)" if len(names) > n else "")


def read_chrom_sizes(path: str | os.PathLike) -> dict[str, int]:
    """Read a two-column ``name<TAB>length`` file (UCSC ``chrom.sizes`` or the first columns of a ``.fai``).

    Parameters
    ----------
    path
        The sizes file. Extra columns (as in a ``.fai``) are ignored; ``#`` lines and blank lines skipped.

    Returns
    -------
    dict[str, int]
        Chromosome -> length in bp, in file order.

    Raises
    ------
    InputError
        Missing or empty file, a line with fewer than two fields, a length that is not a positive integer,
        or a name listed twice (each with file:line).
    """
    path = Path(path)
    sizes: dict[str, int] = {}
    first_line: dict[str, int] = {}
    for lineno, fields in _data_lines(path):
        if len(fields) < 2:
            raise InputError(f"{path}:{lineno}: expected 2 fields (chromosome, length), found {len(fields)}")
        name, length = fields[0], fields[1]
        if not _is_uint(length) or int(length) == 0:
            raise InputError(
                f"{path}:{lineno}: field 2 (length) must be a positive integer, found {length!r}"
            )
        if name in sizes:
            raise InputError(
                f"{path}:{lineno}: chromosome {name!r} is listed twice (first on line {first_line[name]})"
            )
        sizes[name] = int(length)
        first_line[name] = lineno
    if not sizes:
        raise InputError(f"{path}: no chromosomes; expected lines of 'name<TAB>length'")
    return sizes


def suggest_chr_aliases(names: Iterable[str], genome_names: Iterable[str]) -> dict[str, str]:
    """Suggest aliases for names that differ from the genome's only by a ``chr`` prefix.

    Works both ways (``1`` -> ``chr1`` and ``chr1`` -> ``1``) and knows the mitochondrion's two spellings
    (``MT`` <-> ``chrM``).

    Parameters
    ----------
    names
        Names found in a file.
    genome_names
        The genome's names.

    Returns
    -------
    dict[str, str]
        File name -> genome name, only for names absent from the genome that have an obvious counterpart.
    """
    genome = set(genome_names)
    out: dict[str, str] = {}
    for name in names:
        if name in genome:
            continue
        if name.lower().startswith("chr"):
            base = name[3:]
            candidates = [base]
            if base.upper() in ("M", "MT"):
                candidates += ["MT", "M"]
        else:
            candidates = [f"chr{name}"]
            if name.upper() in ("M", "MT"):
                candidates += ["chrM", "chrMT"]
        for cand in candidates:
            if cand in genome:
                out[name] = cand
                break
    return out


def match_chrom_names(
    names: Iterable[str],
    genome_names: Iterable[str],
    *,
    aliases: Mapping[str, str] | None = None,
    source: str | os.PathLike = "input",
    what: str = "the file",
    alias_key: str = "genome.aliases",
) -> ChromMatch:
    """Map chromosome names found in a BED, narrowPeak or bigWig file onto the genome's names.

    A name is looked up as is, then through ``aliases`` (file name -> genome name), then through the
    inverse of ``aliases``, so one table such as ``{"1": "chr1"}`` serves files named either way.

    Parameters
    ----------
    names
        Chromosome names found in the file.
    genome_names
        The genome's names (e.g. the keys of :func:`read_chrom_sizes`).
    aliases
        The alias table from the config.
    source
        The file the names came from, for messages.
    what
        What the file holds, for messages (``"the peaks"``, ``"the bigWig"``).
    alias_key
        The config key to point the user at.

    Returns
    -------
    ChromMatch
        Mapping of the names found and the list of names missing from the genome.

    Raises
    ------
    InputError
        No name matches at all (the message shows examples from both sides and the alias to set), or the
        file has no names.
    """
    names = sorted(set(names), key=natural_key)
    genome_list = list(dict.fromkeys(genome_names))
    genome = set(genome_list)
    aliases = dict(aliases or {})
    inverse: dict[str, list[str]] = {}
    for key, value in aliases.items():
        inverse.setdefault(value, []).append(key)
    if not names:
        raise InputError(f"{source}: no chromosome names found in {what}")

    mapping: dict[str, str] = {}
    missing: list[str] = []
    for name in names:
        candidates = [name, aliases.get(name), *inverse.get(name, [])]
        hit = next((c for c in candidates if c is not None and c in genome), None)
        if hit is None:
            missing.append(name)
        else:
            mapping[name] = hit

    if not mapping:
        suggestion = suggest_chr_aliases(names, genome)
        if suggestion:
            shown = dict(list(suggestion.items())[:3])
            more = ", ..." if len(suggestion) > 3 else ""
            hint = (
                f"the names differ by a 'chr' prefix: set {alias_key} (e.g. {str(shown)[:-1]}{more}}}) "
                "or use a `chr`-prefix alias"
            )
        else:
            hint = f"set {alias_key} to map them, or check that both files use the same assembly"
        raise InputError(
            f"{source}: none of the {len(names)} chromosome names in {what} is in the genome; "
            f"names in {what}: {_examples(names)}; names in the genome: {_examples(genome_list)}; {hint}"
        )
    if missing:
        log.warning(
            "%s: %d of %d chromosome names in %s are not in the genome: %s",
            source,
            len(missing),
            len(names),
            what,
            _examples(missing),
        )
    return ChromMatch(mapping=mapping, missing=missing)


def resolve_splits(
    chrom_sizes: Mapping[str, int] | Iterable[str],
    splits: Mapping[str, Iterable[str] | str] | None,
    *,
    aliases: Mapping[str, str] | None = None,
    names: Sequence[str] | None = None,
    source: str = "splits",
) -> dict[str, str]:
    """Assign every genome chromosome to a split; ``train`` holds the chromosomes no split names.

    Parameters
    ----------
    chrom_sizes
        The genome's chromosome sizes (or just its names), in genome order.
    splits
        Split name -> chromosomes held out in it (e.g. ``{"valid": ["chr2"], "test": ["chr3"]}``); a single
        name may be given as a string. Names may go through ``aliases``.
    aliases
        Alias table (config name -> genome name, used in both directions).
    names
        Split names the caller can write (e.g. ``("valid", "test")``); ``None`` accepts any but ``train``.
    source
        Config key of ``splits``, for messages.

    Returns
    -------
    dict[str, str]
        Genome chromosome -> split, in genome order.

    Raises
    ------
    InputError
        Splits that are not a mapping, a split named ``train`` or not in ``names``, a chromosome absent from
        the genome, or a chromosome in two splits; each names the config key.
    """
    genome = list(chrom_sizes)
    known = set(genome)
    aliases = dict(aliases or {})
    inverse = {v: k for k, v in aliases.items()}
    if splits is not None and not isinstance(splits, Mapping):
        raise InputError(
            f"config key {source}: expected a mapping of split name -> chromosomes (e.g. "
            f"{{valid: [chr2], test: [chr3]}}), got {splits!r}"
        )
    assignment = dict.fromkeys(genome, "train")
    owner: dict[str, str] = {}
    for split, chroms in (splits or {}).items():
        if split == "train":
            raise InputError(
                f"config key {source}.train: train is every chromosome no other split names; "
                "list only held-out splits (e.g. valid, test)"
            )
        if names is not None and split not in names:
            raise InputError(
                f"config key {source}.{split}: unknown split {split!r}; expected one of {', '.join(names)}"
            )
        if isinstance(chroms, str):
            chroms = [chroms]
        for name in chroms or ():
            chrom = next((c for c in (name, aliases.get(name), inverse.get(name)) if c in known), None)
            if chrom is None:
                raise InputError(
                    f"config key {source}.{split}: chromosome {name!r} is not in the genome "
                    f"(genome chromosomes: {_examples(genome)}); expected names as in the FASTA"
                )
            if chrom in owner and owner[chrom] != split:
                raise InputError(
                    f"config key {source}: chromosome {name!r} is in both {owner[chrom]!r} and {split!r}; "
                    "splits must be disjoint"
                )
            owner[chrom] = split
            assignment[chrom] = split
    return assignment


def file_chrom_names(path: str | os.PathLike) -> set[str]:
    """Chromosome names used in a BED-like file (plain or gzipped) or a bigWig (detected by magic bytes).

    Parameters
    ----------
    path
        BED, narrowPeak, bedGraph or bigWig file.

    Returns
    -------
    set[str]
        Names in the first column, or the bigWig's chromosome list.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic == BIGWIG_MAGIC:
        import pyBigWig

        bw = pyBigWig.open(str(path))
        try:
            return set(bw.chroms())
        finally:
            bw.close()
    return {fields[0] for _, fields in _data_lines(path)}


# ----------------------------------------------------------------------------------------------------
# BED files
# ----------------------------------------------------------------------------------------------------


def _is_uint(text: str) -> bool:
    # int() also takes "+5", " 5" and "1_000"; a coordinate must be plain ASCII digits.
    return text.isascii() and text.isdigit()


def _open_text(path: Path) -> IO[str]:
    with open(path, "rb") as handle:
        magic = handle.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _is_header(line: str) -> bool:
    return line.startswith("#") or re.match(r"(track|browser)(\s|$)", line) is not None


def _data_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, fields)`` for the data lines of a BED-like file."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        with _open_text(path) as handle:
            for lineno, line in enumerate(handle, start=1):
                line = line.rstrip("\r\n")
                if not line.strip() or _is_header(line):
                    continue
                yield lineno, (line.split("\t") if "\t" in line else line.split())
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"{path}: gzip stream is truncated or corrupt ({exc})") from None


def read_bed(
    path: str | os.PathLike,
    min_fields: int = 3,
    *,
    allow_empty: bool = False,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a BED-like file (BED3-12, narrowPeak, bedGraph), plain or gzipped, checking every line.

    Lines starting with ``#``, ``track`` or ``browser`` and blank lines are skipped. Fields are split on tabs
    (or on whitespace when a line has no tab).

    Parameters
    ----------
    path
        The file.
    min_fields
        Fewest fields a line may have (at least 3).
    allow_empty
        Return an empty table instead of raising when the file holds no intervals.
    columns
        Names for the fields after the third (default: the BED12 names, then ``field13``, ...).

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom`` (str), ``start``, ``end`` (int64, 0-based half-open), the extra fields as strings
        (missing ones are None), and ``line`` (1-based line number, for messages about later checks).

    Raises
    ------
    InputError
        Missing file; no intervals (unless ``allow_empty``); a line with too few fields; a start or end that
        is not a non-negative integer; start greater than end. Each names ``file:line`` and the field.
    """
    path = Path(path)
    min_fields = max(int(min_fields), 3)
    chroms: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    extras: list[list[str]] = []
    lines: list[int] = []
    n_extra = 0
    for lineno, fields in _data_lines(path):
        where = f"{path}:{lineno}"
        if len(fields) < min_fields:
            raise InputError(
                f"{where}: expected at least {min_fields} tab-separated fields (chrom, start, end"
                f"{', ...' if min_fields > 3 else ''}), found {len(fields)}"
            )
        chrom, start, end = fields[0], fields[1], fields[2]
        if not chrom:
            raise InputError(f"{where}: field 1 (chrom) is empty")
        for index, label, value in ((2, "start", start), (3, "end", end)):
            if not _is_uint(value):
                if value.startswith("-") and _is_uint(value[1:]):
                    raise InputError(f"{where}: field {index} ({label}) is negative ({value}); expected >= 0")
                raise InputError(
                    f"{where}: field {index} ({label}) must be a non-negative integer, found {value!r}"
                )
        s, e = int(start), int(end)
        if s > e:
            raise InputError(f"{where}: start {s} is greater than end {e}; expected start <= end")
        chroms.append(chrom)
        starts.append(s)
        ends.append(e)
        extras.append(fields[3:])
        lines.append(lineno)
        n_extra = max(n_extra, len(fields) - 3)
    if not chroms and not allow_empty:
        raise InputError(
            f"{path}: no intervals (the file is empty or holds only comment, track or browser lines); "
            "expected at least one BED line"
        )
    names = list(columns) if columns is not None else list(BED_EXTRA_COLUMNS)
    names += [f"field{i}" for i in range(len(names) + 4, n_extra + 4)]
    frame = pd.DataFrame(
        {
            "chrom": pd.Series(chroms, dtype=object),
            "start": np.asarray(starts, dtype=np.int64),
            "end": np.asarray(ends, dtype=np.int64),
        }
    )
    for j in range(n_extra):
        frame[names[j]] = pd.Series([row[j] if j < len(row) else None for row in extras], dtype=object)
    frame["line"] = np.asarray(lines, dtype=np.int64)
    return frame


def read_narrowpeak(
    path: str | os.PathLike,
    chrom_sizes: Mapping[str, int],
    *,
    aliases: Mapping[str, str] | None = None,
    context: str = "",
    alias_key: str = "genome.aliases",
) -> tuple[pd.DataFrame, int]:
    """Read a narrowPeak (or BED3+) file under the genome's chromosome names, with summits and scores.

    Parameters
    ----------
    path
        narrowPeak file (plain or gzipped). Field 10 is the summit offset from the start (``-1``: unknown);
        without it the summit is the peak midpoint ``(start + end) // 2``, as in Basset.
    chrom_sizes
        The genome's chromosome lengths.
    aliases
        Alias table (file name -> genome name), see :func:`match_chrom_names`.
    context
        What the file is (e.g. ``"experiment 'CTCF'"``), put in front of every message about a line.
    alias_key
        The config key of the alias table, for the message when no name matches.

    Returns
    -------
    tuple
        ``(peaks, n_dropped)``: a table with ``chrom`` (genome names), ``start``, ``end``, ``summit``
        (absolute, int64), ``signal`` (field 7, NaN when absent), ``log10q`` (field 9, NaN when absent or
        -1) and ``line`` (1-based); and the number of peaks dropped because their chromosome is not in the
        genome (the names are logged as a warning).

    Raises
    ------
    InputError
        Missing or empty file; a malformed line (file:line and field): fewer fields than the other lines,
        a non-numeric signal or q-value, a summit offset that is not an integer or lies outside its peak;
        chromosome names of which none is in the genome (with examples from both sides and the alias hint).
    """
    path = Path(path)
    label = f"{context}: " if context else ""
    peaks = read_bed(path, allow_empty=True, columns=NARROWPEAK_COLUMNS)
    if peaks.empty:
        raise InputError(
            f"{path}: {label}the peak file is empty (no peak lines); expected narrowPeak lines "
            "(chrom, start, end, ..., summit offset)"
        )
    if "peak" in peaks.columns:
        short = peaks["peak"].isna().to_numpy()
        if short.any():
            row = peaks.loc[short].iloc[0]
            n_fields = 3 + int(row.iloc[3:-1].notna().sum())
            raise InputError(
                f"{path}:{row['line']}: {label}expected 10 tab-separated narrowPeak fields like the other "
                f"lines, found {n_fields}"
            )
    signal = _number_column(peaks, "signalValue", "field 7 (signalValue)", path, label)
    log10q = _number_column(peaks, "qValue", "field 9 (qValue)", path, label)
    log10q[log10q < 0] = np.nan  # -1: no q-value
    if "peak" in peaks.columns:
        offsets = peaks["peak"].to_numpy(dtype=object)
        bad = np.array([not _is_int_text(v) for v in offsets])
        if bad.any():
            row = peaks.loc[bad].iloc[0]
            raise InputError(
                f"{path}:{row['line']}: {label}field 10 (peak) must be an integer summit offset (or -1), "
                f"found {row['peak']!r}"
            )
        offsets = np.array([int(v) for v in offsets], dtype=np.int64)
    else:
        offsets = np.full(len(peaks), -1, dtype=np.int64)
    starts = peaks["start"].to_numpy()
    ends = peaks["end"].to_numpy()
    length = ends - starts
    outside = np.flatnonzero((offsets < -1) | ((offsets >= 0) & (offsets >= np.maximum(length, 1))))
    if outside.size:
        row = peaks.iloc[outside[0]]
        raise InputError(
            f"{path}:{row['line']}: {label}field 10 (peak) summit offset {offsets[outside[0]]} is outside "
            f"the peak (length {length[outside[0]]}); expected 0 <= offset < end - start, or -1"
        )
    summit = np.where(offsets >= 0, starts + offsets, (starts + ends) // 2)
    match = match_chrom_names(
        peaks["chrom"], chrom_sizes, aliases=aliases, source=path, what="the peaks", alias_key=alias_key
    )
    chrom = peaks["chrom"].map(match.mapping)
    keep = chrom.notna().to_numpy()
    out = pd.DataFrame(
        {
            "chrom": chrom[keep].to_numpy(dtype=object),
            "start": starts[keep],
            "end": ends[keep],
            "summit": summit[keep],
            "signal": signal[keep],
            "log10q": log10q[keep],
            "line": peaks["line"].to_numpy()[keep],
        }
    )
    return out, int((~keep).sum())


def _is_int_text(value: object) -> bool:
    text = str(value)
    return text.isascii() and (text.isdigit() or (text.startswith("-") and text[1:].isdigit()))


def _number_column(peaks: pd.DataFrame, column: str, field_name: str, path: Path, label: str) -> np.ndarray:
    """Float values of an optional column (NaN where absent); a non-number raises with file:line."""
    out = np.full(len(peaks), np.nan)
    if column not in peaks.columns:
        return out
    for i, (value, line) in enumerate(zip(peaks[column], peaks["line"], strict=True)):
        if value is None:
            continue
        try:
            out[i] = float(value)
        except ValueError:
            raise InputError(
                f"{path}:{line}: {label}{field_name} must be a number, found {value!r}"
            ) from None
    return out


# ----------------------------------------------------------------------------------------------------
# Blacklists
# ----------------------------------------------------------------------------------------------------


def merge_intervals(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge overlapping or book-ended half-open intervals on one chromosome.

    Parameters
    ----------
    starts, ends
        ``(n,)`` integer arrays, any order.

    Returns
    -------
    tuple of numpy.ndarray
        ``(starts, ends)`` of the merged, disjoint intervals, sorted, int64.
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    if starts.size == 0:
        return starts.copy(), ends.copy()
    order = np.lexsort((ends, starts))
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    # A new block begins where an interval starts past everything before it (touching intervals merge).
    new = np.ones(s.size, dtype=bool)
    new[1:] = s[1:] > reach[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, s.size - 1)
    return s[first], reach[last]


@dataclass(frozen=True)
class Blacklist:
    """Merged blacklisted regions that answer overlap queries for many intervals at once.

    Attributes
    ----------
    regions
        Chromosome -> ``(starts, ends)``: sorted, disjoint, half-open int64 arrays.
    """

    regions: dict[str, tuple[np.ndarray, np.ndarray]]

    @property
    def n_regions(self) -> int:
        """Number of merged regions."""
        return sum(len(s) for s, _ in self.regions.values())

    @property
    def total_bp(self) -> int:
        """Bases covered."""
        return int(sum((e - s).sum() for s, e in self.regions.values()))

    def overlaps(self, chrom: str, starts, ends) -> np.ndarray:
        """Whether each half-open interval ``[start, end)`` on ``chrom`` overlaps a blacklisted region.

        Parameters
        ----------
        chrom
            Chromosome of every interval.
        starts, ends
            ``(n,)`` integer arrays.

        Returns
        -------
        numpy.ndarray
            ``(n,)`` bool. Empty intervals (``end <= start``) never overlap.
        """
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        if chrom not in self.regions:
            return np.zeros(starts.shape, dtype=bool)
        reg_starts, reg_ends = self.regions[chrom]
        # The first region ending after `start` is the only candidate: regions are disjoint and sorted, so
        # their ends are sorted too. It overlaps iff it also begins before `end`.
        idx = np.searchsorted(reg_ends, starts, side="right")
        found = idx < reg_starts.size
        hit = np.zeros(starts.shape, dtype=bool)
        hit[found] = reg_starts[idx[found]] < ends[found]
        return hit & (ends > starts)

    def overlaps_any(self, chroms, starts, ends) -> np.ndarray:
        """:meth:`overlaps` for intervals on mixed chromosomes.

        Parameters
        ----------
        chroms
            ``(n,)`` chromosome names.
        starts, ends
            ``(n,)`` integer arrays.

        Returns
        -------
        numpy.ndarray
            ``(n,)`` bool.
        """
        chroms = np.asarray(chroms, dtype=object)
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        out = np.zeros(starts.shape, dtype=bool)
        for chrom in pd.unique(chroms):
            mask = chroms == chrom
            out[mask] = self.overlaps(chrom, starts[mask], ends[mask])
        return out


def read_blacklist(
    path: str | os.PathLike,
    chrom_sizes: Mapping[str, int] | str | os.PathLike,
    *,
    aliases: Mapping[str, str] | None = None,
    pad: int = 0,
    allow_empty: bool = False,
) -> Blacklist:
    """Read and validate a blacklist BED against the genome, and merge its regions.

    Parameters
    ----------
    path
        BED of blacklisted regions (plain or gzipped).
    chrom_sizes
        The genome's sizes, or the path of its ``chrom.sizes``.
    aliases
        Alias table for names that differ from the genome's (see :func:`match_chrom_names`).
    pad
        Extend every region by this many bp on each side, clipped to the chromosome (FactorNet uses 1,000).
    allow_empty
        Accept a file with no regions (an empty blacklist) instead of raising.

    Returns
    -------
    Blacklist
        Merged regions under the genome's names. Regions on chromosomes the genome lacks are dropped with a
        warning (a blacklist usually covers chromosomes a regex removed).

    Raises
    ------
    InputError
        A malformed line (file:line and field), no chromosome in common with the genome, a region past the
        end of its chromosome (file:line; usually a blacklist for another assembly), or an empty file.
    """
    path = Path(path)
    if not isinstance(chrom_sizes, Mapping):
        chrom_sizes = read_chrom_sizes(chrom_sizes)
    if pad < 0:
        raise InputError(f"blacklist padding must be >= 0, found {pad}")
    bed = read_bed(path, allow_empty=allow_empty)
    if bed.empty:
        log.warning("%s: blacklist is empty", path)
        return Blacklist(regions={})
    match = match_chrom_names(bed["chrom"], chrom_sizes, aliases=aliases, source=path, what="the blacklist")
    chrom = bed["chrom"].map(match.mapping)
    keep = chrom.notna().to_numpy()
    bed = bed.loc[keep].assign(chrom=chrom[keep])
    size = bed["chrom"].map(chrom_sizes).to_numpy(dtype=np.int64)
    past = np.flatnonzero(bed["end"].to_numpy() > size)
    if past.size:
        row = bed.iloc[past[0]]
        raise InputError(
            f"{path}:{row['line']}: end {row['end']} is past the end of {row['chrom']} "
            f"({chrom_sizes[row['chrom']]} bp); expected a blacklist for the same assembly as the genome "
            f"({past.size} such line(s))"
        )
    regions = {}
    for name, group in bed.groupby("chrom", sort=False):
        starts = np.maximum(group["start"].to_numpy() - pad, 0)
        ends = np.minimum(group["end"].to_numpy() + pad, chrom_sizes[name])
        regions[name] = merge_intervals(starts, ends)
    blacklist = Blacklist(regions=regions)
    log.info(
        "%s: %d blacklist lines -> %d merged regions, %s bp on %d chromosomes",
        path,
        len(bed),
        blacklist.n_regions,
        f"{blacklist.total_bp:,}",
        len(regions),
    )
    return blacklist
