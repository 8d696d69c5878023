# A job that asks for one GPU and writes what it sees: the request must reach sbatch (--gpus) and SLURM
# must hand the job a device (CUDA_VISIBLE_DEVICES), whatever the partition names of the profile.


rule probe_gpu:
    output:
        "gpu_probe.txt",
    log:
        "logs/probe_gpu.log",
    threads: 1
    resources:
        gpu=1,
        mem_mb=100,
        runtime=5,
    shell:
        "echo CUDA_VISIBLE_DEVICES=${{CUDA_VISIBLE_DEVICES:-unset}} > {output} 2> {log}"
