# Reference genomes: deterministic toy genomes with known truth, and genomes fetched from a URL or path.


rule build_toy_genome:
    output:
        fasta=f"{TOY}/genome.fa",
        samples=f"{TOY}/samples.tsv",
        tracks=f"{TOY}/tracks.tsv",
        blacklist=f"{TOY}/blacklist.bed",
        truth=f"{TOY}/truth.json",
    log:
        "results/logs/build_toy_genome/{toy}.log",
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        seed=lambda wc: TOYS[wc.toy]["seed"],
        settings=lambda wc: TOYS[wc.toy]["settings"],
    script:
        "../scripts/build_toy_genome.py"


rule download_genome:
    input:
        # A local FASTA (or the toy build writing it) is an input, so the DAG links it; a URL is not.
        local=lambda wc: layout.genome_source(config, wc.genome),
    output:
        fasta=f"{GENOME}/genome.fa",
        fai=f"{GENOME}/genome.fa.fai",
        sizes=f"{GENOME}/genome.chrom.sizes",
    log:
        "results/logs/download_genome/{genome}.log",
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        source=lambda wc: GENOMES[wc.genome]["source"],
        sha256=lambda wc: GENOMES[wc.genome]["sha256"],
        md5=lambda wc: GENOMES[wc.genome]["md5"],
        chrom_regex=lambda wc: GENOMES[wc.genome]["chrom_regex"],
        aliases=lambda wc: GENOMES[wc.genome]["aliases"],
    script:
        "../scripts/download_genome.py"
