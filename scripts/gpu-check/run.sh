#!/usr/bin/env bash
# Runs the GPU check from an unpacked bundle (see prepare.sh / README.md) on a
# Linux GPU machine: no registry and no Node needed. Prints the adapter first,
# then parity checks, then the benchmarks. Results: $OUT (if set) or
# ./gpu-check-results: gpu-check.md, gpu-check.json. Extra arguments go to
# check.ts (--quick, --skip-bench, --allow-software, --peak-gbs N).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export UHF_DEBUG=1
# The Vulkan loader: the system's, else the bundled one.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  export LD_LIBRARY_PATH="$here/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "using the bundled Vulkan loader ($here/vulkan)"
fi
# The NVIDIA Vulkan ICD: the standard places, else the container-toolkit place.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  found=
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    if ls "$d"/nvidia*.json >/dev/null 2>&1; then found=1; fi
  done
  if [ -z "$found" ]; then
    for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
      if [ -f "$f" ]; then export VK_DRIVER_FILES="$f"; echo "NVIDIA ICD: $f"; break; fi
    done
  fi
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
export TMPDIR=${TMPDIR:-/tmp}
./node/node --version
exec ./node/node --import ./recon/hosts/register-ts.mjs scripts/gpu-check/check.ts --out "${OUT:-$here/gpu-check-results}" "$@"
