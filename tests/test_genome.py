"""Genome fetching, chromosome-name reconciliation, blacklists and BED reading (seqcnn.genome).

The download tests drive the real code against an HTTP server on 127.0.0.1 serving a small toy genome with
Ensembl-style names (``1``, ``2``, ``MT`` and an unplaced contig), soft-masking and N runs.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import random
import threading
from pathlib import Path

import numpy as np
import pyfaidx
import pytest

from seqcnn.errors import InputError
from seqcnn.genome import (
    Blacklist,
    chrom_sizes_path,
    fetch_genome,
    file_chrom_names,
    match_chrom_names,
    merge_intervals,
    read_bed,
    read_blacklist,
    read_chrom_sizes,
    suggest_chr_aliases,
)

ALIASES = {"1": "chr1", "2": "chr2", "MT": "chrM"}
REGEX = r"chr([0-9]+|M)"


# ----------------------------------------------------------------------------------------------------
# Toy genome and server
# ----------------------------------------------------------------------------------------------------


def _toy_sequences() -> dict[str, str]:
    """Four deterministic sequences with a soft-masked run and an N run each."""
    rng = random.Random(3)
    lengths = {"1": 1234, "2": 987, "MT": 321, "GL000220.1": 150}
    seqs = {}
    for k, (name, n) in enumerate(lengths.items()):
        seq = [rng.choice("ACGT") for _ in range(n)]
        lo = 20 + 7 * k
        seq[lo : lo + 60] = [b.lower() for b in seq[lo : lo + 60]]
        seq[lo + 80 : lo + 110] = "N" * 30
        seqs[name] = "".join(seq)
    return seqs


def _fasta_text(seqs: dict[str, str], width: int = 70) -> str:
    # Ensembl-style headers with descriptions, and a line width the output must not keep.
    out = []
    for name, seq in seqs.items():
        out.append(f">{name} dna:chromosome chromosome:GRCh38:{name}:1:{len(seq)}:1 REF")
        out += [seq[i : i + width] for i in range(0, len(seq), width)]
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """Plain and gzipped toy genome files in a served directory."""
    root = tmp_path_factory.mktemp("served")
    seqs = _toy_sequences()
    text = _fasta_text(seqs).encode()
    (root / "genome.fa").write_bytes(text)
    gz = gzip.compress(text, mtime=0)
    (root / "genome.fa.gz").write_bytes(gz)
    (root / "truncated.fa.gz").write_bytes(gz[: len(gz) // 2])
    (root / "page.html").write_text("<!DOCTYPE html>\n<html>not a genome</html>\n")
    return {"root": root, "seqs": seqs, "gz": gz}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _ShortReadHandler(http.server.BaseHTTPRequestHandler):
    """Promises more bytes than it sends, then closes the connection."""

    payload = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload) + 5000))
        self.end_headers()
        self.wfile.write(self.payload)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serve(handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # A short poll interval keeps shutdown() from waiting half a second per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def base_url(toy):
    with _serve(functools.partial(_QuietHandler, directory=str(toy["root"]))) as url:
        yield url


def _expected_output(seqs):
    return {ALIASES[name]: seq for name, seq in seqs.items() if name in ALIASES}


def _assert_genome(out_fasta: Path, expected: dict[str, str]):
    fa = pyfaidx.Fasta(str(out_fasta), rebuild=False, build_index=False)
    try:
        assert list(fa.keys()) == list(expected)
        for name, seq in expected.items():
            assert str(fa[name][:]) == seq
    finally:
        fa.close()


# ----------------------------------------------------------------------------------------------------
# fetch_genome
# ----------------------------------------------------------------------------------------------------


def test_fetch_over_http_selects_renames_and_keeps_soft_masking(toy, base_url, tmp_path):
    out = tmp_path / "resources" / "genome.fa"
    result = fetch_genome(
        f"{base_url}/genome.fa.gz",
        out,
        sha256=hashlib.sha256(toy["gz"]).hexdigest(),
        md5=hashlib.md5(toy["gz"]).hexdigest().upper(),
        chrom_regex=REGEX,
        aliases=ALIASES,
    )
    expected = _expected_output(toy["seqs"])
    assert result.sizes == {name: len(seq) for name, seq in expected.items()}
    assert result.dropped == ["GL000220.1"]
    assert (result.fasta, result.fai, result.chrom_sizes) == (
        out,
        Path(f"{out}.fai"),
        out.parent / "genome.chrom.sizes",
    )
    _assert_genome(out, expected)

    text = out.read_text()
    assert ">chr1\n" in text and ">1" not in text and "GL000220" not in text
    assert "dna:chromosome" not in text  # headers are reduced to the new name
    lower = sum(c.islower() for c in text.replace(">chr", ""))
    assert lower == 3 * 60  # every soft-masked base survives
    assert all(len(line) <= 60 for line in text.splitlines())

    # The .fai must describe 60-base lines at the byte offsets where each record starts.
    fai = [line.split("\t") for line in Path(f"{out}.fai").read_text().splitlines()]
    offset = 0
    for row, (name, seq) in zip(fai, expected.items(), strict=True):
        offset += len(f">{name}\n")
        assert row == [name, str(len(seq)), str(offset), "60", "61"]
        offset += len(seq) + -(-len(seq) // 60)
    assert (out.parent / "genome.chrom.sizes").read_text() == "chr1\t1234\nchr2\t987\nchrM\t321\n"
    assert read_chrom_sizes(out.parent / "genome.chrom.sizes") == result.sizes
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "genome.chrom.sizes",
        "genome.fa",
        "genome.fa.fai",
    ]


def test_fetch_file_url_and_plain_path(toy, tmp_path):
    # Compression is detected from magic bytes: a gzipped file without .gz and a plain one with it.
    gz_no_suffix = tmp_path / "download.fa"
    gz_no_suffix.write_bytes(toy["gz"])
    plain_gz_suffix = tmp_path / "plain.fa.gz"
    plain_gz_suffix.write_bytes((toy["root"] / "genome.fa").read_bytes())
    expected = _expected_output(toy["seqs"])

    url_out = tmp_path / "from_url" / "hg.fasta"
    fetch_genome(gz_no_suffix.as_uri(), url_out, chrom_regex=REGEX, aliases=ALIASES)
    _assert_genome(url_out, expected)
    assert chrom_sizes_path(url_out) == url_out.parent / "hg.chrom.sizes"
    assert chrom_sizes_path(url_out).is_file()

    path_out = tmp_path / "from_path" / "genome.fa"
    result = fetch_genome(
        str(plain_gz_suffix),
        path_out,
        sha256=hashlib.sha256(plain_gz_suffix.read_bytes()).hexdigest(),
        keep_lowercase=False,
    )
    # No regex and no aliases: every sequence kept under its source name, upper-cased.
    assert list(result.sizes) == ["1", "2", "MT", "GL000220.1"]
    assert result.dropped == []
    _assert_genome(path_out, {name: seq.upper() for name, seq in toy["seqs"].items()})


def test_checksum_mismatch_raises_and_leaves_nothing(toy, base_url, tmp_path):
    out_dir = tmp_path / "out"
    wrong = "0" * 64
    actual = hashlib.sha256(toy["gz"]).hexdigest()
    with pytest.raises(InputError) as info:
        fetch_genome(f"{base_url}/genome.fa.gz", out_dir / "genome.fa", sha256=wrong, chrom_regex=REGEX)
    message = str(info.value)
    assert f"{base_url}/genome.fa.gz" in message
    assert f"expected {wrong}" in message and f"found {actual}" in message
    assert list(out_dir.iterdir()) == []

    with pytest.raises(InputError, match="md5 checksum mismatch"):
        fetch_genome(f"{base_url}/genome.fa.gz", out_dir / "genome.fa", md5="f" * 32)
    assert list(out_dir.iterdir()) == []


def test_failed_fetch_keeps_an_earlier_complete_genome(toy, base_url, tmp_path):
    out = tmp_path / "genome.fa"
    fetch_genome(f"{base_url}/genome.fa.gz", out, chrom_regex=REGEX, aliases=ALIASES)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(InputError, match="checksum mismatch"):
        fetch_genome(f"{base_url}/genome.fa.gz", out, sha256="1" * 64)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_http_404_raises_and_leaves_nothing(base_url, tmp_path):
    url = f"{base_url}/no_such_genome.fa.gz"
    with pytest.raises(InputError) as info:
        fetch_genome(url, tmp_path / "genome.fa")
    assert url in str(info.value) and "404" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_truncated_gzip_raises_and_leaves_nothing(base_url, tmp_path):
    url = f"{base_url}/truncated.fa.gz"
    with pytest.raises(InputError) as info:
        fetch_genome(url, tmp_path / "genome.fa", chrom_regex=REGEX, aliases=ALIASES)
    assert url in str(info.value) and "truncated or corrupt" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_short_download_raises_and_leaves_nothing(toy, tmp_path):
    handler = type("Handler", (_ShortReadHandler,), {"payload": toy["gz"]})
    with _serve(handler) as url, pytest.raises(InputError) as info:
        fetch_genome(f"{url}/genome.fa.gz", tmp_path / "genome.fa")
    assert "truncated" in str(info.value)
    assert f"{len(toy['gz']) + 5000:,} bytes" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_regex_matching_nothing_lists_available_names(base_url, tmp_path):
    with pytest.raises(InputError) as info:
        fetch_genome(f"{base_url}/genome.fa.gz", tmp_path / "genome.fa", chrom_regex=r"chr[0-9XY]+")
    message = str(info.value)
    assert "'chr[0-9XY]+' matches none of the 4 sequences" in message
    for name in ("'1'", "'2'", "'MT'", "'GL000220.1'"):
        assert name in message
    assert list(tmp_path.iterdir()) == []


def test_fetch_rejects_bad_inputs(toy, base_url, tmp_path):
    with pytest.raises(InputError, match="not a FASTA file.*DOCTYPE"):
        fetch_genome(f"{base_url}/page.html", tmp_path / "genome.fa")
    with pytest.raises(InputError, match="'2' becomes 'chr1', a name already taken by '1'"):
        fetch_genome(f"{base_url}/genome.fa.gz", tmp_path / "genome.fa", aliases={"1": "chr1", "2": "chr1"})
    with pytest.raises(InputError, match="sha256 must be 64 hexadecimal digits"):
        fetch_genome(f"{base_url}/genome.fa.gz", tmp_path / "genome.fa", sha256="abc")
    with pytest.raises(InputError, match="file not found"):
        fetch_genome(tmp_path / "missing.fa", tmp_path / "genome.fa")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------------------------
# Chromosome names
# ----------------------------------------------------------------------------------------------------

GENOME = {"chr1": 1000, "chr2": 800, "chr10": 500, "chrX": 400, "chrM": 100}


def test_no_name_overlap_shows_both_sides_and_the_alias_hint():
    with pytest.raises(InputError) as info:
        match_chrom_names(["2", "1", "10", "X"], GENOME, source="peaks/ctcf.narrowPeak", what="the peaks")
    message = str(info.value)
    assert message.startswith("peaks/ctcf.narrowPeak: none of the 4 chromosome names in the peaks")
    assert "names in the peaks: '1', '2', '10', 'X';" in message
    assert "names in the genome: 'chr1', 'chr2', 'chr10', 'chrX', 'chrM';" in message
    assert "set genome.aliases (e.g. {'1': 'chr1', '2': 'chr2', '10': 'chr10', ...})" in message
    assert "`chr`-prefix alias" in message

    with pytest.raises(InputError, match="set genome.aliases to map them, or check .* same assembly"):
        match_chrom_names(["scaffold_1"], GENOME, source="x.bed")


def test_partial_overlap_returns_missing_names_and_aliases_work_both_ways():
    found = match_chrom_names(["chr1", "chr2", "chrUn_1", "chr22"], GENOME)
    assert found.mapping == {"chr1": "chr1", "chr2": "chr2"}
    assert found.missing == ["chr22", "chrUn_1"]

    forward = match_chrom_names(["1", "MT", "Y"], GENOME, aliases={"1": "chr1", "MT": "chrM"})
    assert forward.mapping == {"1": "chr1", "MT": "chrM"} and forward.missing == ["Y"]
    # The same table read backwards serves a genome named the Ensembl way.
    backward = match_chrom_names(["chr1", "chrM"], {"1": 10, "MT": 5}, aliases={"1": "chr1", "MT": "chrM"})
    assert backward.mapping == {"chr1": "1", "chrM": "MT"} and backward.missing == []


def test_chr_prefix_suggestion_both_directions():
    assert suggest_chr_aliases(["1", "X", "MT", "chr1", "KI270728.1"], GENOME) == {
        "1": "chr1",
        "X": "chrX",
        "MT": "chrM",
    }
    assert suggest_chr_aliases(["chr1", "chrM", "chrX", "chr99", "1"], ["1", "MT", "X"]) == {
        "chr1": "1",
        "chrM": "MT",
        "chrX": "X",
    }


def test_read_chrom_sizes_errors(tmp_path):
    path = tmp_path / "g.chrom.sizes"
    path.write_text("chr1\t100\nchr2\t50\textra\n")
    assert read_chrom_sizes(path) == {"chr1": 100, "chr2": 50}
    for text, match in [
        ("chr1\t100\nchr2\n", r"g.chrom.sizes:2: expected 2 fields \(chromosome, length\), found 1"),
        ("chr1\t1e5\n", r"g.chrom.sizes:1: field 2 \(length\) must be a positive integer, found '1e5'"),
        ("chr1\t100\nchr1\t100\n", r"g.chrom.sizes:2: chromosome 'chr1' is listed twice \(first on line 1\)"),
        ("", "no chromosomes"),
    ]:
        path.write_text(text)
        with pytest.raises(InputError, match=match):
            read_chrom_sizes(path)


def test_file_chrom_names_reads_bed_and_bigwig(tmp_path):
    bed = tmp_path / "peaks.bed"
    bed.write_text("track name=x\nchr1\t1\t5\nchr2\t3\t9\nchr1\t7\t8\n")
    assert file_chrom_names(bed) == {"chr1", "chr2"}

    import pyBigWig

    path = tmp_path / "signal.bw"
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader([("1", 1000), ("MT", 100)])
    bw.addEntries(["1"], [0], ends=[10], values=[1.0])
    bw.close()
    assert file_chrom_names(path) == {"1", "MT"}


# ----------------------------------------------------------------------------------------------------
# Blacklist
# ----------------------------------------------------------------------------------------------------


def test_merge_intervals_handles_overlap_nesting_touching_and_order():
    starts, ends = merge_intervals(
        np.array([300, 100, 150, 120, 200, 500]), np.array([400, 160, 200, 130, 210, 510])
    )
    assert starts.tolist() == [100, 300, 500]
    assert ends.tolist() == [210, 400, 510]
    empty = merge_intervals(np.array([], dtype=int), np.array([], dtype=int))
    assert empty[0].size == 0 and empty[1].size == 0


@pytest.fixture
def blacklist_file(tmp_path):
    path = tmp_path / "blacklist.bed"
    # Unsorted, overlapping and book-ended lines, one on a chromosome the genome lacks.
    path.write_text(
        "# ENCODE-style\nchr1\t300\t400\nchr1\t100\t150\nchr1\t140\t180\nchr1\t180\t200\nchrUn\t0\t5\n"
    )
    return path


def test_blacklist_merges_and_answers_overlaps_vectorised(blacklist_file):
    blacklist = read_blacklist(blacklist_file, GENOME)
    assert list(blacklist.regions) == ["chr1"]
    starts, ends = blacklist.regions["chr1"]
    assert starts.tolist() == [100, 300] and ends.tolist() == [200, 400]
    assert blacklist.n_regions == 2 and blacklist.total_bp == 200

    queries = [
        ((0, 100), False),  # ends where a region starts (half-open)
        ((0, 101), True),
        ((150, 160), True),  # inside
        ((199, 200), True),
        ((200, 300), False),  # the gap exactly
        ((250, 350), True),
        ((50, 450), True),  # spans both
        ((399, 400), True),
        ((400, 900), False),
        ((120, 120), False),  # empty interval
    ]
    q_starts = np.array([q[0][0] for q in queries])
    q_ends = np.array([q[0][1] for q in queries])
    want = np.array([q[1] for q in queries])
    assert blacklist.overlaps("chr1", q_starts, q_ends).tolist() == want.tolist()
    assert not blacklist.overlaps("chr2", q_starts, q_ends).any()
    mixed = blacklist.overlaps_any(["chr1", "chr2", "chr1", "chrX"], [150, 150, 200, 0], [160, 160, 300, 400])
    assert mixed.tolist() == [True, False, False, False]

    # Against a brute-force answer on random intervals.
    rng = np.random.default_rng(0)
    s = rng.integers(0, 600, 2000)
    e = s + rng.integers(0, 120, 2000)
    brute = np.array(
        [
            any(a < hi and lo < b for a, b in zip(starts, ends, strict=True))
            for lo, hi in zip(s, e, strict=True)
        ]
    )
    assert np.array_equal(blacklist.overlaps("chr1", s, e), brute & (e > s))


def test_blacklist_padding_aliases_and_chrom_sizes_path(tmp_path):
    bed = tmp_path / "bl.bed"
    bed.write_text("1\t10\t20\n1\t995\t1000\nX\t100\t110\n")
    sizes = tmp_path / "genome.chrom.sizes"
    sizes.write_text("".join(f"{k}\t{v}\n" for k, v in GENOME.items()))
    blacklist = read_blacklist(bed, sizes, aliases={"1": "chr1", "X": "chrX"}, pad=15)
    assert blacklist.regions["chr1"][0].tolist() == [0, 980]
    assert blacklist.regions["chr1"][1].tolist() == [35, 1000]
    assert blacklist.regions["chrX"][0].tolist() == [85] and blacklist.regions["chrX"][1].tolist() == [125]


def test_blacklist_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bl.bed"
    path.write_text("chr1\t10\t20\nchr1\tten\t30\n")
    with pytest.raises(
        InputError, match=r"bl.bed:2: field 2 \(start\) must be a non-negative integer, found 'ten'"
    ):
        read_blacklist(path, GENOME)
    path.write_text("chr1\t10\t20\nchr2\t700\t900\n")
    with pytest.raises(
        InputError, match=r"bl.bed:2: end 900 is past the end of chr2 \(800 bp\); .*same assembly"
    ):
        read_blacklist(path, GENOME)
    path.write_text("1\t10\t20\n")
    with pytest.raises(InputError, match="none of the 1 chromosome names in the blacklist"):
        read_blacklist(path, GENOME)
    path.write_text("")
    with pytest.raises(InputError, match="no intervals"):
        read_blacklist(path, GENOME)
    assert read_blacklist(path, GENOME, allow_empty=True).n_regions == 0
    assert isinstance(read_blacklist(path, GENOME, allow_empty=True), Blacklist)


# ----------------------------------------------------------------------------------------------------
# read_bed
# ----------------------------------------------------------------------------------------------------


def test_read_bed_skips_headers_and_keeps_extra_fields(tmp_path):
    path = tmp_path / "peaks.bed"
    path.write_text(
        "browser position chr1:1-100\ntrack name=peaks\n# comment\n\n"
        "chr1\t10\t20\tp1\t5\t+\nchr2\t0\t0\tp2\t7\t-\nchr1 30 40 p3 1 .\n"
    )
    bed = read_bed(path)
    assert bed["chrom"].tolist() == ["chr1", "chr2", "chr1"]
    assert bed["start"].tolist() == [10, 0, 30] and bed["end"].tolist() == [20, 0, 40]
    assert bed["name"].tolist() == ["p1", "p2", "p3"] and bed["strand"].tolist() == ["+", "-", "."]
    assert bed["line"].tolist() == [5, 6, 7]
    assert str(bed["start"].dtype) == "int64"

    gz = tmp_path / "peaks.narrowPeak"  # gzipped without a .gz name
    gz.write_bytes(gzip.compress(b"chr1\t1\t9\t.\t0\t.\t4.5\t-1\t3.2\t4\n"))
    peaks = read_bed(gz, min_fields=10, columns=["name", "score", "strand", "signal", "p", "q", "summit"])
    assert peaks["summit"].tolist() == ["4"] and peaks["q"].tolist() == ["3.2"]


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("chr1\t10\t20\nchr1\t10\n", {}, r"x.bed:2: expected at least 3 tab-separated fields .*found 2"),
        ("chr1\t10\t20\n", {"min_fields": 6}, r"x.bed:1: expected at least 6 tab-separated fields .*found 3"),
        ("chr1\t1.5\t20\n", {}, r"x.bed:1: field 2 \(start\) must be a non-negative integer, found '1.5'"),
        ("chr1\t10\t2e3\n", {}, r"x.bed:1: field 3 \(end\) must be a non-negative integer, found '2e3'"),
        ("chr1\t1_0\t20\n", {}, r"x.bed:1: field 2 \(start\) must be a non-negative integer, found '1_0'"),
        ("track x\nchr1\t-5\t20\n", {}, r"x.bed:2: field 2 \(start\) is negative \(-5\); expected >= 0"),
        ("chr1\t30\t20\n", {}, r"x.bed:1: start 30 is greater than end 20; expected start <= end"),
        ("\tchr1\t20\t30\n", {}, r"x.bed:1: field 1 \(chrom\) is empty"),
        ("", {}, r"x.bed: no intervals \(the file is empty"),
        ("# only\ntrack name=x\nbrowser hide all\n", {}, r"x.bed: no intervals .*comment, track or browser"),
    ],
)
def test_read_bed_errors(tmp_path, text, kwargs, match):
    path = tmp_path / "x.bed"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        read_bed(path, **kwargs)


def test_read_bed_empty_allowed_and_missing_file(tmp_path):
    path = tmp_path / "empty.bed"
    path.write_text("# nothing\n")
    bed = read_bed(path, allow_empty=True)
    assert len(bed) == 0 and list(bed.columns) == ["chrom", "start", "end", "line"]
    with pytest.raises(InputError, match="missing.bed: file not found"):
        read_bed(tmp_path / "missing.bed")
