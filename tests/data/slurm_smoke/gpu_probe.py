"""gpu_step of the SLURM smoke workflow: usage: gpu_probe.py IN OUT ENV_JSON."""

import json
import os
import sys

src, out, env_json = sys.argv[1:4]
with open(src) as fh:
    total = sum(int(x) for x in fh.read().split())
with open(out, "w") as fh:
    fh.write(f"sum={total}\n")
try:
    import torch

    cuda = bool(torch.cuda.is_available())
except ImportError:
    cuda = None
record = {
    "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES"),
    "SLURM_JOB_ID": os.environ.get("SLURM_JOB_ID"),
    "torch_cuda_available": cuda,
    "device": "cuda" if cuda else "cpu",  # scripts pick the device at run time
}
with open(env_json, "w") as fh:
    json.dump(record, fh, indent=1, sort_keys=True)
    fh.write("\n")
