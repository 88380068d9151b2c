#!/usr/bin/python3
"""Independent reader for tests: dump an ISMRMRD file with h5py (Debian python3-h5py).

Writes JSON to stdout: xml, row count, every header field of every row (flat, in file
member names), and writes all traj and data floats, row after row, to BIN (float32 LE).
"""
import json
import sys

import h5py
import numpy as np


def plain(v):
    if isinstance(v, np.ndarray):
        return [plain(x) for x in v.tolist()]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def main(path, bin_path, group="dataset"):
    with h5py.File(path, "r") as f:
        g = f[group]
        xml = g["xml"][0]
        xml = xml.decode() if isinstance(xml, bytes) else str(xml)
        data = g["data"][...]
        rows = []
        with open(bin_path, "wb") as out:
            for row in data:
                head = row["head"]
                rec = {}
                for name in head.dtype.names:
                    if name == "idx":
                        rec["idx"] = {k: plain(head["idx"][k]) for k in head["idx"].dtype.names}
                    elif name == "flags" or name == "channel_mask":
                        val = head[name]
                        rec[name] = [str(int(x)) for x in np.atleast_1d(val)] if name == "channel_mask" else str(int(val))
                    else:
                        rec[name] = plain(head[name])
                rec["traj_len"] = int(len(row["traj"]))
                rec["data_len"] = int(len(row["data"]))
                rows.append(rec)
                out.write(np.asarray(row["traj"], dtype="<f4").tobytes())
                out.write(np.asarray(row["data"], dtype="<f4").tobytes())
        json.dump({"xml": xml, "count": int(len(data)), "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
