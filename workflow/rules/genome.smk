# Reference genomes: a deterministic toy genome with known truth, and a genome fetched from a URL or path.


rule build_toy_genome:
    output:
        fasta=f"{TOY}/genome.fa",
        samples=f"{TOY}/samples.tsv",
        tracks=f"{TOY}/tracks.tsv",
        blacklist=f"{TOY}/blacklist.bed",
        truth=f"{TOY}/truth.json",
    log:
        "results/logs/build_toy_genome.log",
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        seed=config.get("toy", {}).get("seed", 1),
        settings=config.get("toy", {}).get("settings", {}),
    script:
        "../scripts/build_toy_genome.py"


rule download_genome:
    input:
        local=genome_local_source(),
    output:
        fasta=f"resources/genome/{GENOME['name']}.fa",
        fai=f"resources/genome/{GENOME['name']}.fa.fai",
        sizes=f"resources/genome/{GENOME['name']}.chrom.sizes",
    log:
        f"results/logs/download_genome_{GENOME['name']}.log",
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        # A local file is the rule's input (so the DAG links it); a URL stays a parameter.
        source=lambda wc, input: input.local[0] if input.local else GENOME["source"],
        sha256=GENOME.get("sha256"),
        md5=GENOME.get("md5"),
        chrom_regex=GENOME.get("chrom_regex"),
        aliases=GENOME.get("aliases") or {},
    script:
        "../scripts/download_genome.py"
