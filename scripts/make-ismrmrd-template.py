#!/usr/bin/python3
"""Make recon/io/ismrmrd/template/ismrmrd-v1-template.h5 (run with Debian's /usr/bin/python3).

h5wasm cannot create HDF5 variable-length types, so our ISMRMRD writer starts from
this template: an empty, chunked, unlimited `/dataset/data` whose datatype is copied
type-for-type (via the low-level h5py API, no numpy round trip) from a file written by
libismrmrd itself (Debian ismrmrd-tools: ismrmrd_generate_cartesian_shepp_logan).
The writer copies the template, resizes the dataset and fills it.

Usage: /usr/bin/python3 scripts/make-ismrmrd-template.py OUT.h5
"""
import os
import subprocess
import sys
import tempfile

import h5py

CHUNK_ROWS = 64


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src_path = os.path.join(tmp, "src.h5")
        subprocess.run(
            ["ismrmrd_generate_cartesian_shepp_logan", "-m", "16", "-c", "2", "-o", src_path],
            check=True, stdout=subprocess.DEVNULL,
        )
        with h5py.File(src_path, "r") as src:
            tid = src["dataset/data"].id.get_type()  # the exact libismrmrd compound type
            if os.path.exists(out):
                os.remove(out)
            with h5py.File(out, "w", libver="earliest") as dst:
                grp = dst.create_group("dataset")
                space = h5py.h5s.create_simple((0,), (h5py.h5s.UNLIMITED,))
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                dcpl.set_chunk((CHUNK_ROWS,))
                h5py.h5d.create(grp.id, b"data", tid, space, dcpl=dcpl)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
