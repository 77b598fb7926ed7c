#!/usr/bin/env python3
"""Packs the full CIFAR-10 set small enough (29 MiB) to copy to a GPU machine along with the repository.

The six binary batch files are 184 MB; ../shared/data/cifar-10 holds every image as a JPEG pack
(18 MB) whose decoding reproduces the official bytes for all but the first 4000 training and 1000
test images (those came from lossless originals; see that folder's SOURCE.md). So the pack is:
the two JPEG packs, those 5000 lossless records (xz, 12 MB), the meta file and the SHA-256 of each
batch file. Unpacking decodes the JPEGs, puts the lossless records back and checks every file.

  scripts/cifar_gpu_pack.py pack FULL_DIR SHARED_DIR OUT     (here; standard library only)
  scripts/cifar_gpu_pack.py unpack PACK_DIR OUT              (there; needs numpy and PIL)
"""
import gzip, hashlib, io, lzma, os, shutil, struct, sys

RECORD = 3073  # label byte + 3x32x32 pixels
PER_BATCH = 10000
LOSSLESS = {"train": 4000, "test": 1000}  # leading records whose JPEG is not the shipped pixels
BATCHES = [f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def pack(full, shared, out):
    os.makedirs(out, exist_ok=True)
    sums = []
    for name in BATCHES:
        data = open(os.path.join(full, name), "rb").read()
        if len(data) != PER_BATCH * RECORD:
            sys.exit(f"{full}/{name}: {len(data)} bytes, expected {PER_BATCH * RECORD}")
        sums.append(f"{sha256(data)}  {name}\n")
    head = {"train": os.path.join(full, "data_batch_1.bin"), "test": os.path.join(full, "test_batch.bin")}
    for part, count in LOSSLESS.items():
        with open(head[part], "rb") as f, lzma.open(os.path.join(out, f"lossless_{part}.bin.xz"), "wb", preset=9) as g:
            g.write(f.read(count * RECORD))
    for name in ("train_jpeg.pack.gz", "test_jpeg.pack.gz", "batches.meta.txt"):
        shutil.copyfile(os.path.join(shared, name), os.path.join(out, name))
    open(os.path.join(out, "SHA256SUMS"), "w").writelines(sums)
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f"packed CIFAR-10 into {out} ({total / 2**20:.1f} MiB)")


def decode(pack_path):
    import numpy as np
    from PIL import Image
    raw = gzip.open(pack_path).read()
    pos, records = 0, []
    while pos < len(raw):  # record: label byte, big-endian 16-bit length, JPEG bytes
        label = raw[pos]
        (n,) = struct.unpack(">H", raw[pos + 1:pos + 3])
        pos += 3
        px = np.asarray(Image.open(io.BytesIO(raw[pos:pos + n])).convert("RGB"), np.uint8)
        records.append(bytes([label]) + px.transpose(2, 0, 1).tobytes())
        pos += n
    return records


def unpack(src, out):
    os.makedirs(out, exist_ok=True)
    expected = dict(reversed(line.split()) for line in open(os.path.join(src, "SHA256SUMS")))
    for part, count in LOSSLESS.items():
        records = decode(os.path.join(src, f"{part}_jpeg.pack.gz"))
        exact = lzma.open(os.path.join(src, f"lossless_{part}.bin.xz")).read()
        records[:count] = [exact[i * RECORD:(i + 1) * RECORD] for i in range(count)]
        names = BATCHES[:5] if part == "train" else BATCHES[5:]
        if len(records) != PER_BATCH * len(names):
            sys.exit(f"{part}_jpeg.pack.gz: {len(records)} images, expected {PER_BATCH * len(names)}")
        for k, name in enumerate(names):
            data = b"".join(records[k * PER_BATCH:(k + 1) * PER_BATCH])
            if sha256(data) != expected[name]:
                sys.exit(f"{name}: SHA-256 {sha256(data)} differs from the packed {expected[name]} "
                         "(this PIL decodes the JPEGs differently)")
            open(os.path.join(out, name), "wb").write(data)
    shutil.copyfile(os.path.join(src, "batches.meta.txt"), os.path.join(out, "batches.meta.txt"))
    print(f"unpacked CIFAR-10 into {out}: all six files match their SHA-256")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "pack":
        pack(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "unpack":
        unpack(*sys.argv[2:])
    else:
        sys.exit(__doc__)
